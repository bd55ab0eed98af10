using System.Numerics;
using System.Runtime.CompilerServices;

namespace Attune.Demo;

/// <summary>
/// A small, fast, seeded generator (xoshiro256**, seeded through SplitMix64). A mutable struct: keep it in a field or
/// pass it by <see langword="ref"/>, never by value, or draws repeat.
/// </summary>
internal struct DemoRandom
{
    private ulong _s0, _s1, _s2, _s3;

    public DemoRandom(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    /// <summary>A generator for one independent stream: the seed, a stream kind and an index (a user, say).</summary>
    public static DemoRandom For(int seed, int stream, int index)
    {
        ulong x = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL;
        x ^= ((ulong)(uint)stream << 32 | (uint)index) + 0xD1B54A32D192ED03UL;
        ulong h = SplitMix(ref x);
        return new DemoRandom(h ^ (ulong)(uint)index * 0xBF58476D1CE4E5B9UL);
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, <paramref name="n"/>); <paramref name="n"/> must be positive.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Next(int n) => (int)(((NextUInt64() >> 32) * (ulong)(uint)n) >> 32);

    /// <summary>Uniform in [<paramref name="min"/>, <paramref name="max"/>] (both included).</summary>
    public int Between(int min, int max) => min + Next(max - min + 1);

    public double Uniform(double min, double max) => min + (max - min) * NextDouble();

    public long UniformLong(long min, long maxExclusive) =>
        maxExclusive <= min ? min : min + (long)((maxExclusive - min) * NextDouble());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Chance(double p) => NextDouble() < p;

    /// <summary>Standard normal (Box–Muller).</summary>
    public double NextNormal()
    {
        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    public double LogNormal(double mu, double sigma) => Math.Exp(mu + sigma * NextNormal());

    public double Exponential(double mean) => -mean * Math.Log(1.0 - NextDouble());

    /// <summary>An index drawn in proportion to weights given as a running total (non-decreasing, last entry positive).</summary>
    public int Pick(ReadOnlySpan<double> cumulative)
    {
        double u = NextDouble() * cumulative[^1];
        int lo = 0, hi = cumulative.Length - 1;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (cumulative[mid] > u) hi = mid;
            else lo = mid + 1;
        }
        return lo;
    }

    /// <summary>A Fisher–Yates shuffle.</summary>
    public void Shuffle<T>(Span<T> values)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = Next(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }
}
