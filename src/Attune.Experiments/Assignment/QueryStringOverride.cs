namespace Attune.Experiments.Assignment;

/// <summary>The SDK's <c>getQueryStringOverride</c>: <c>?my-experiment=1</c> in the page URL forces variation 1 (QA links).</summary>
public static class QueryStringOverride
{
    /// <summary>The forced variation, or null when the URL names none (or one out of range).</summary>
    public static int? Get(string experimentKey, string? url, int numVariations)
    {
        if (string.IsNullOrEmpty(url)) return null;
        // url.split("?")[1]: between the first and the second '?'.
        int q = url.IndexOf('?');
        if (q < 0) return null;
        var search = url.AsSpan(q + 1);
        int next = search.IndexOf('?');
        if (next >= 0) search = search[..next];
        int hash = search.IndexOf('#');
        if (hash >= 0) search = search[..hash];
        if (search.IsEmpty) return null;
        foreach (var range in search.Split('&'))
        {
            var kv = search[range];
            int eq = kv.IndexOf('=');
            var k = eq < 0 ? kv : kv[..eq];
            if (!k.SequenceEqual(experimentKey)) continue;
            if (eq < 0) return null; // parseInt(undefined) is NaN
            var v = kv[(eq + 1)..];
            int eq2 = v.IndexOf('=');
            if (eq2 >= 0) v = v[..eq2];
            double n = ParseInt(v);
            return n >= 0 && n < numVariations ? (int)n : null;
        }
        return null;
    }

    /// <summary>JavaScript's <c>parseInt(s)</c>: leading whitespace, a sign, then decimal digits (or 0x hex) up to the first other character.</summary>
    private static double ParseInt(ReadOnlySpan<char> s)
    {
        s = s.TrimStart();
        bool negative = false;
        if (s.Length > 0 && s[0] is '+' or '-')
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        int radix = 10;
        if (s.Length >= 2 && s[0] == '0' && (s[1] | 0x20) == 'x')
        {
            radix = 16;
            s = s[2..];
        }
        double value = 0;
        int digits = 0;
        foreach (char c in s)
        {
            int d = c is >= '0' and <= '9' ? c - '0' : radix == 16 && (c | 0x20) is >= 'a' and <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
            if (d < 0) break;
            value = value * radix + d;
            digits++;
        }
        if (digits == 0) return double.NaN;
        return negative ? -value : value;
    }
}
