namespace Attune.Algorithms.Data;

/// <summary>What content-based models know of each item: text and attribute tokens. Index = item index.</summary>
public sealed class ItemContent(string?[] text, string[][] attributes)
{
    /// <summary>Free text (title, description), or null.</summary>
    public string?[] Text { get; } = text;

    /// <summary>Attribute tokens such as <c>cat:shoes/running</c>, <c>brand:acme</c>, <c>tag:waterproof</c>.</summary>
    public string[][] Attributes { get; } = attributes;
}
