namespace Attune.Evaluation.Datasets;

/// <summary>Walks the fields of one line, skipping runs of separators; allocates nothing.</summary>
public ref struct FieldReader
{
    private readonly ReadOnlySpan<char> _separators;
    private ReadOnlySpan<char> _rest;

    public FieldReader(ReadOnlySpan<char> line, ReadOnlySpan<char> separators)
    {
        _rest = line;
        _separators = separators;
    }

    /// <summary>Whitespace separators: space and tab.</summary>
    public static ReadOnlySpan<char> Whitespace => " \t\r";

    public bool Next(out ReadOnlySpan<char> field)
    {
        int start = _rest.IndexOfAnyExcept(_separators);
        if (start < 0)
        {
            field = default;
            _rest = default;
            return false;
        }
        _rest = _rest[start..];
        int end = _rest.IndexOfAny(_separators);
        if (end < 0) end = _rest.Length;
        field = _rest[..end];
        _rest = _rest[end..];
        return true;
    }

    /// <summary>How many fields <paramref name="line"/> has.</summary>
    public static int Count(ReadOnlySpan<char> line, ReadOnlySpan<char> separators)
    {
        var reader = new FieldReader(line, separators);
        int n = 0;
        while (reader.Next(out _)) n++;
        return n;
    }
}
