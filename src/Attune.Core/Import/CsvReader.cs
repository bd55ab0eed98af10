namespace Attune.Import;

/// <summary>
/// Reads RFC 4180 records: fields split by a separator, a field in double quotes may hold separators, line breaks and
/// doubled quotes (<c>""</c>). The separator is taken from the header line: whichever of <c>,</c> <c>;</c> and tab is most
/// frequent there (comma on a tie). Blank lines between records are skipped. Lenient where RFC 4180 is silent: a quote
/// inside an unquoted field, or text after a closing quote, is kept as it is.
/// </summary>
internal sealed class CsvReader(LineReader lines)
{
    private char _separator;
    private char[] _chars = new char[4096];
    private int _length;
    private readonly List<(int Start, int Length)> _fields = new();

    /// <summary>The line the current record starts on (1-based).</summary>
    public long RecordLine { get; private set; }

    /// <summary>Physical lines read so far.</summary>
    public long LinesRead => lines.LineNumber;

    /// <summary>Whether the current record ends inside a quoted field (the file ended before the closing quote).</summary>
    public bool Unterminated { get; private set; }

    public int FieldCount => _fields.Count;

    public ReadOnlySpan<char> this[int i] => _chars.AsSpan(_fields[i].Start, _fields[i].Length);

    public string GetString(int i) => this[i].ToString();

    /// <summary>Reads the next non-blank record; false at the end of the file.</summary>
    public bool Read()
    {
        _fields.Clear();
        _length = 0;
        Unterminated = false;
        ReadOnlySpan<char> line;
        do
        {
            if (!lines.TryReadLine(out line)) return false;
        } while (line.IsWhiteSpace());
        RecordLine = lines.LineNumber;
        if (_separator == '\0') _separator = DetectSeparator(line);

        if (!line.Contains('"'))
        {
            // Fast path: no quoting, so fields are the pieces between separators.
            Append(line);
            int start = 0;
            var all = _chars.AsSpan(0, _length);
            while (true)
            {
                int i = all[start..].IndexOf(_separator);
                if (i < 0) { _fields.Add((start, _length - start)); break; }
                _fields.Add((start, i));
                start += i + 1;
            }
            return true;
        }

        int fieldStart = 0;
        bool inQuotes = false;
        while (true)
        {
            for (int i = 0; i < line.Length; i++)
            {
                char c = line[i];
                if (inQuotes)
                {
                    if (c == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"') { Append('"'); i++; }
                        else inQuotes = false;
                    }
                    else Append(c);
                }
                else if (c == _separator)
                {
                    _fields.Add((fieldStart, _length - fieldStart));
                    fieldStart = _length;
                }
                else if (c == '"' && _length == fieldStart) inQuotes = true;
                else Append(c);
            }
            if (!inQuotes) break;
            // A quoted field goes on over the line break.
            if (!lines.TryReadLine(out line))
            {
                Unterminated = true;
                break;
            }
            Append('\n');
        }
        _fields.Add((fieldStart, _length - fieldStart));
        return true;
    }

    private static char DetectSeparator(ReadOnlySpan<char> header)
    {
        int commas = 0, semicolons = 0, tabs = 0;
        bool quoted = false;
        foreach (char c in header)
        {
            if (c == '"') quoted = !quoted;
            else if (!quoted)
            {
                if (c == ',') commas++;
                else if (c == ';') semicolons++;
                else if (c == '\t') tabs++;
            }
        }
        if (semicolons > commas && semicolons >= tabs) return ';';
        if (tabs > commas && tabs > semicolons) return '\t';
        return ',';
    }

    private void Append(char c)
    {
        if (_length == _chars.Length) Array.Resize(ref _chars, _chars.Length * 2);
        _chars[_length++] = c;
    }

    private void Append(ReadOnlySpan<char> s)
    {
        if (_length + s.Length > _chars.Length) Array.Resize(ref _chars, Math.Max(_chars.Length * 2, _length + s.Length));
        s.CopyTo(_chars.AsSpan(_length));
        _length += s.Length;
    }

    /// <summary>Lower-case header name without <c>_</c>, <c>-</c> and spaces, for matching aliases: <c>user_id</c> → <c>userid</c>.</summary>
    public static string Normalize(ReadOnlySpan<char> header)
    {
        Span<char> buffer = header.Length <= 128 ? stackalloc char[header.Length] : new char[header.Length];
        int n = 0;
        foreach (char c in header.Trim())
        {
            if (c is '_' or '-' or ' ') continue;
            buffer[n++] = char.ToLowerInvariant(c);
        }
        return new string(buffer[..n]);
    }
}
