namespace Attune.Search.Semantic;

/// <summary>Turns text into unit-length vectors whose dot product measures closeness of meaning.</summary>
public interface ITextEmbedder : IDisposable
{
    /// <summary>The model's name, as reports show it.</summary>
    string Name { get; }

    int Dimensions { get; }

    /// <summary>One unit-length vector per text, in order. Safe to call from several threads.</summary>
    float[][] Embed(IReadOnlyList<string> texts, CancellationToken ct = default);
}
