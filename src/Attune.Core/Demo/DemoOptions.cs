using Attune.Validation;

namespace Attune.Demo;

/// <summary>The size, seed and time window of a generated demo shop.</summary>
/// <remarks>
/// Everything the generator produces is a pure function of these values: the same options give the same items,
/// users, hidden truth and events, byte for byte.
/// </remarks>
public sealed record DemoOptions
{
    public int Users { get; init; } = 20_000;
    public int Items { get; init; } = 5_000;
    /// <summary>How many days of behaviour to simulate, ending at <see cref="End"/>.</summary>
    public int Days { get; init; } = 90;
    public int Seed { get; init; } = 42;

    /// <summary>
    /// The end of the simulation (exclusive): every event lies in [<c>End - Days</c>, <c>End</c>). There is no default,
    /// since a default of "now" would break determinism; pass <see cref="DefaultEnd"/> for today's UTC midnight.
    /// </summary>
    public DateTimeOffset End { get; init; }

    /// <summary>Visitors who browse without ever identifying; <see langword="null"/> means one for every ten users.</summary>
    public int? AnonymousVisitors { get; init; }

    /// <summary>Today's UTC midnight by <paramref name="time"/>: a stable end for a demo generated today.</summary>
    public static DateTimeOffset DefaultEnd(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return new DateTimeOffset(time.GetUtcNow().UtcDateTime.Date, TimeSpan.Zero);
    }

    internal int GuestCount => AnonymousVisitors ?? Users / 10;

    internal void Validate()
    {
        if (Users is < 0 or > 9_999_999) throw new ArgumentOutOfRangeException(nameof(Users), Users, "must be 0–9,999,999");
        if (Items is < 1 or > 9_999_999) throw new ArgumentOutOfRangeException(nameof(Items), Items, "must be 1–9,999,999");
        if (Days is < 1 or > 3_650) throw new ArgumentOutOfRangeException(nameof(Days), Days, "must be 1–3,650");
        if (AnonymousVisitors is < 0 or > 9_999_999)
            throw new ArgumentOutOfRangeException(nameof(AnonymousVisitors), AnonymousVisitors, "must be 0–9,999,999");
        if (End == default)
            throw new ArgumentException("End is required; pass DemoOptions.DefaultEnd(TimeProvider.System) for today's UTC midnight", nameof(End));
        // Users may have joined up to two years before the window; keep every timestamp well after 2000-01-01.
        if (End.UtcDateTime - TimeSpan.FromDays(Days + 800) < Limits.MinTimestamp.UtcDateTime)
            throw new ArgumentOutOfRangeException(nameof(End), End, "must leave the whole simulated history after 2000-01-01");
        if (End.UtcDateTime.Year > 9_000) throw new ArgumentOutOfRangeException(nameof(End), End, "is too far in the future");
    }
}
