using System.Collections.Concurrent;

namespace Attune.Experiments.Assignment;

/// <summary>
/// The sticky assignments of one attribute value (e.g. <c>anonymousId = "a1"</c>): experiment key with bucket version
/// (<c>checkout__0</c>) → variation key. As the SDKs store them.
/// </summary>
public sealed record StickyAssignmentsDocument(string AttributeName, string AttributeValue, IReadOnlyDictionary<string, string> Assignments)
{
    /// <summary>The SDKs' document key: <c>attributeName||attributeValue</c>.</summary>
    public string Key => $"{AttributeName}||{AttributeValue}";
}

/// <summary>
/// Where sticky assignments live. Evaluation is synchronous (the hot path): reads come from here during a run, and a changed
/// document is saved at once. A store-backed service should load a person's documents before evaluating (see
/// <see cref="Assigner.StickyBucketAttributes"/>) and write behind.
/// </summary>
public interface IStickyBucketService
{
    StickyAssignmentsDocument? GetAssignments(string attributeName, string attributeValue);
    void SaveAssignments(StickyAssignmentsDocument document);
}

/// <summary>Sticky assignments in memory (thread-safe; lost on restart). Good for tests, one node, or as a write-behind cache.</summary>
public sealed class InMemoryStickyBucketService : IStickyBucketService
{
    private readonly ConcurrentDictionary<(string Name, string Value), StickyAssignmentsDocument> _docs = new();

    public StickyAssignmentsDocument? GetAssignments(string attributeName, string attributeValue) =>
        _docs.GetValueOrDefault((attributeName, attributeValue));

    public void SaveAssignments(StickyAssignmentsDocument document) => _docs[(document.AttributeName, document.AttributeValue)] = document;

    public int Count => _docs.Count;

    /// <summary>Every document, by its <see cref="StickyAssignmentsDocument.Key"/>.</summary>
    public IReadOnlyDictionary<string, StickyAssignmentsDocument> All => _docs.Values.ToDictionary(d => d.Key, StringComparer.Ordinal);
}
