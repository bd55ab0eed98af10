namespace Attune.Serving.Filtering;

/// <summary>
/// A filter expression that cannot be parsed or does not type-check. <see cref="Position"/> is the 0-based character
/// offset of the problem in the filter text; the message shows it 1-based: <c>position 9: expected a value after '&lt;='</c>.
/// </summary>
public sealed class FilterSyntaxException : Exception
{
    public FilterSyntaxException(int position, string reason)
        : base($"position {position + 1}: {reason}")
    {
        Position = position;
        Reason = reason;
    }

    /// <summary>0-based character offset in the filter text (equal to the text's length for "end of filter").</summary>
    public int Position { get; }

    /// <summary>What is wrong and what was expected, without the position prefix.</summary>
    public string Reason { get; }
}
