using Attune.Evaluation.Datasets;
using Attune.Evaluation.Protocols;

namespace Attune.Tests.Evaluation;

public class SessionProtocolTests
{
    [Fact]
    public void Sessions_expand_into_prefix_cases_longest_first()
    {
        var sessions = Attune.Algorithms.Data.SequenceData.FromRows(10, [[1, 2, 3, 4], [5], [6, 7]]);
        var cases = SessionCases.Expand(sessions);
        Assert.Equal([[1, 2, 3], [1, 2], [1], [6]], EvaluationTestData.Rows(cases.Prefixes));
        Assert.Equal([4, 3, 2, 7], cases.Targets);
    }

    [Fact]
    public void Test_split_scores_each_prefix_anonymously_with_nothing_excluded()
    {
        var data = EvaluationTestData.Sessions(6, [[0, 1, 2], [1, 2]], [[0, 1], [2]], [2, 5]);
        var split = new SessionProtocol().CreateSplit(data);
        Assert.Equal(2, split.Training.Users);  // one matrix row per training session
        Assert.Equal([[0, 1, 2], [1, 2]], EvaluationTestData.Rows(split.Training.Sequences!));
        Assert.Equal([-1, -1], split.Cases.Users);
        Assert.Null(split.Cases.Exclude);
        Assert.Equal([[2], [5]], EvaluationTestData.Rows(split.Cases.Targets));
        Assert.Equal([[0, 1], [2]], EvaluationTestData.Rows(split.Cases.History));
    }

    [Fact]
    public void Validation_holds_out_the_last_tenth_of_training_sessions_without_unseen_items()
    {
        // 20 sessions: the last 2 are held out. Session 18 = [0, 9, 1]: item 9 never appears earlier and is dropped.
        var train = Enumerable.Range(0, 18).Select(s => new[] { s % 5, (s + 1) % 5 }).ToList();
        train.Add([0, 9, 1]);
        train.Add([2, 3]);
        var data = EvaluationTestData.Sessions(10, [.. train], [[7]], [8]);

        var validation = new SessionProtocol().CarveValidation(data);

        Assert.Equal(18, validation.TrainSessions!.Rows);
        Assert.Equal([[0], [2]], EvaluationTestData.Rows(validation.TestCases!.Prefixes));
        Assert.Equal([1, 3], validation.TestCases.Targets);
        Assert.DoesNotContain(8, validation.TestCases.Targets);
    }

    [Fact]
    public void Session_protocol_refuses_per_user_data()
    {
        var data = EvaluationTestData.Sequences(3, [0, 1, 2]);
        Assert.Throws<InvalidOperationException>(() => new SessionProtocol().CreateSplit(data));
        Assert.Throws<InvalidOperationException>(() => new SequentialFullProtocol().CreateSplit(
            EvaluationTestData.Sessions(3, [[0, 1]], [[0]], [1])));
    }
}
