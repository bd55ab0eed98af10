using System.Globalization;

namespace Attune.Experiments.Statistics;

/// <summary>
/// Writes a double as Python's <c>repr</c> does (shortest round-trip digits, <c>0.0</c>, <c>1e-05</c>, <c>1e+16</c>), so that our
/// JSON matches gbstats' <c>json.dumps</c> character for character and the two can be diffed.
/// </summary>
internal static class PythonFloat
{
    /// <summary>The repr of a finite double; non-finite values are the caller's business (the contract writes "inf", "-inf", "nan").</summary>
    public static string Repr(double value)
    {
        if (value == 0) return double.IsNegative(value) ? "-0.0" : "0.0";
        // .NET Core 3.0+ "R" gives the shortest digits that round-trip, like Python's repr; only the layout differs.
        string r = value.ToString("R", CultureInfo.InvariantCulture);
        bool negative = r[0] == '-';
        if (negative) r = r[1..];
        int exponent = 0;
        int e = r.IndexOf('E');
        if (e >= 0)
        {
            exponent = int.Parse(r.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            r = r[..e];
        }
        int dot = r.IndexOf('.');
        string digits = dot >= 0 ? r.Remove(dot, 1) : r;
        int pointPosition = (dot >= 0 ? dot : r.Length) + exponent; // digits before the decimal point
        int leadingZeros = 0;
        while (leadingZeros < digits.Length - 1 && digits[leadingZeros] == '0') leadingZeros++;
        digits = digits[leadingZeros..];
        pointPosition -= leadingZeros;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) digits = "0";

        string body;
        if (pointPosition > -4 && pointPosition <= 16)
        {
            if (pointPosition <= 0) body = "0." + new string('0', -pointPosition) + digits;
            else if (pointPosition >= digits.Length) body = digits + new string('0', pointPosition - digits.Length) + ".0";
            else body = digits[..pointPosition] + "." + digits[pointPosition..];
        }
        else
        {
            int exp = pointPosition - 1;
            string mantissa = digits.Length > 1 ? digits[0] + "." + digits[1..] : digits;
            body = mantissa + "e" + (exp < 0 ? "-" : "+") + Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture);
        }
        return negative ? "-" + body : body;
    }
}
