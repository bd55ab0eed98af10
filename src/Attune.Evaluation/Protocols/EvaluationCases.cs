using Attune.Algorithms.Data;

namespace Attune.Evaluation.Protocols;

/// <summary>
/// The ranking questions of one split, case by case (a case is a test user, or a session prefix): who asks
/// (<see cref="Users"/>, -1 for anonymous), what the model reads (<see cref="History"/>), what counts as a hit
/// (<see cref="Targets"/>, ascending), what is taken out of the ranking (<see cref="Exclude"/>) and, for sampled protocols,
/// the negatives the target is ranked against. Row <c>c</c> of each <see cref="SequenceData"/> belongs to case <c>c</c>.
/// </summary>
public sealed class EvaluationCases
{
    public required int[] Users { get; init; }
    public required SequenceData History { get; init; }
    public required SequenceData Targets { get; init; }

    /// <summary>Items scored −∞ before ranking (seen items); null when nothing is excluded.</summary>
    public SequenceData? Exclude { get; init; }

    /// <summary>Sampled negatives per case; null for full-ranking protocols.</summary>
    public SequenceData? Negatives { get; init; }

    public int Count => Users.Length;
}
