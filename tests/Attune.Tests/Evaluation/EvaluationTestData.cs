using Attune.Algorithms.Data;
using Attune.Evaluation.Datasets;

namespace Attune.Tests.Evaluation;

/// <summary>Small in-memory datasets for the evaluation tests; raw ids are the dense indexes written as text.</summary>
internal static class EvaluationTestData
{
    /// <summary>One row per user; items are 0..<paramref name="items"/>-1.</summary>
    public static Dataset Sequences(int items, params int[][] rows) => new()
    {
        Name = "test-sequences",
        Source = "memory",
        Layout = DatasetLayout.Sequences,
        Users = Map(rows.Length),
        Items = Map(items),
        Sequences = SequenceData.FromRows(items, rows),
    };

    /// <summary>(user, item) rows with rating 1 and time = row number.</summary>
    public static Dataset Ratings(int users, int items, IReadOnlyList<(int User, int Item)> rows) => new()
    {
        Name = "test-ratings",
        Source = "memory",
        Layout = DatasetLayout.Ratings,
        Users = Map(users),
        Items = Map(items),
        Ratings = new RatingRows(
            [.. rows.Select(r => r.User)],
            [.. rows.Select(r => r.Item)],
            [.. rows.Select(_ => 1f)],
            [.. rows.Select((_, k) => (double)k)]),
    };

    public static Dataset Sessions(int items, int[][] train, int[][] testPrefixes, int[] testTargets) => new()
    {
        Name = "test-sessions",
        Source = "memory",
        Layout = DatasetLayout.Sessions,
        Users = new IdMap(),
        Items = Map(items),
        TrainSessions = SequenceData.FromRows(items, train),
        TestCases = new SessionCases(SequenceData.FromRows(items, testPrefixes), testTargets),
    };

    public static IdMap Map(int n)
    {
        var map = new IdMap();
        for (int i = 0; i < n; i++) map.GetOrAdd(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return map;
    }

    public static int[][] Rows(SequenceData data) => [.. Enumerable.Range(0, data.Rows).Select(r => data.Row(r).ToArray())];
}
