using Attune.Algorithms.Data;

namespace Attune.Algorithms.Popularity;

/// <summary>
/// Trending items: what is being interacted with now more than its usual rate. With <c>S</c> the interactions decayed over a
/// short half-life and <c>L</c> over a long one, an item's expected short-window count is <c>L · short/long</c>; its score is
/// the Poisson z-score <c>(S − E) / sqrt(E + 1)</c>, so a niche item that suddenly takes off outranks a steady best-seller.
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
        var shortCounts = new double[data.Items];
        var longCounts = new double[data.Items];
        long now = events.LatestMs;
        for (int k = 0; k < events.Count; k++)
        {
            if (events.Weights[k] <= 0) continue;
            double age = (now - events.TimesMs[k]) / 86_400_000.0;
            shortCounts[events.Items[k]] += Math.Pow(0.5, age / shortDays);
            longCounts[events.Items[k]] += Math.Pow(0.5, age / longDays);
        }
        var scores = new float[data.Items];
        double ratio = shortDays / longDays;
        for (int i = 0; i < scores.Length; i++)
        {
            double expected = longCounts[i] * ratio;
            scores[i] = (float)((shortCounts[i] - expected) / Math.Sqrt(expected + 1));
        }
        return new TrendingModel(scores);
    }
}
