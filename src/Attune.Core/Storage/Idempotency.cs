namespace Attune.Storage;

/// <summary>What an append under an idempotency key did (<see cref="IAttuneStore.AppendEventsAsync(IReadOnlyList{Model.Event}, string, byte[], CancellationToken)"/>).</summary>
public enum IdempotentAppend
{
    /// <summary>The key was new: the events are stored, with the key.</summary>
    Stored,
    /// <summary>The key was stored before with the same body: nothing appended (a client's retry).</summary>
    Replayed,
    /// <summary>The key was stored before with another body: nothing appended (the client reused a key).</summary>
    Conflict,
}

/// <summary>Idempotency keys of event batches (the <c>Idempotency-Key</c> header of <c>POST /v1/events</c>).</summary>
public static class Idempotency
{
    /// <summary>How long a stored key keeps a retry from being stored again.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromHours(24);

    /// <summary>The longest key accepted.</summary>
    public const int MaxKeyLength = 255;
}
