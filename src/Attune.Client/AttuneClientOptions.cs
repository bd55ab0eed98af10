namespace Attune.Client;

/// <summary>How an <see cref="AttuneClient"/> authenticates and retries.</summary>
public sealed class AttuneClientOptions
{
    /// <summary>Sent as <c>Authorization: Bearer KEY</c> on every request; null sends none (a server without keys, loopback only).</summary>
    public string? ApiKey { get; set; }

    /// <summary>Attempts per call, the first included. The default value is 4; 1 turns retries off.</summary>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>The first retry's delay before jitter; each next one doubles it. The default value is 200 ms.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>No backoff delay, and no <c>Retry-After</c> the server asks for, is waited longer than this. The default value is 30 s.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The clock a <c>Retry-After</c> date is read against. The default value is <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;
}
