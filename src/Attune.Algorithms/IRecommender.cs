using Attune.Algorithms.Data;

namespace Attune.Algorithms;

/// <summary>A trained, immutable model that scores every item for a person or for a set of items.</summary>
/// <remarks>Implementations are thread-safe: many requests score at once.</remarks>
public interface IRecommender
{
    /// <summary>The model's catalog name, e.g. <c>als</c>.</summary>
    string Name { get; }

    /// <summary>How many items it scores (the length of the score span).</summary>
    int Items { get; }

    /// <summary>
    /// Writes a score for every item into <paramref name="scores"/> (length <see cref="Items"/>); higher is better.
    /// </summary>
    /// <param name="user">The person's training index, or -1 for someone the model has not seen (a new visitor, a session).</param>
    /// <param name="history">
    /// The person's items, oldest first: what the answer should follow from. For a known user it is usually their training
    /// history; for item-to-item questions ("similar to this", a cart) pass <c>user = -1</c> and the items.
    /// </param>
    void Score(int user, ReadOnlySpan<int> history, Span<float> scores);

    /// <summary>Writes the model's parameters; <see cref="ModelCatalog.Load"/> reads them back.</summary>
    void Save(BinaryWriter writer);
}

/// <summary>Fits one kind of model with fixed options.</summary>
public interface IRecommenderTrainer
{
    IRecommender Fit(TrainingData data, CancellationToken cancellationToken = default);
}
