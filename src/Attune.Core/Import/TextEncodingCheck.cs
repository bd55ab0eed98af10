using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Attune.Import;

/// <summary>
/// Import files are UTF-8 unless told otherwise. A file that is not (a Latin-1 export, say) would otherwise be read with every
/// bad byte turned into U+FFFD, silently changing ids (<c>u\uFFFD</c>): before anything is imported, the whole file is checked
/// and the first line that is not UTF-8 stops the import.
/// </summary>
public static class TextEncodingCheck
{
    /// <summary>
    /// The 1-based line holding the first byte sequence that is not UTF-8, or null when the stream is UTF-8 (or starts with a
    /// UTF-16/32 byte order mark, which the line reader honours). Reads to the end; a seekable stream is put back where it was.
    /// </summary>
    public static long? FirstInvalidUtf8Line(Stream stream)
    {
        long start = stream.CanSeek ? stream.Position : 0;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        char[] chars = ArrayPool<char>.Shared.Rent(1 << 20);
        try
        {
            long line = 1;
            int carried = 0;
            bool first = true;
            while (true)
            {
                int read = stream.Read(buffer, carried, buffer.Length - carried);
                int length = carried + read;
                bool final = read == 0;
                if (first)
                {
                    first = false;
                    if (length >= 2 && (buffer[0], buffer[1]) is (0xFF, 0xFE) or (0xFE, 0xFF)) return null;
                }
                var span = buffer.AsSpan(0, length);
                var status = Utf8.ToUtf16(span, chars, out int consumed, out _, replaceInvalidSequences: false, isFinalBlock: final);
                if (status == System.Buffers.OperationStatus.InvalidData)
                    return line + span[..consumed].Count((byte)'\n');
                line += span[..consumed].Count((byte)'\n');
                if (final) return null;
                carried = length - consumed; // an incomplete sequence at the end: completed by the next read
                span[consumed..].CopyTo(buffer);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            ArrayPool<char>.Shared.Return(chars);
            if (stream.CanSeek) stream.Position = start;
        }
    }

    /// <summary>Throws when <paramref name="options"/> say UTF-8 (the default) and the stream is not.</summary>
    internal static void EnsureUtf8(Stream stream, ImportOptions options)
    {
        if (options.Encoding is not null || !stream.CanSeek) return;
        if (FirstInvalidUtf8Line(stream) is { } line)
            throw new InvalidDataException($"line {line} is not valid UTF-8, so nothing was imported; convert the file to UTF-8, " +
                "or give its encoding (attune import --encoding latin1)");
    }

    /// <summary>An encoding by name for <c>--encoding</c>: <c>utf-8</c>, <c>latin1</c> (ISO-8859-1), <c>utf-16</c>, <c>ascii</c>, …</summary>
    public static Encoding? Resolve(string name)
    {
        try
        {
            return Encoding.GetEncoding(name);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
