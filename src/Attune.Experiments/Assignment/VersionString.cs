namespace Attune.Experiments.Assignment;

/// <summary>
/// The SDK's <c>paddedVersionString</c>, which makes versions comparable as plain strings: a leading <c>v</c> and build
/// metadata (<c>+…</c>) dropped, split on <c>.</c> and <c>-</c>, <c>~</c> appended to a release without pre-release parts
/// (so 1.0.0 &gt; 1.0.0-beta), every all-digit part left-padded with spaces to 5 characters, joined with <c>-</c>. Anything
/// that is not a non-empty string or a number reads as "0".
/// </summary>
internal static class VersionString
{
    public static string Pad(in AttributeValue v)
    {
        Span<char> buf = stackalloc char[Js.MaxNumberLength];
        var text = v.Kind switch
        {
            AttributeKind.String => v.StringUnchecked.AsSpan(),
            AttributeKind.Number => Js.ToJsChars(v, buf),
            _ => default,
        };
        if (text.IsEmpty) text = "0";
        char[] dest = new char[MaxLength(text.Length)];
        return new string(dest, 0, PadInto(text, dest));
    }

    /// <summary>Compares the padded forms of two versions without allocating for short versions.</summary>
    public static int Compare(in AttributeValue actual, string paddedExpected)
    {
        Span<char> num = stackalloc char[Js.MaxNumberLength];
        var text = actual.Kind switch
        {
            AttributeKind.String => actual.StringUnchecked.AsSpan(),
            AttributeKind.Number => Js.ToJsChars(actual, num),
            _ => default,
        };
        if (text.IsEmpty) text = "0";
        int max = MaxLength(text.Length);
        if (max > 256) return Pad(actual).AsSpan().SequenceCompareTo(paddedExpected);
        Span<char> dest = stackalloc char[256];
        int n = PadInto(text, dest);
        return ((ReadOnlySpan<char>)dest[..n]).CompareTo(paddedExpected, StringComparison.Ordinal);
    }

    // Not ContainsAnyExceptInRange: that allocates (96 B a call, .NET 10) on this path.
    internal static bool AllDigits(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty) return false;
        foreach (char c in s)
        {
            if (!char.IsAsciiDigit(c)) return false;
        }
        return true;
    }

    private static int MaxLength(int length) => 6 * (length + 2);

    private static int PadInto(ReadOnlySpan<char> text, Span<char> dest)
    {
        if (text.Length > 0 && text[0] == 'v') text = text[1..];
        int plus = text.IndexOf('+');
        if (plus >= 0) text = text[..plus];
        int written = 0, parts = 0, start = 0;
        for (int i = 0; i <= text.Length; i++)
        {
            if (i < text.Length && text[i] != '.' && text[i] != '-') continue;
            if (parts++ > 0) dest[written++] = '-';
            var part = text[start..i];
            if (AllDigits(part))
            {
                for (int p = part.Length; p < 5; p++) dest[written++] = ' ';
            }
            part.CopyTo(dest[written..]);
            written += part.Length;
            start = i + 1;
        }
        if (parts == 3)
        {
            dest[written++] = '-';
            dest[written++] = '~';
        }
        return written;
    }
}
