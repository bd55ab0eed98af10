using System.Text.Json;
using System.Text.Unicode;

namespace Attune.Validation;

/// <summary>
/// Finds what <see cref="JsonDocument"/> accepts but a reader must not: strings (values or field names) that are not valid
/// UTF-8 or hold an unpaired surrogate escape such as <c>"\ud800"</c> (reading them as .NET strings throws), and a field
/// name given twice in one object (the document would silently keep both and readers the last or first). One pass of
/// <see cref="Utf8JsonReader"/> over text that has already parsed; each problem is named by its JSON path
/// (<c>userId</c>, <c>context.device</c>, <c>[3].itemId</c>, <c>scenarios[0]</c>).
/// </summary>
public static class JsonTextCheck
{
    private sealed class Frame
    {
        public bool IsArray;
        public int Index = -1;
        /// <summary>The current field's name when it was escaped; else it is read from the input when a path needs it.</summary>
        public string? Name;
        public bool HasName;
        public int NameStart, NameLength;
        // The object's field names seen so far: as byte ranges of the input while they are few and unescaped (no allocation
        // for the usual small record), as strings beyond that.
        public readonly List<(int Start, int Length)> Raw = [];
        public HashSet<string>? Big;

        public void Reset(bool isArray)
        {
            IsArray = isArray;
            Index = -1;
            Name = null;
            HasName = false;
            Raw.Clear();
            Big = null;
        }

        /// <summary>Adds a name; false when the object already has it.</summary>
        public bool Add(ReadOnlySpan<byte> json, int start, int length, string? unescaped)
        {
            if (Big is null && unescaped is null && Raw.Count < 16)
            {
                var name = json.Slice(start, length);
                foreach (var (s, l) in Raw)
                {
                    if (json.Slice(s, l).SequenceEqual(name)) return false;
                }
                Raw.Add((start, length));
                return true;
            }
            if (Big is null)
            {
                Big = new HashSet<string>(StringComparer.Ordinal);
                foreach (var (s, l) in Raw) Big.Add(System.Text.Encoding.UTF8.GetString(json.Slice(s, l)));
            }
            return Big.Add(unescaped ?? System.Text.Encoding.UTF8.GetString(json.Slice(start, length)));
        }
    }

    /// <summary>
    /// The problems of <paramref name="json"/> (which must be well-formed JSON), at most <paramref name="maxProblems"/>, with
    /// paths relative to the root. Invalid text inside a field name is reported on the object holding it.
    /// </summary>
    public static List<FieldError> Scan(ReadOnlySpan<byte> json, int maxProblems = 100)
    {
        var problems = new List<FieldError>();
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256, CommentHandling = JsonCommentHandling.Skip });
        var frames = new List<Frame>();
        int depth = 0;
        try
        {
            while (reader.Read() && problems.Count < maxProblems)
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                    {
                        var frame = frames[depth - 1];
                        // The name's text is made only when needed: for a path (lazily, below) or an escaped name.
                        frame.Name = null;
                        frame.HasName = false;
                        string? unescaped = null;
                        bool valid = reader.ValueIsEscaped ? (unescaped = Unescape(ref reader)) is not null : Utf8.IsValid(reader.ValueSpan);
                        if (!valid)
                        {
                            problems.Add(new(Path(json, frames, depth, includeLast: false), InvalidTextMessage("a field name")));
                            break;
                        }
                        int start = (int)reader.TokenStartIndex + 1;
                        frame.NameStart = start;
                        frame.NameLength = reader.ValueSpan.Length;
                        frame.Name = unescaped;
                        frame.HasName = true;
                        if (!frame.Add(json, start, reader.ValueSpan.Length, unescaped))
                            problems.Add(new(Path(json, frames, depth, includeLast: true), "is given more than once in the same object; send each field once"));
                        break;
                    }
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    {
                        Advance(frames, depth);
                        if (frames.Count == depth) frames.Add(new Frame());
                        frames[depth].Reset(reader.TokenType == JsonTokenType.StartArray);
                        depth++;
                        break;
                    }
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        depth--;
                        break;
                    case JsonTokenType.String:
                        Advance(frames, depth);
                        if (reader.ValueIsEscaped ? Unescape(ref reader) is null : !Utf8.IsValid(reader.ValueSpan))
                            problems.Add(new(Path(json, frames, depth, includeLast: true), InvalidTextMessage("the text")));
                        break;
                    default:
                        Advance(frames, depth);
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // Not well-formed: the caller's parser reports that with line and byte.
        }
        return problems;
    }

    /// <summary>Why a string read from elsewhere (a query string, a file) is not valid Unicode text, or null when it is.</summary>
    public static string? CheckText(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
            if (char.IsSurrogate(c)) return InvalidTextMessage("the text");
        }
        return null;
    }

    private static string InvalidTextMessage(string what) =>
        $"{what} is not valid Unicode: invalid UTF-8 bytes or an unpaired surrogate escape (such as \\ud800); send UTF-8 text";

    private static void Advance(List<Frame> frames, int depth)
    {
        if (depth > 0 && frames[depth - 1].IsArray) frames[depth - 1].Index++;
    }

    /// <summary>An escaped token's text, or null when it is not valid UTF-8 or unescapes to an unpaired surrogate.</summary>
    private static string? Unescape(ref Utf8JsonReader reader)
    {
        try
        {
            string s = reader.GetString()!;
            return CheckText(s) is null ? s : null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static string Path(ReadOnlySpan<byte> json, List<Frame> frames, int depth, bool includeLast)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < depth; i++)
        {
            var f = frames[i];
            bool last = i == depth - 1;
            if (last && !includeLast) break;
            if (f.IsArray)
            {
                if (f.Index >= 0) sb.Append('[').Append(f.Index).Append(']');
            }
            else if (f.HasName)
            {
                string name = f.Name ?? System.Text.Encoding.UTF8.GetString(json.Slice(f.NameStart, f.NameLength));
                if (sb.Length > 0) sb.Append('.');
                sb.Append(name.Length <= 64 ? name : name[..64] + "…");
            }
        }
        return sb.ToString();
    }
}
