namespace Attune.Decisions.Features;

/// <summary>
/// Hashed sparse features: each a 32-bit hash of its name (namespace path, and for a string its value) and a value. The hash is
/// not yet reduced to the learner's table size, so one feature set serves learners of any size and the quadratic context ×
/// action terms can be hashed from the two full hashes (<see cref="FeatureHash.Cross"/>).
/// </summary>
public sealed class FeatureSet
{
    private uint[] _hashes;
    private float[] _values;

    public FeatureSet(int capacity = 16)
    {
        _hashes = new uint[Math.Max(1, capacity)];
        _values = new float[Math.Max(1, capacity)];
    }

    public int Count { get; private set; }

    /// <summary>
    /// What the action earns when it converts, as a share of the largest reward (an action's set only; 1 unless given): the
    /// <see cref="Learning.RewardModel.Conversion"/> learner predicts the reward as worth × the probability of converting.
    /// </summary>
    public float Worth { get; set; } = 1;

    public ReadOnlySpan<uint> Hashes => _hashes.AsSpan(0, Count);

    public ReadOnlySpan<float> Values => _values.AsSpan(0, Count);

    public void Add(uint hash, float value)
    {
        if (Count == _hashes.Length)
        {
            Array.Resize(ref _hashes, Count * 2);
            Array.Resize(ref _values, Count * 2);
        }
        _hashes[Count] = hash;
        _values[Count] = value;
        Count++;
    }

    /// <summary>Appends every feature of <paramref name="other"/>.</summary>
    public void AddAll(FeatureSet other)
    {
        for (int i = 0; i < other.Count; i++) Add(other._hashes[i], other._values[i]);
    }

    public void Clear() => Count = 0;

    /// <summary>Σ value², the squared norm (Thompson sampling's variance, the learner's step bound).</summary>
    public float SquaredNorm()
    {
        float s = 0;
        for (int i = 0; i < Count; i++) s += _values[i] * _values[i];
        return s;
    }
}

/// <summary>The hashes behind <see cref="FeatureSet"/>: FNV-1a over the UTF-16 name, finished by Murmur3's mixer.</summary>
public static class FeatureHash
{
    public const uint Seed = 2166136261;
    private const uint Prime = 16777619;

    /// <summary>Continues a hash over <paramref name="text"/> (chain calls for "namespace.name=value" without concatenating).</summary>
    public static uint Continue(uint hash, ReadOnlySpan<char> text)
    {
        foreach (char c in text)
        {
            hash ^= c;
            hash *= Prime;
        }
        return hash;
    }

    public static uint Continue(uint hash, char c) => (hash ^ c) * Prime;

    /// <summary>The final, well-mixed hash of a name built with <see cref="Continue(uint, ReadOnlySpan{char})"/>.</summary>
    public static uint Finish(uint hash)
    {
        hash ^= hash >> 16;
        hash *= 0x85ebca6b;
        hash ^= hash >> 13;
        hash *= 0xc2b2ae35;
        hash ^= hash >> 16;
        return hash;
    }

    public static uint Of(ReadOnlySpan<char> name) => Finish(Continue(Seed, name));

    /// <summary>The hash of the product feature of a context feature and an action feature (the quadratic terms).</summary>
    public static uint Cross(uint context, uint action) => Finish(context * 0x9E3779B1u ^ action);

    /// <summary>The constant feature every example has (the learner's intercept).</summary>
    public static readonly uint Bias = Of("\u0001bias");
}
