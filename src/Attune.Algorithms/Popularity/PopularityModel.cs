using Attune.Algorithms.Data;

namespace Attune.Algorithms.Popularity;

/// <summary>
/// Most popular items: the positive events on each item counted with <see cref="DecayedCounts"/> (each event 1, or its
/// weight with <c>weighted=true</c>; optionally time-decayed, an event counting <c>0.5^(age / halfLife)</c>), the very
/// counting serving's bundle does (it trains <c>weighted=true halfLifeDays=</c><c>Attune:Models:PopularityHalfLifeDays</c>).
/// Without event times (public benchmark files are a matrix) each positive matrix entry is one event, so unweighted it counts
/// distinct people. The same list for everyone: the cold-start fallback and the baseline every other model must beat.
/// </summary>
public sealed class PopularityModel : IRecommender
{
    private readonly float[] _scores;

    public PopularityModel(float[] scores) => _scores = scores;

    public string Name => "popularity";
    public int Items => _scores.Length;

    /// <summary>The popularity of every item (read-only view).</summary>
    public ReadOnlySpan<float> Scores => _scores;

    public void Score(int user, ReadOnlySpan<int> history, Span<float> scores) => _scores.CopyTo(scores);

    public void Save(BinaryWriter writer) => ModelCatalog.WriteArray(writer, _scores);

    public static readonly ModelDescriptor Descriptor = new(
        "popularity",
        "Most interacted-with items: positive events counted 1 each, or by weight (weighted=true), optionally time-decayed "
            + "(halfLifeDays); serving trains weighted=true halfLifeDays=7",
        p => new PopularityTrainer(p.Bool("weighted", false), p.Double("halfLifeDays", 0)),
        r => new PopularityModel(ModelCatalog.ReadFloats(r)),
        []);
}

/// <remarks>
/// The defaults (unweighted, no decay) are not serving's: on MovieLens 100k summing ratings as weights lowers nDCG@10 from
/// 0.2523 to 0.2485 and MAP from 0.0560 to 0.0523 (docs/benchmarks.md). <c>--params weighted=true halfLifeDays=7</c> measures
/// exactly what serves.
/// </remarks>
public sealed class PopularityTrainer(bool weighted, double halfLifeDays) : IRecommenderTrainer
{
    public IRecommender Fit(TrainingData data, CancellationToken cancellationToken = default)
    {
        if (data.Events is { Count: > 0 } events)
            return new PopularityModel(DecayedCounts.Of(events, data.Items, halfLifeDays, weighted).Counts);
        var scores = new float[data.Items];
        var m = data.Interactions;
        for (int p = 0; p < m.NonZeros; p++)
        {
            float w = m.Values[p];
            if (w > 0) scores[m.Columns[p]] += weighted ? w : 1f;
        }
        return new PopularityModel(scores);
    }
}
