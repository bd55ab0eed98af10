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

    /// <summary>
    /// What the model will be asked (from the evaluation protocol, or the serving engine): the next item of an ordered history,
    /// or a held-out set of a person's items. Trainers that carve their own validation (the hybrid's weights) hold out the same
    /// kind. <value>The default is <see cref="PredictionTask.Unknown"/>: the next item when the data are ordered.</value>
    /// </summary>
    public PredictionTask Task { get; init; }

    /// <summary>Seed for every random choice a trainer makes.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Threads a trainer may use; tests pin 1 for determinism. <value>The default is all cores.</value></summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    public int Users => Interactions.Users;
    public int Items => Interactions.Items;
}

/// <summary>The question a model is trained to answer (see <see cref="TrainingData.Task"/>).</summary>
public enum PredictionTask
{
    /// <summary>Not said: the next item when the data are ordered, a held-out set otherwise.</summary>
    Unknown,
    /// <summary>The next item of an ordered history (sequential and session protocols, a shop's next action).</summary>
    NextItem,
    /// <summary>A random part of each person's items, whatever their order (the Microsoft Recommenders protocol).</summary>
    HeldOutSet,
}
