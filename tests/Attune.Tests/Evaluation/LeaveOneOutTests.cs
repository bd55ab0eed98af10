using Attune.Evaluation.Protocols;

namespace Attune.Tests.Evaluation;

public class LeaveOneOutTests
{
    private static readonly int[] s_long = [.. Enumerable.Range(10, 60)];

    // User 0: 1 2 3 4 5; user 1: 6 7; user 2: 8 (one item); user 3: 60 items 10..69.
    private static readonly int[][] s_rows = [[1, 2, 3, 4, 5], [6, 7], [8], s_long];

    [Fact]
    public void Full_ranking_split_holds_out_the_last_item_and_masks_everything_before_it()
    {
        var data = EvaluationTestData.Sequences(70, s_rows);
        var split = new SequentialFullProtocol().CreateSplit(data);

        Assert.Equal([[1, 2, 3, 4], [6], [], s_long[..^1]], EvaluationTestData.Rows(split.Training.Sequences!));
        Assert.Equal(4 + 1 + 59, split.Training.Interactions.NonZeros);
        var cases = split.Cases;
        Assert.Equal([0, 1, 2, 3], cases.Users);
        Assert.Equal([[5], [7], [8], [69]], EvaluationTestData.Rows(cases.Targets));
        Assert.Equal([1, 2, 3, 4], cases.History.Row(0).ToArray());
        Assert.Empty(cases.History.Row(2).ToArray());
        // Input: the 50 most recent of the 59 earlier items; mask: all 59.
        Assert.Equal(s_long[9..^1], cases.History.Row(3).ToArray());
        Assert.Equal(s_long[..^1], cases.Exclude!.Row(3).ToArray());
    }

    [Fact]
    public void Validation_split_holds_out_the_second_to_last_item_and_drops_the_test_item()
    {
        var data = EvaluationTestData.Sequences(70, s_rows);
        var protocol = new SequentialFullProtocol();
        var split = protocol.CreateSplit(data, validation: true);

        Assert.True(split.IsValidation);
        Assert.Equal([[1, 2, 3], [], [], s_long[..^2]], EvaluationTestData.Rows(split.Training.Sequences!));
        Assert.Equal([0, 1, 3], split.Cases.Users);  // user 2 has nothing left to hold out
        Assert.Equal([[4], [6], [68]], EvaluationTestData.Rows(split.Cases.Targets));
        Assert.Equal([1, 2, 3], split.Cases.Exclude!.Row(0).ToArray());
    }

    [Fact]
    public void Sampled_split_draws_negatives_per_user_and_keeps_the_full_ranking_mask()
    {
        var data = EvaluationTestData.Sequences(200, s_rows);
        var split = new SequentialSampledProtocol().CreateSplit(data);
        var cases = split.Cases;
        Assert.NotNull(cases.Negatives);
        for (int c = 0; c < cases.Count; c++)
        {
            Assert.Equal(SequentialSampledProtocol.Negatives, cases.Negatives!.Row(c).Length);
            Assert.Empty(cases.Negatives.Row(c).ToArray().Intersect(s_rows[cases.Users[c]]));
        }
        Assert.Equal([1, 2, 3, 4], cases.Exclude!.Row(0).ToArray());
    }

    [Fact]
    public void Sampled_protocol_keeps_at_most_ten_thousand_users_chosen_by_a_fixed_seed()
    {
        var users = Enumerable.Range(0, 25_000).ToList();
        var a = SequentialSampledProtocol.SampleUsers(users);
        var b = SequentialSampledProtocol.SampleUsers(users);
        Assert.Equal(10_000, a.Count);
        Assert.Equal(a, b);
        Assert.Equal(a.Distinct().Order(), a);
        var few = users.Take(500).ToList();
        Assert.Equal(few, SequentialSampledProtocol.SampleUsers(few));
    }
}
