using Attune.Algorithms.Data;

namespace Attune.Algorithms.Popularity;

/// <summary>
/// Most popular items: how many people interacted with each item (or the summed strength). The same list for everyone:
/// the cold-start fallback and the baseline every other model must beat.
/// </summary>
public sealed class PopularityModel : IRecommender
{
    private readonly float[] _scores;

    public PopularityModel(float[] scores) => _scores = scores;

    public string Name => "popularity";
    public int Items => _scores.Length;

    public void Score(int user, ReadOnlySpan<int> history, Span<float> scores) => _scores.CopyTo(scores);

    public void Save(BinaryWriter writer) => ModelCatalog.WriteArray(writer, _scores);

    public static readonly ModelDescriptor Descriptor = new(
        "popularity",
        "Most interacted-with items (distinct people, or summed strength with weighted=true)",
        p => new PopularityTrainer(p.Bool("weighted", false)),
        r => new PopularityModel(ModelCatalog.ReadFloats(r)),
        []);
}

public sealed class PopularityTrainer(bool weighted) : IRecommenderTrainer
{
    public IRecommender Fit(TrainingData data, CancellationToken cancellationToken = default)
    {
        var m = data.Interactions;
        var scores = new float[m.Items];
        for (int p = 0; p < m.NonZeros; p++) scores[m.Columns[p]] += weighted ? m.Values[p] : 1f;
        return new PopularityModel(scores);
    }
}
