using Attune.Algorithms.Data;

namespace Attune.Evaluation.Datasets;

/// <summary>Fixed next-item test cases: row <c>c</c> of <see cref="Prefixes"/> is the input, <see cref="Targets"/>[c] the answer.</summary>
public sealed class SessionCases(SequenceData prefixes, int[] targets)
{
    public SequenceData Prefixes { get; } = prefixes.Rows == targets.Length ? prefixes
        : throw new ArgumentException("one target per prefix is needed", nameof(targets));

    public int[] Targets { get; } = targets;

    public int Count => Targets.Length;

    /// <summary>
    /// SR-GNN's expansion of whole sessions into cases: <c>[x1..xn]</c> gives <c>([x1..x(n-1)], xn)</c>, …, <c>([x1], x2)</c>,
    /// longest prefix first, sessions in order. Sessions shorter than 2 give none.
    /// </summary>
    public static SessionCases Expand(SequenceData sessions)
    {
        var prefixes = new RowsBuilder(sessions.ItemCount);
        var targets = new List<int>();
        for (int s = 0; s < sessions.Rows; s++)
        {
            var row = sessions.Row(s);
            for (int n = row.Length - 1; n >= 1; n--)
            {
                prefixes.Add(row[..n]);
                targets.Add(row[n]);
            }
        }
        return new SessionCases(prefixes.Build(), [.. targets]);
    }
}
