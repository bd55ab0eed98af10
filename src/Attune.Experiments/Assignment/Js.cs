using System.Globalization;
using System.Text;

namespace Attune.Experiments.Assignment;

/// <summary>
/// The JavaScript rules the GrowthBook SDK's conditions rely on (ECMAScript 2024: ToString, ToNumber, ToPrimitive, ===,
/// SameValueZero, the abstract relational comparison), so a loosely typed condition gives the reference SDK's answer:
/// <c>"8" &gt; 5</c> is true, a missing attribute compares as null (0 in arithmetic), <c>[1,2] + ""</c> is <c>"1,2"</c>.
/// Strings and numbers take allocation-free paths; arrays and objects (rare as operands) may allocate.
/// </summary>
internal static class Js
{
    /// <summary>Longest text <see cref="TryFormatNumber"/> writes ("-1.2345678901234567e-308" is 24 characters).</summary>
    public const int MaxNumberLength = 32;

    // ------------------------------------------------------------------ ToString

    /// <summary><c>String(value)</c>.</summary>
    public static string ToJsString(in AttributeValue v)
    {
        switch (v.Kind)
        {
            case AttributeKind.String: return v.StringUnchecked;
            case AttributeKind.Null: return "null";
            case AttributeKind.Boolean: return v.AsBoolean ? "true" : "false";
            case AttributeKind.Number:
                Span<char> buf = stackalloc char[MaxNumberLength];
                TryFormatNumber(v.NumberUnchecked, buf, out int n);
                return new string(buf[..n]);
            case AttributeKind.Array:
                var sb = new StringBuilder();
                AppendJoined(v.ArrayUnchecked, sb);
                return sb.ToString();
            default: return "[object Object]";
        }
    }

    private static void AppendJoined(AttributeValue[] items, StringBuilder sb)
    {
        for (int i = 0; i < items.Length; i++)
        {
            if (i > 0) sb.Append(',');
            var item = items[i];
            if (item.Kind == AttributeKind.Null) continue; // null and undefined join as ""
            if (item.Kind == AttributeKind.Array) AppendJoined(item.ArrayUnchecked, sb);
            else sb.Append(ToJsString(item));
        }
    }

    /// <summary>
    /// <c>String(value)</c> into <paramref name="buffer"/> when that needs no allocation (strings, numbers, booleans, null),
    /// else into a new string.
    /// </summary>
    public static ReadOnlySpan<char> ToJsChars(in AttributeValue v, Span<char> buffer)
    {
        switch (v.Kind)
        {
            case AttributeKind.String: return v.StringUnchecked;
            case AttributeKind.Number:
                TryFormatNumber(v.NumberUnchecked, buffer, out int n);
                return buffer[..n];
            default: return ToJsString(v);
        }
    }

