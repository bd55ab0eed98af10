using System.Globalization;
using System.Text;

namespace Attune.Serving.Filtering;

internal enum TokenKind : byte { End, Number, String, Name, LParen, RParen, LBracket, RBracket, Comma, Eq, Ne, Lt, Le, Gt, Ge }

/// <summary>A token: <see cref="Text"/> is the decoded string of a string literal; <see cref="Number"/> a number literal's value.</summary>
internal readonly record struct Token(TokenKind Kind, int Start, int End, string? Text = null, double Number = 0);

/// <summary>Splits filter text into tokens on demand, so the first problem in reading order is the one reported.</summary>
internal sealed class FilterLexer(string text)
{
    private readonly string _text = text;
    private int _i;

    public Token Next()
    {
        string s = _text;
        while (_i < s.Length && char.IsWhiteSpace(s[_i])) _i++;
        int start = _i;
        if (_i >= s.Length) return new Token(TokenKind.End, s.Length, s.Length);
        char c = s[_i];
        char next = _i + 1 < s.Length ? s[_i + 1] : '\0';
        switch (c)
        {
            case '(': return Symbol(TokenKind.LParen, 1);
            case ')': return Symbol(TokenKind.RParen, 1);
            case '[': return Symbol(TokenKind.LBracket, 1);
            case ']': return Symbol(TokenKind.RBracket, 1);
            case ',': return Symbol(TokenKind.Comma, 1);
            case '=': return Symbol(TokenKind.Eq, next == '=' ? 2 : 1);
            case '!':
                if (next == '=') return Symbol(TokenKind.Ne, 2);
                throw new FilterSyntaxException(start, "unexpected '!'; write 'not' to negate, or '!=' for 'not equal'");
            case '<':
                if (next == '>') throw new FilterSyntaxException(start, "unexpected '<>'; write '!=' for 'not equal'");
                return next == '=' ? Symbol(TokenKind.Le, 2) : Symbol(TokenKind.Lt, 1);
            case '>': return next == '=' ? Symbol(TokenKind.Ge, 2) : Symbol(TokenKind.Gt, 1);
            case '"' or '\'': return ReadString(c);
            case '&': throw new FilterSyntaxException(start, "unexpected '&'; write 'and'");
            case '|': throw new FilterSyntaxException(start, "unexpected '|'; write 'or'");
        }
        if (char.IsAsciiDigit(c) || c is '-' or '+' || (c == '.' && char.IsAsciiDigit(next))) return ReadNumber();
        if (char.IsLetter(c) || c == '_')
        {
            while (_i < s.Length && IsNameChar(s[_i])) _i++;
            return new Token(TokenKind.Name, start, _i, s[start.._i]);
        }
        string shown = char.IsControl(c) || char.IsWhiteSpace(c) ? $"U+{(int)c:X4}" : $"'{c}'";
        throw new FilterSyntaxException(start, $"unexpected character {shown}");
    }

    /// <summary>Letters, digits, '_', '-' and '.' (which separates <c>properties.NAME</c> and <c>context.a.b</c>).</summary>
    internal static bool IsNameChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '-' or '.';

    private Token Symbol(TokenKind kind, int length)
    {
        int start = _i;
        _i += length;
        return new Token(kind, start, _i);
    }

    private Token ReadString(char quote)
    {
        string s = _text;
        int start = _i++;
        StringBuilder? sb = null;
        int runStart = _i;
        while (true)
        {
            if (_i >= s.Length)
                throw new FilterSyntaxException(start, $"unterminated string: no closing {quote}");
            char c = s[_i];
            if (c == quote)
            {
                string value = sb is null ? s[runStart.._i] : sb.Append(s, runStart, _i - runStart).ToString();
                _i++;
                return new Token(TokenKind.String, start, _i, value);
            }
            if (c == '\\')
            {
                if (_i + 1 >= s.Length) throw new FilterSyntaxException(start, $"unterminated string: no closing {quote}");
                char escaped = s[_i + 1];
                if (escaped is not ('"' or '\'' or '\\'))
                    throw new FilterSyntaxException(_i, $"unknown escape '\\{escaped}' in a string; only \\\", \\' and \\\\ are allowed");
                sb ??= new StringBuilder();
                sb.Append(s, runStart, _i - runStart).Append(escaped);
                _i += 2;
                runStart = _i;
                continue;
            }
            _i++;
        }
    }

    private Token ReadNumber()
    {
        string s = _text;
        int start = _i;
        bool ok = true;
        if (s[_i] is '-' or '+') _i++;
        ok &= Digits() > 0;
        if (_i < s.Length && s[_i] == '.')
        {
            _i++;
            ok &= Digits() > 0;
        }
        if (_i < s.Length && s[_i] is 'e' or 'E')
        {
            _i++;
            if (_i < s.Length && s[_i] is '+' or '-') _i++;
            ok &= Digits() > 0;
        }
        while (_i < s.Length && IsNameChar(s[_i]))
        {
            ok = false;
            _i++;
        }
        string literal = s[start.._i];
        if (!ok || !double.TryParse(literal, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            throw new FilterSyntaxException(start, $"bad number '{literal}'; write numbers like 12, 12.5, -3 or 1e3");
        if (!double.IsFinite(value)) throw new FilterSyntaxException(start, $"number '{literal}' is out of range");
        return new Token(TokenKind.Number, start, _i, Number: value);
    }

    private int Digits()
    {
        int from = _i;
        while (_i < _text.Length && char.IsAsciiDigit(_text[_i])) _i++;
        return _i - from;
    }
}
