using Attune.Algorithms.Data;

namespace Attune.Algorithms.Popularity;

/// <summary>
/// Most popular items: how many people interacted with each item, or the summed strength, optionally time-decayed (an
/// interaction counts <c>0.5^(age / halfLife)</c>). The same list for everyone: the cold-start fallback and the baseline every
/// other model must beat. Per-category popularity is this list under a category filter.
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
        "Most interacted-with items: distinct people, or summed strength (weighted=true), optionally time-decayed (halfLifeDays)",
        p => new PopularityTrainer(p.Bool("weighted", false), p.Double("halfLifeDays", 0)),
        r => new PopularityModel(ModelCatalog.ReadFloats(r)),
        []);
}

public sealed class PopularityTrainer(bool weighted, double halfLifeDays) : IRecommenderTrainer
{
    public IRecommender Fit(TrainingData data, CancellationToken cancellationToken = default)
    {
        var scores = new float[data.Items];
        if (halfLifeDays > 0 && data.Events is { } events)
        {
            long now = events.LatestMs;
            for (int k = 0; k < events.Count; k++)
            {
                if (events.Weights[k] <= 0) continue;
                double decay = Math.Pow(0.5, (now - events.TimesMs[k]) / (halfLifeDays * 86_400_000));
                scores[events.Items[k]] += (float)((weighted ? events.Weights[k] : 1) * decay);
            }
            return new PopularityModel(scores);
        }
        var m = data.Interactions;
        for (int p = 0; p < m.NonZeros; p++) scores[m.Columns[p]] += weighted ? m.Values[p] : 1f;
        return new PopularityModel(scores);
    }
}