    /// <summary>
    /// Number::toString(10) (ECMAScript 6.1.6.1.20): the shortest digits that round-trip, plain notation for exponents from
    /// -7 to 20, otherwise <c>1.5e+21</c>/<c>1e-7</c>. <paramref name="dest"/> needs <see cref="MaxNumberLength"/> characters.
    /// </summary>
    public static bool TryFormatNumber(double x, Span<char> dest, out int written)
    {
        if (double.IsNaN(x)) return Copy("NaN", dest, out written);
        if (x == 0) return Copy("0", dest, out written);
        if (double.IsInfinity(x)) return Copy(x > 0 ? "Infinity" : "-Infinity", dest, out written);
        if (Math.Abs(x) < 1e15 && x == Math.Floor(x)) return ((long)x).TryFormat(dest, out written, default, CultureInfo.InvariantCulture);

        Span<char> raw = stackalloc char[MaxNumberLength];
        x.TryFormat(raw, out int rawLength, "R", CultureInfo.InvariantCulture);
        raw = raw[..rawLength];
        int pos = 0;
        written = 0;
        if (raw[0] == '-')
        {
            dest[written++] = '-';
            pos = 1;
        }
        // Collect the digits (no point) and where the point was; then the exponent.
        Span<char> digits = stackalloc char[MaxNumberLength];
        int k = 0, pointAt = -1, exponent = 0;
        for (; pos < raw.Length; pos++)
        {
            char c = raw[pos];
            if (c == '.') pointAt = k;
            else if (c is 'E' or 'e')
            {
                exponent = int.Parse(raw[(pos + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                break;
            }
            else digits[k++] = c;
        }
        int n = (pointAt < 0 ? k : pointAt) + exponent; // value = 0.digits × 10^n
        int lead = 0;
        while (lead < k - 1 && digits[lead] == '0') lead++;
        n -= lead;
        var s = digits[lead..k];
        int len = s.Length;
        while (len > 1 && s[len - 1] == '0') len--;
        s = s[..len];
        k = s.Length;

        if (k <= n && n <= 21)
        {
            s.CopyTo(dest[written..]);
            written += k;
            for (int i = 0; i < n - k; i++) dest[written++] = '0';
        }
        else if (0 < n && n <= 21)
        {
            s[..n].CopyTo(dest[written..]);
            written += n;
            dest[written++] = '.';
            s[n..].CopyTo(dest[written..]);
            written += k - n;
        }
        else if (-6 < n && n <= 0)
        {
            dest[written++] = '0';
            dest[written++] = '.';
            for (int i = 0; i < -n; i++) dest[written++] = '0';
            s.CopyTo(dest[written..]);
            written += k;
        }
        else
        {
            dest[written++] = s[0];
            if (k > 1)
            {
                dest[written++] = '.';
                s[1..].CopyTo(dest[written..]);
                written += k - 1;
            }
            dest[written++] = 'e';
            int e = n - 1;
            dest[written++] = e < 0 ? '-' : '+';
            Math.Abs(e).TryFormat(dest[written..], out int ew, default, CultureInfo.InvariantCulture);
            written += ew;
        }
        return true;
    }

    private static bool Copy(string s, Span<char> dest, out int written)
    {
        s.CopyTo(dest);
        written = s.Length;
        return true;
    }

    /// <summary><c>typeof</c>, with "null" and "array" as the SDK's <c>$type</c> names them.</summary>
    public static string TypeName(AttributeKind kind) => kind switch
    {
        AttributeKind.Null => "null",
        AttributeKind.Boolean => "boolean",
        AttributeKind.Number => "number",
        AttributeKind.String => "string",
        AttributeKind.Array => "array",
        _ => "object",
    };

    // ------------------------------------------------------------------ ToNumber

    /// <summary><c>Number(value)</c> (ToNumber): null → 0, booleans → 0/1, strings parsed, arrays through their string, objects NaN.</summary>
    public static double ToNumber(in AttributeValue v) => v.Kind switch
    {
        AttributeKind.Number => v.NumberUnchecked,
        AttributeKind.Null => 0,
        AttributeKind.Boolean => v.NumberUnchecked,
        AttributeKind.String => StringToNumber(v.StringUnchecked),
        AttributeKind.Array => StringToNumber(ToJsString(v)),
        _ => double.NaN,
    };

    /// <summary>StringToNumber (ECMAScript 7.1.4.1.1): trimmed, "" → 0, decimal, 0x/0o/0b integers, ±Infinity; anything else NaN.</summary>
    public static double StringToNumber(ReadOnlySpan<char> s)
    {
        s = TrimJs(s);
        if (s.IsEmpty) return 0;
        if (s.Length > 2 && s[0] == '0' && (s[1] | 0x20) is 'x' or 'o' or 'b')
        {
            int radix = (s[1] | 0x20) switch { 'x' => 16, 'o' => 8, _ => 2 };
            double value = 0;
            foreach (char c in s[2..])
            {
                int d = c is >= '0' and <= '9' ? c - '0' : (c | 0x20) is >= 'a' and <= 'f' ? (c | 0x20) - 'a' + 10 : 99;
                if (d >= radix) return double.NaN;
                value = value * radix + d;
            }
            return value;
        }
        var body = s[0] is '+' or '-' ? s[1..] : s;
        if (body.SequenceEqual("Infinity")) return s[0] == '-' ? double.NegativeInfinity : double.PositiveInfinity;
        if (!IsDecimalLiteral(body)) return double.NaN;
        return double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    /// <summary>StrUnsignedDecimalLiteral: digits with an optional point and exponent (<c>5</c>, <c>5.</c>, <c>.5</c>, <c>1e-3</c>).</summary>
    private static bool IsDecimalLiteral(ReadOnlySpan<char> s)
    {
        int i = 0, intDigits = 0, fracDigits = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; intDigits++; }
        if (i < s.Length && s[i] == '.')
        {
            i++;
            while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; fracDigits++; }
        }
        if (intDigits + fracDigits == 0) return false;
        if (i < s.Length && (s[i] | 0x20) == 'e')
        {
            i++;
            if (i < s.Length && s[i] is '+' or '-') i++;
            int expDigits = 0;
            while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; expDigits++; }
            if (expDigits == 0) return false;
        }
        return i == s.Length;
    }

    private static ReadOnlySpan<char> TrimJs(ReadOnlySpan<char> s)
    {
        int start = 0, end = s.Length;
        while (start < end && IsJsWhiteSpace(s[start])) start++;
        while (end > start && IsJsWhiteSpace(s[end - 1])) end--;
        return s[start..end];
    }

    private static bool IsJsWhiteSpace(char c) => c == '\uFEFF' || (c != '\u0085' && char.IsWhiteSpace(c));

    // ------------------------------------------------------------------ equality and comparison

    /// <summary><c>a === b</c>: same type and value; arrays and objects only when they are the same reference.</summary>
    public static bool StrictEquals(in AttributeValue a, in AttributeValue b)
    {
        if (a.Kind != b.Kind) return false;
        return a.Kind switch
        {
            AttributeKind.Null => true,
            AttributeKind.Boolean or AttributeKind.Number => a.NumberUnchecked == b.NumberUnchecked,
            AttributeKind.String => string.Equals(a.StringUnchecked, b.StringUnchecked, StringComparison.Ordinal),
            AttributeKind.Array => ReferenceEquals(a.ArrayUnchecked, b.ArrayUnchecked),
            _ => ReferenceEquals(a.AsObject, b.AsObject),
        };
    }

    /// <summary><c>JSON.stringify(a) === JSON.stringify(b)</c>, without building the strings (NaN and ±Infinity write as null).</summary>
    public static bool JsonEquals(in AttributeValue a, in AttributeValue b)
    {
        var ka = JsonKind(a);
        if (ka != JsonKind(b)) return false;
        switch (ka)
        {
            case AttributeKind.Null: return true;
            case AttributeKind.Boolean:
            case AttributeKind.Number: return a.NumberUnchecked == b.NumberUnchecked;
            case AttributeKind.String: return string.Equals(a.StringUnchecked, b.StringUnchecked, StringComparison.Ordinal);
            case AttributeKind.Array:
                var x = a.ArrayUnchecked;
                var y = b.ArrayUnchecked;
                if (x.Length != y.Length) return false;
                for (int i = 0; i < x.Length; i++)
                {
                    if (!JsonEquals(x[i], y[i])) return false;
                }
                return true;
            default:
                var o = a.AsObject!;
                var p = b.AsObject!;
                if (o.Count != p.Count) return false;
                for (int i = 0; i < o.Count; i++)
                {
                    if (!string.Equals(o.KeyAt(i), p.KeyAt(i), StringComparison.Ordinal) || !JsonEquals(o.ValueAt(i), p.ValueAt(i))) return false;
                }
                return true;
        }
    }

    private static AttributeKind JsonKind(in AttributeValue v) =>
        v.Kind == AttributeKind.Number && !double.IsFinite(v.NumberUnchecked) ? AttributeKind.Null : v.Kind;

    /// <summary>
    /// The abstract relational comparison of <c>a</c> and <c>b</c> after ToPrimitive: -1, 0 or 1, or null when it is undefined
    /// (a NaN). Two strings compare by UTF-16 code units; anything else as numbers.
    /// </summary>
    public static int? Compare(in AttributeValue a, in AttributeValue b)
    {
        var pa = ToPrimitive(a);
        var pb = ToPrimitive(b);
        if (pa.Kind == AttributeKind.String && pb.Kind == AttributeKind.String)
            return Math.Sign(string.CompareOrdinal(pa.StringUnchecked, pb.StringUnchecked));
        double x = ToNumber(pa), y = ToNumber(pb);
        if (double.IsNaN(x) || double.IsNaN(y)) return null;
        return x < y ? -1 : x > y ? 1 : 0;
    }

    /// <summary>ToPrimitive: arrays and objects become their string; other values stay.</summary>
    public static AttributeValue ToPrimitive(in AttributeValue v) =>
        v.Kind is AttributeKind.Array or AttributeKind.Object ? AttributeValue.FromString(ToJsString(v)) : v;

    /// <summary><c>value + "" === expected</c> without allocating for strings and numbers.</summary>
    public static bool StringEquals(in AttributeValue v, string expected)
    {
        if (v.Kind == AttributeKind.String) return string.Equals(v.StringUnchecked, expected, StringComparison.Ordinal);
        Span<char> buf = stackalloc char[MaxNumberLength];
        return ToJsChars(v, buf).SequenceEqual(expected);
    }

    /// <summary>The SDK's <c>toString</c> for sticky-bucket keys: a string as it is, anything else as JSON.</summary>
    public static string ToKeyString(in AttributeValue v) => v.Kind == AttributeKind.String ? v.StringUnchecked : AttributeJson.Serialize(v);
}
