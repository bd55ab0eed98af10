namespace Attune.Storage;

/// <summary>
/// The store cannot be reached right now (a database restarting, a network partition): the request was not served by it and
/// may be retried. The HTTP API answers 503 with <c>Retry-After</c>; what was already acknowledged is unaffected.
/// </summary>
public sealed class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
