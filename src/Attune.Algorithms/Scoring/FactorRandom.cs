namespace Attune.Algorithms.Scoring;

/// <summary>
/// A small, fast, seedable generator (SplitMix64) for factor initialisation and SGD sampling. A value type: each thread keeps
/// its own, seeded from the model seed and its shard, so results depend on the seed and not on scheduling.
/// </summary>
internal struct FactorRandom(ulong seed)
{
    private ulong _state = seed;

    public static FactorRandom For(int seed, int stream, int substream = 0) =>
        new(Mix((ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ Mix((ulong)(uint)stream + 0xD1B54A32D192ED03UL) ^ Mix((ulong)(uint)substream + 0x8CB92BA72F3D8DD7UL)));

    public ulong NextULong()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        return Mix(z);
    }

    /// <summary>Uniform in <c>0 .. n-1</c> (Lemire's multiply-shift; the bias is below 2⁻³² for any int n).</summary>
    public int Next(int n) => (int)((NextULong() >> 32) * (ulong)(uint)n >> 32);

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Fills <paramref name="values"/> with normal deviates of mean 0 and standard deviation <paramref name="std"/> (Box–Muller).</summary>
    public void FillNormal(Span<float> values, float std)
    {
        for (int i = 0; i < values.Length; i += 2)
        {
            double u1 = 1.0 - NextDouble(), u2 = NextDouble();
            double r = Math.Sqrt(-2.0 * Math.Log(u1)) * std;
            values[i] = (float)(r * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < values.Length) values[i + 1] = (float)(r * Math.Sin(2 * Math.PI * u2));
        }
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
