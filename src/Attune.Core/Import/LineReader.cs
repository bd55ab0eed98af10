using System.Text;

namespace Attune.Import;

/// <summary>
/// Reads lines of a UTF-8 (or BOM-marked, or given) text stream as spans over one reusable buffer, so reading a line allocates nothing.
/// A line ends at <c>\n</c>; a <c>\r</c> before it is dropped. A span is valid until the next <see cref="TryReadLine"/>.
/// </summary>
internal sealed class LineReader : IDisposable
{
    /// <summary>Longest line accepted (64 Mi characters); a longer one means the file is not line-oriented text.</summary>
    public const int MaxLineChars = 64 << 20;

    private readonly StreamReader _reader;
    private char[] _buffer;
    private int _pos, _len;
    private bool _eof;

    public LineReader(Stream stream, int bufferChars = 1 << 20, Encoding? encoding = null)
    {
        _reader = new StreamReader(stream, encoding ?? Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 20, leaveOpen: true);
        _buffer = new char[bufferChars];
    }

    /// <summary>The 1-based number of the last line returned.</summary>
    public long LineNumber { get; private set; }

    public bool TryReadLine(out ReadOnlySpan<char> line)
    {
        int scanned = 0;
        while (true)
        {
            var rest = _buffer.AsSpan(_pos + scanned, _len - _pos - scanned);
            int nl = rest.IndexOf('\n');
            if (nl >= 0)
            {
                int end = _pos + scanned + nl;
                line = _buffer.AsSpan(_pos, end - _pos);
                _pos = end + 1;
                return Done(ref line);
            }
            scanned = _len - _pos;
            if (_eof)
            {
                if (_pos < _len)
                {
                    line = _buffer.AsSpan(_pos, _len - _pos);
                    _pos = _len;
                    return Done(ref line);
                }
                line = default;
                return false;
            }
            Fill();
        }
    }

    private bool Done(ref ReadOnlySpan<char> line)
    {
        if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
        LineNumber++;
        return true;
    }

    private void Fill()
    {
        int remaining = _len - _pos;
        if (_pos > 0)
        {
            Array.Copy(_buffer, _pos, _buffer, 0, remaining);
        }
        else if (remaining == _buffer.Length)
        {
            if (_buffer.Length >= MaxLineChars)
                throw new InvalidDataException($"line {LineNumber + 1} is longer than {MaxLineChars} characters; is this a text file in the stated format?");
            Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, MaxLineChars));
        }
        _pos = 0;
        _len = remaining;
        int n = _reader.Read(_buffer, _len, _buffer.Length - _len);
        if (n == 0) _eof = true;
        else _len += n;
    }

    public void Dispose() => _reader.Dispose();
}
