using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Attune.Algorithms.Data;

namespace Attune.Algorithms.Popularity;

/// <summary>
/// Per-item sums of event weights where an event counts <c>weight · 0.5^(age / halfLife)</c>, its age measured to a reference
/// time. The one definition of popularity and of trending's windows: the evaluation models, the serving bundle and the live
/// trending counters all count with it, so what <c>attune evaluate</c> measures is what serves.
/// </summary>
/// <remarks>
/// Moving the reference time forward multiplies every count by the same factor (<see cref="AdvanceTo"/>), so live events can
/// be added to counts trained earlier without recounting. A half-life ≤ 0 means no decay.
/// </remarks>
public sealed class DecayedCounts
{
    public const double DayMs = 86_400_000;

    private readonly float[] _counts;

    /// <summary>Counts over these values (adopted, not copied) at <paramref name="referenceMs"/>.</summary>
    public DecayedCounts(float[] counts, double halfLifeDays, long referenceMs)
    {
        _counts = counts;
        HalfLifeDays = halfLifeDays;
        ReferenceMs = referenceMs;
    }

    public DecayedCounts(int items, double halfLifeDays, long referenceMs) : this(new float[items], halfLifeDays, referenceMs) { }

    public double HalfLifeDays { get; }

    /// <summary>The time the counts are decayed to (Unix ms).</summary>
    public long ReferenceMs { get; private set; }

    public int Items => _counts.Length;

    /// <summary>The counts (the array itself: the bundle stores it).</summary>
    public float[] Counts => _counts;

    /// <summary><c>0.5^(ageMs / halfLife)</c>; 1 when the half-life is ≤ 0. A negative age (after the reference) gives &gt; 1.</summary>
    public static double Decay(double ageMs, double halfLifeDays) => halfLifeDays > 0 ? Math.Pow(0.5, ageMs / (halfLifeDays * DayMs)) : 1;

    /// <summary>Counts one event of <paramref name="weight"/> on <paramref name="item"/> at <paramref name="timeMs"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(int item, float weight, long timeMs) =>
        _counts[item] += (float)(weight * Decay(ReferenceMs - timeMs, HalfLifeDays));

    /// <summary>
    /// Counts every positive event of <paramref name="events"/> (negative signals, such as refunds, do not make an item popular),
    /// with its weight when <paramref name="weighted"/>, else 1.
    /// </summary>
    public void AddPositive(EventLog events, bool weighted)
    {
        var items = events.Items;
        var weights = events.Weights;
        var times = events.TimesMs;
        for (int k = 0; k < events.Count; k++)
        {
            float w = weights[k];
            if (w <= 0) continue;
            Add(items[k], weighted ? w : 1f, times[k]);
        }
    }

    /// <summary>The positive events of <paramref name="events"/> counted at their newest time (<see cref="EventLog.LatestMs"/>).</summary>
    public static DecayedCounts Of(EventLog events, int items, double halfLifeDays, bool weighted)
    {
        var counts = new DecayedCounts(items, halfLifeDays, events.LatestMs);
        counts.AddPositive(events, weighted);
        return counts;
    }

    /// <summary>Decays the counts to <paramref name="nowMs"/>; a time at or before the reference changes nothing.</summary>
    public void AdvanceTo(long nowMs)
    {
        if (nowMs <= ReferenceMs) return;
        if (HalfLifeDays > 0) TensorPrimitives.Multiply(_counts, (float)Decay(nowMs - ReferenceMs, HalfLifeDays), _counts);
        ReferenceMs = nowMs;
    }

    /// <summary>
    /// Trending: with <c>S</c> the short window's count and <c>L</c> the long one's, an item's expected short count is
    /// <c>E = L · short/long</c> and its score the Poisson z-score <c>(S − E) / sqrt(E + 1)</c>, so a niche item that suddenly
    /// takes off outranks a steady best-seller. Both windows must be at the same reference time.
    /// </summary>
    public static void TrendScores(DecayedCounts shortWindow, DecayedCounts longWindow, Span<float> scores)
    {
        if (shortWindow.ReferenceMs != longWindow.ReferenceMs) throw new ArgumentException("the windows are at different times");
        if (!(shortWindow.HalfLifeDays > 0 && longWindow.HalfLifeDays > shortWindow.HalfLifeDays))
            throw new ArgumentException("need 0 < short half-life < long half-life");
        ReadOnlySpan<float> s = shortWindow._counts, l = longWindow._counts;
        if (l.Length != s.Length || scores.Length != s.Length) throw new ArgumentException("the windows and scores differ in length");
        float ratio = (float)(shortWindow.HalfLifeDays / longWindow.HalfLifeDays);
        for (int i = 0; i < scores.Length; i++)
        {
            float expected = l[i] * ratio;
            scores[i] = (s[i] - expected) / MathF.Sqrt(expected + 1);
        }
    }
}
