using System.Numerics.Tensors;
using Attune.Algorithms.Popularity;
using Attune.Algorithms.Scoring;

namespace Attune.Serving.Live;

/// <summary>
/// Online trending: the short- and long-window <see cref="DecayedCounts"/> of the model, bumped by every live event and
/// rescored by <see cref="Tick"/> (once a second) with <see cref="DecayedCounts.TrendScores"/>, the score the trending model
/// is evaluated with.
/// </summary>
public sealed class TrendingCounters
{
    private readonly Lock _gate = new();
    private readonly DecayedCounts _short, _long;
    private volatile float[] _positive = [];
    private volatile int[] _top = [];

    /// <summary>The most trending items, best first (up to 1,000; recomputed every tick).</summary>
    public ReadOnlySpan<int> Top(int k) => _top.AsSpan(0, Math.Min(k, _top.Length));

    /// <param name="shortCounts">The short window's counts at <paramref name="refMs"/> (copied).</param>
    /// <param name="longCounts">The long window's counts at <paramref name="refMs"/> (copied).</param>
    public TrendingCounters(float[] shortCounts, float[] longCounts, long refMs, double shortDays, double longDays)
    {
        _short = new DecayedCounts((float[])shortCounts.Clone(), shortDays, refMs);
        _long = new DecayedCounts((float[])longCounts.Clone(), longDays, refMs);
        Tick(refMs);
    }

    /// <summary>The scores clipped at 0: how much an item is rising (falling items count as not trending).</summary>
    public float[] Positive => _positive;

    /// <summary>Counts one positive event on <paramref name="item"/> at <paramref name="timeMs"/>.</summary>
    public void Add(int item, long timeMs)
    {
        if ((uint)item >= (uint)_short.Items) return;
        lock (_gate)
        {
            _short.Add(item, 1f, timeMs);
            _long.Add(item, 1f, timeMs);
        }
    }

    /// <summary>Decays the counts to <paramref name="nowMs"/> and publishes new scores.</summary>
    public void Tick(long nowMs)
    {
        var scores = new float[_short.Items];
        lock (_gate)
        {
            _short.AdvanceTo(nowMs);
            _long.AdvanceTo(nowMs);
            DecayedCounts.TrendScores(_short, _long, scores);
        }
        // Clipped in place: the scores array becomes the published one.
        TensorPrimitives.Max(scores, 0f, scores);
        var top = new int[Math.Min(1000, scores.Length)];
        int found = TopK.Select(scores, top.Length, top);
        _positive = scores;
        _top = top[..found];
    }
}
