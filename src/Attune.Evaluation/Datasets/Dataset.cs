using Attune.Algorithms.Data;

namespace Attune.Evaluation.Datasets;

/// <summary>
/// A benchmark dataset as read from disk, with dense user and item indexes (<see cref="Users"/>, <see cref="Items"/> keep the raw ids).
/// Which members are set depends on <see cref="Layout"/>: <see cref="Ratings"/> for rating rows, <see cref="Sequences"/> for
/// per-user sequences (row = user), <see cref="TrainSessions"/> and <see cref="TestCases"/> for the session benchmark.
/// </summary>
public sealed record Dataset
{
    public required string Name { get; init; }

    /// <summary>The file or folder it was read from.</summary>
    public required string Source { get; init; }

    public required DatasetLayout Layout { get; init; }

    /// <summary>Users (empty for sessions, which are anonymous).</summary>
    public required IdMap Users { get; init; }

    public required IdMap Items { get; init; }

    public RatingRows? Ratings { get; init; }

    public SequenceData? Sequences { get; init; }

    public SequenceData? TrainSessions { get; init; }

    public SessionCases? TestCases { get; init; }

    /// <summary>Category (or attribute) ids of each item, sorted ascending; null when the dataset has none.</summary>
    public int[][]? ItemCategories { get; init; }

    /// <summary>Where <see cref="ItemCategories"/> came from, for reports.</summary>
    public string? CategorySource { get; init; }

    public int ItemCount => Items.Count;

    /// <summary>Interactions stored (rows, sequence entries, or training clicks).</summary>
    public long Interactions => Layout switch
    {
        DatasetLayout.Ratings => Ratings!.Count,
        DatasetLayout.Sequences => Sequences!.Items.Length,
        _ => TrainSessions!.Items.Length,
    };

    public override string ToString() => Layout == DatasetLayout.Sessions
        ? $"{Name}: {TrainSessions!.Rows:N0} training sessions, {TestCases!.Count:N0} test cases, {ItemCount:N0} items"
        : $"{Name}: {Users.Count:N0} users, {ItemCount:N0} items, {Interactions:N0} interactions ({Layout.ToString().ToLowerInvariant()})";
}
