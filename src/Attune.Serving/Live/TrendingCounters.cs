namespace Attune.Serving.Live;

/// <summary>
/// Online trending: short- and long-window decayed counts per item, started from the model's counts and bumped by every live
/// event, rescored by <see cref="Tick"/> (once a second). An item's score is the Poisson z-score of its short-window count
/// against what its long-window rate predicts, <c>(S − L·short/long) / sqrt(L·short/long + 1)</c>, as the trending model does.
/// </summary>
public sealed class TrendingCounters
{
    private readonly Lock _gate = new();
    private readonly double _shortDays, _longDays;
    private readonly float[] _short, _long;
    private long _refMs;
    private volatile float[] _positive = [];
    private volatile int[] _top = [];

    /// <summary>The most trending items, best first (up to 1,000; recomputed every tick).</summary>
    public ReadOnlySpan<int> Top(int k) => _top.AsSpan(0, Math.Min(k, _top.Length));

    public TrendingCounters(float[] shortCounts, float[] longCounts, long refMs, double shortDays, double longDays)
    {
        _short = (float[])shortCounts.Clone();
        _long = (float[])longCounts.Clone();
        _refMs = refMs;
        _shortDays = shortDays;
        _longDays = longDays;
        Tick(refMs);
    }

    /// <summary>The scores clipped at 0: how much an item is rising (falling items count as not trending).</summary>
    public float[] Positive => _positive;

    /// <summary>Counts one positive event on <paramref name="item"/> at <paramref name="timeMs"/>.</summary>
    public void Add(int item, long timeMs)
    {
        if ((uint)item >= (uint)_short.Length) return;
        lock (_gate)
        {
            double ageDays = (_refMs - timeMs) / 86_400_000.0;
            _short[item] += (float)Math.Pow(0.5, ageDays / _shortDays);
            _long[item] += (float)Math.Pow(0.5, ageDays / _longDays);
        }
    }

    /// <summary>Decays the counts to <paramref name="nowMs"/> and publishes new scores.</summary>
    public void Tick(long nowMs)
    {
        var scores = new float[_short.Length];
        lock (_gate)
        {
            if (nowMs > _refMs)
            {
                double days = (nowMs - _refMs) / 86_400_000.0;
                float ds = (float)Math.Pow(0.5, days / _shortDays), dl = (float)Math.Pow(0.5, days / _longDays);
                System.Numerics.Tensors.TensorPrimitives.Multiply(_short, ds, _short);
                System.Numerics.Tensors.TensorPrimitives.Multiply(_long, dl, _long);
                _refMs = nowMs;
            }
            float ratio = (float)(_shortDays / _longDays);
            for (int i = 0; i < scores.Length; i++)
            {
                float expected = _long[i] * ratio;
                scores[i] = (_short[i] - expected) / MathF.Sqrt(expected + 1);
            }
        }
        var positive = new float[scores.Length];
        System.Numerics.Tensors.TensorPrimitives.Max(scores, 0f, positive);
        var top = new int[Math.Min(1000, positive.Length)];
        int found = Attune.Algorithms.Scoring.TopK.Select(positive, top.Length, top);
        _positive = positive;
        _top = top[..found];
    }
}
