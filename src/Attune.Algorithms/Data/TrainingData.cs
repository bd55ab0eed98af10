namespace Attune.Algorithms.Data;

/// <summary>Everything a model may learn from. Users and items are dense indexes shared by every part.</summary>
public sealed class TrainingData
{
    public required InteractionMatrix Interactions { get; init; }

    /// <summary>The same users' items in time order (null when the source has no order).</summary>
    public SequenceData? Sequences { get; init; }

    /// <summary>The raw events with times and types (null when the source is only a matrix, as public benchmark files are).</summary>
    public EventLog? Events { get; init; }

    /// <summary>Item text and attributes (null when the source has none).</summary>
    public ItemContent? Content { get; init; }

    /// <summary>Seed for every random choice a trainer makes.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Threads a trainer may use; tests pin 1 for determinism. <value>The default is all cores.</value></summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    public int Users => Interactions.Users;
    public int Items => Interactions.Items;
}
