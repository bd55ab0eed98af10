using Attune.Evaluation.Datasets;
using Attune.Evaluation.Protocols;

namespace Attune.Tests.Evaluation;

public class StratifiedSplitterTests
{
    [Fact]
    public void Numpy_random_matches_numpy_legacy_seed_42()
    {
        // np.random.seed(42); np.random.rand(5)
        double[] expected = [0.3745401188473625, 0.9507143064099162, 0.7319939418114051, 0.5986584841970366, 0.15601864044243652];
        var rng = new NumpyRandom(42);
        foreach (double e in expected) Assert.Equal(e, rng.NextDouble(), 15);
    }

    [Fact]
    public void Each_item_keeps_round_half_even_of_three_quarters_in_train()
    {
        // Item i has i + 1 rows (1..12), rows interleaved across items.
        var rows = new List<(int, int)>();
        for (int round = 0; round < 12; round++)
            for (int item = round; item < 12; item++) rows.Add((rows.Count % 7, item));
        var data = EvaluationTestData.Ratings(7, 12, rows);

        var (train, test) = StratifiedSplitter.SplitByItem(data.Ratings!, 12);

        // round(0.75 n), half to even: 1→1 (0.75), 2→2 (1.5), 3→2 (2.25), 4→3, 5→4 (3.75), 6→4 (4.5), 7→5 (5.25), 8→6, 9→7 (6.75),
        // 10→8 (7.5), 11→8 (8.25), 12→9.
        int[] expectedTrain = [1, 2, 2, 3, 4, 4, 5, 6, 7, 8, 8, 9];
        for (int item = 0; item < 12; item++)
        {
            int inTrain = train.Count(r => data.Ratings!.Item[r] == item);
            int inTest = test.Count(r => data.Ratings!.Item[r] == item);
            Assert.Equal(expectedTrain[item], inTrain);
            Assert.Equal(item + 1 - expectedTrain[item], inTest);
            if (item + 1 >= 3) Assert.True(inTest > 0 && inTrain > 0, $"item with {item + 1} rows must be in both parts");
        }
        Assert.Equal(Enumerable.Range(0, rows.Count), train.Concat(test).Order());
        Assert.True(train.SequenceEqual(train.Order()) && test.SequenceEqual(test.Order()));
    }

    [Fact]
    public void Rows_are_ordered_within_an_item_by_the_numpy_keys_of_their_file_position()
    {
        // One item, 4 rows: keys 0.3745 (row 0), 0.9507 (row 1), 0.7320 (row 2), 0.5987 (row 3).
        // Sorted: rows 0, 3, 2, 1 → the first round(3) = 3 go to train, row 1 is the test row.
        var data = EvaluationTestData.Ratings(4, 1, [(0, 0), (1, 0), (2, 0), (3, 0)]);
        var (train, test) = StratifiedSplitter.SplitByItem(data.Ratings!, 1);
        Assert.Equal([0, 2, 3], train);
        Assert.Equal([1], test);
    }

    [Fact]
    public void Recommenders_split_scores_test_users_on_their_test_items_with_training_items_excluded()
    {
        // 3 users × 4 items, every pair once → each item has 3 rows: 2 train, 1 test.
        var rows = new List<(int, int)>();
        for (int u = 0; u < 3; u++)
            for (int i = 0; i < 4; i++) rows.Add((u, i));
        var data = EvaluationTestData.Ratings(3, 4, rows);
        var split = new RecommendersProtocol().CreateSplit(data);

        Assert.Equal(8, split.Training.Interactions.NonZeros);
        var cases = split.Cases;
        for (int c = 0; c < cases.Count; c++)
        {
            int u = cases.Users[c];
            var trained = split.Training.Interactions.ItemsOf(u).ToArray();
            Assert.Equal(trained, cases.Exclude!.Row(c).ToArray());
            Assert.Empty(cases.Targets.Row(c).ToArray().Intersect(trained));
            Assert.Equal(trained.Order(), cases.History.Row(c).ToArray().Order());
        }
        Assert.Equal(4, Enumerable.Range(0, cases.Count).Sum(c => cases.Targets.Row(c).Length));
    }

    [Fact]
    public void Movielens_split_has_the_library_sizes()
    {
        Assert.SkipWhen(TestPaths.SharedDatasets is null, "shared datasets (../shared/datasets) not present");
        var data = DatasetLoader.Load(Path.Combine(TestPaths.SharedDatasets!, "movielens-100k"));
        var (train, test) = StratifiedSplitter.SplitByItem(data.Ratings!, data.ItemCount);
        // 75,066 / 24,934 = 75.07 % train; items with 1 or 2 rows (and half-even rounding) keep the share a little above 0.75.
        Assert.Equal(75_066, train.Length);
        Assert.Equal(24_934, test.Length);
    }
}
