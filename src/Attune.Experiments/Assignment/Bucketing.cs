namespace Attune.Experiments.Assignment;

/// <summary>A half-open range [<see cref="Start"/>, <see cref="End"/>) of the hash space [0, 1].</summary>
public readonly record struct BucketRange(double Start, double End)
{
    public bool Contains(double n) => n >= Start && n < End;
}

/// <summary>A namespace slice: users whose namespace hash (<c>hash("__" + Id, value, 1)</c>) is in [Start, End) may enter.</summary>
public sealed record Namespace(string Id, double Start, double End)
{
    internal string Seed { get; } = "__" + Id;
}

/// <summary>The assignment arithmetic of the GrowthBook SDK spec: ranges from weights and coverage, and the choice among them.</summary>
public static class Bucketing
{
    /// <summary><paramref name="n"/> equal weights (none when n ≤ 0).</summary>
    public static double[] GetEqualWeights(int n)
    {
        if (n <= 0) return [];
        var w = new double[n];
        Array.Fill(w, 1.0 / n);
        return w;
    }

    /// <summary>
    /// One range per variation: variation i starts at the sum of the weights before it and covers <paramref name="coverage"/>
    /// of its weight. Coverage is clamped to [0, 1]; weights of the wrong count or not summing to 1 (±0.01) become equal.
    /// </summary>
    public static BucketRange[] GetBucketRanges(int numVariations, double? coverage, IReadOnlyList<double>? weights)
    {
        double c = Math.Clamp(coverage ?? 1, 0, 1);
        if (weights is null || weights.Count != numVariations || !SumsToOne(weights)) weights = GetEqualWeights(numVariations);
        var ranges = new BucketRange[weights.Count];
        double cumulative = 0;
        for (int i = 0; i < ranges.Length; i++)
        {
            double start = cumulative;
            cumulative += weights[i];
            ranges[i] = new BucketRange(start, start + c * weights[i]);
        }
        return ranges;
    }

    /// <summary>Whether weights sum to 1 within the SDK's tolerance of 0.01.</summary>
    public static bool SumsToOne(IReadOnlyList<double> weights)
    {
        double total = 0;
        for (int i = 0; i < weights.Count; i++) total += weights[i];
        return total is >= 0.99 and <= 1.01;
    }

    /// <summary>The first range holding <paramref name="n"/>, or -1.</summary>
    public static int ChooseVariation(double n, ReadOnlySpan<BucketRange> ranges)
    {
        for (int i = 0; i < ranges.Length; i++)
        {
            if (ranges[i].Contains(n)) return i;
        }
        return -1;
    }

    /// <summary>Whether the hash value falls in the namespace's slice.</summary>
    public static bool InNamespace(in AttributeValue hashValue, Namespace ns)
    {
        double? n = Hashing.Hash(ns.Seed, hashValue, 1);
        return n is { } v && v >= ns.Start && v < ns.End;
    }

    public static bool InNamespace(string hashValue, Namespace ns) => InNamespace(AttributeValue.FromString(hashValue), ns);
}
