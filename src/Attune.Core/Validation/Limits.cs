namespace Attune.Validation;

/// <summary>Input limits shared by the HTTP API and the importers.</summary>
public static class Limits
{
    public const int MaxIdLength = 256;
    public const int MaxBatchSize = 10_000;
    public const int MaxTitleLength = 1_000;
    public const int MaxTextLength = 64 * 1024;
    public const int MaxListLength = 256;
    public const int MaxProperties = 256;
    public const int MaxShortText = 1_024;
    public const int MaxContextBytes = 16 * 1024;
    public const int MaxJsonDepth = 32;

    /// <summary>The earliest accepted event time.</summary>
    public static readonly DateTimeOffset MinTimestamp = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>How far in the future an event time may lie (clock skew of senders).</summary>
    public static readonly TimeSpan MaxFutureSkew = TimeSpan.FromDays(1);
}
