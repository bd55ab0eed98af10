using System.Globalization;
using System.Runtime.CompilerServices;

namespace Attune.Experiments.Assignment;

/// <summary>
/// The GrowthBook bucketing hash: FNV-1a (32 bit) over UTF-16 code units, as <c>hashFnv32a</c> in the JavaScript SDK.
/// Version 1 (biased, kept for old experiments): <c>fnv(value + seed) % 1000 / 1000</c>. Version 2:
/// <c>fnv(fnv(seed + value) as decimal text) % 10000 / 10000</c>. Allocation-free for string and number values.
/// </summary>
public static class Hashing
{
    private const uint OffsetBasis = 0x811c9dc5;
    private const uint Prime = 16777619;

    /// <summary>FNV-1a 32 of the UTF-16 code units of <paramref name="text"/>.</summary>
    public static uint Fnv1a32(ReadOnlySpan<char> text) => Step(OffsetBasis, text);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Step(uint h, ReadOnlySpan<char> text)
    {
        foreach (char c in text)
        {
            h ^= c;
            h *= Prime;
        }
        return h;
    }

    /// <summary>A number in [0, 1) for <paramref name="value"/> under <paramref name="seed"/>; null for an unknown version.</summary>
    public static double? Hash(string seed, string value, int version) => Hash(seed, value.AsSpan(), version);

    /// <summary>As <see cref="Hash(string, string, int)"/>, for any attribute value (numbers hash as JavaScript prints them).</summary>
    public static double? Hash(string seed, in AttributeValue value, int version)
    {
        Span<char> buf = stackalloc char[Js.MaxNumberLength];
        return Hash(seed, Js.ToJsChars(value, buf), version);
    }

    public static double? Hash(ReadOnlySpan<char> seed, ReadOnlySpan<char> value, int version)
    {
        switch (version)
        {
            case 2:
                uint inner = Step(Step(OffsetBasis, seed), value);
                Span<char> digits = stackalloc char[10];
                inner.TryFormat(digits, out int n, default, CultureInfo.InvariantCulture);
                return Fnv1a32(digits[..n]) % 10000 / 10000.0;
            case 1:
                return Step(Step(OffsetBasis, value), seed) % 1000 / 1000.0;
            default:
                return null;
        }
    }
}
