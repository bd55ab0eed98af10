using Attune.Algorithms.Data;

namespace Attune.Algorithms.Popularity;

/// <summary>
/// Trending items: what is being interacted with now more than its usual rate. The positive events are counted over a short
/// and a long half-life with <see cref="DecayedCounts"/> and scored by <see cref="DecayedCounts.TrendScores"/> (a Poisson
/// z-score), the same counts and score the serving bundle and the live trending counters use.
/// </summary>
public sealed class TrendingModel : IRecommender
{
    private readonly float[] _scores;

    public TrendingModel(float[] scores) => _scores = scores;

    public string Name => "trending";
    public int Items => _scores.Length;

    public void Score(int user, ReadOnlySpan<int> history, Span<float> scores) => _scores.CopyTo(scores);

    public void Save(BinaryWriter writer) => ModelCatalog.WriteArray(writer, _scores);

    public static readonly ModelDescriptor Descriptor = new(
        "trending",
        "Items rising above their usual rate (short vs long time-decayed counts); needs event times",
        p => new TrendingTrainer(p.Double("shortDays", 1), p.Double("longDays", 14)),
        r => new TrendingModel(ModelCatalog.ReadFloats(r)),
        [new ParameterRange("shortDays", 0.25, 3, LogScale: true), new ParameterRange("longDays", 7, 60, LogScale: true)]);
}

public sealed class TrendingTrainer(double shortDays, double longDays) : IRecommenderTrainer
{
    public IRecommender Fit(TrainingData data, CancellationToken cancellationToken = default)
    {
        var events = data.Events ?? throw new InvalidOperationException("trending needs event times");
        if (!(shortDays > 0 && longDays > shortDays)) throw new ArgumentException("need 0 < shortDays < longDays");
        var scores = new float[data.Items];
        DecayedCounts.TrendScores(
            DecayedCounts.Of(events, data.Items, shortDays, weighted: false),
            DecayedCounts.Of(events, data.Items, longDays, weighted: false),
            scores);
        return new TrendingModel(scores);
    }
}
