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
        public string? Name;
        public readonly HashSet<string> Names = new(StringComparer.Ordinal);
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
                        string? name = ReadText(ref reader);
                        if (name is null)
                        {
                            frame.Name = null;
                            problems.Add(new(Path(frames, depth, includeLast: false), InvalidTextMessage("a field name")));
                            break;
                        }
                        frame.Name = name;
                        if (!frame.Names.Add(name))
                            problems.Add(new(Path(frames, depth, includeLast: true), "is given more than once in the same object; send each field once"));
                        break;
                    }
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    {
                        Advance(frames, depth);
                        if (frames.Count == depth) frames.Add(new Frame());
                        var frame = frames[depth];
                        frame.IsArray = reader.TokenType == JsonTokenType.StartArray;
                        frame.Index = -1;
                        frame.Name = null;
                        frame.Names.Clear();
                        depth++;
                        break;
                    }
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        depth--;
                        break;
                    case JsonTokenType.String:
                        Advance(frames, depth);
                        if (ReadText(ref reader) is null)
                            problems.Add(new(Path(frames, depth, includeLast: true), InvalidTextMessage("the text")));
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

    /// <summary>The token's text, or null when it is not valid UTF-8 or unescapes to an unpaired surrogate.</summary>
    private static string? ReadText(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
            return Utf8.IsValid(reader.ValueSpan) ? reader.GetString() : null;
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

    private static string Path(List<Frame> frames, int depth, bool includeLast)
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
            else if (f.Name is not null)
            {
                if (sb.Length > 0) sb.Append('.');
                sb.Append(f.Name.Length <= 64 ? f.Name : f.Name[..64] + "…");
            }
        }
        return sb.ToString();
    }
}
