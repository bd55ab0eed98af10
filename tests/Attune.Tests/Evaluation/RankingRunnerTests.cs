using Attune.Algorithms;
using Attune.Algorithms.Data;
using Attune.Evaluation.Metrics;
using Attune.Evaluation.Protocols;
using Attune.Evaluation.Running;

namespace Attune.Tests.Evaluation;

public class RankingRunnerTests
{
    // 30 items ranked by index: item 0 best, item 29 worst.
    private static readonly float[] s_byIndex = [.. Enumerable.Range(0, 30).Select(i => 30f - i)];

    private static EvaluationSplit Split(int[][] exclude, int[] targets, CaseMetrics metrics, int[][]? negatives = null)
    {
        var training = new TrainingData
        {
            Interactions = InteractionMatrix.FromTriples(targets.Length, 30, [.. Enumerable.Range(0, targets.Length)],
                [.. Enumerable.Range(0, targets.Length).Select(u => u % 30)], [.. targets.Select(_ => 1f)]),
        };
        return new EvaluationSplit
        {
            Protocol = "test",
            Training = training,
            Cases = new EvaluationCases
            {
                Users = [.. Enumerable.Range(0, targets.Length)],
                History = SequenceData.FromRows(30, exclude),
                Targets = SequenceData.FromRows(30, [.. targets.Select(t => new[] { t })]),
                Exclude = SequenceData.FromRows(30, exclude),
                Negatives = negatives is null ? null : SequenceData.FromRows(30, negatives),
            },
            Metrics = metrics,
            Description = "hand-made",
        };
    }

    [Fact]
    public void Full_ranking_metrics_count_ranks_after_masking()
    {
        // Case 0: target 3, nothing masked → rank 3: hr@5 = 1, ndcg@5 = 1/log2(5) = 0.430677, hr@10 = 1, hr@20 = 1.
        // Case 1: target 3 with items 0, 1, 2 masked → rank 0: every hr = 1, every ndcg = 1.
        // Case 2: target 25 → rank 25: no hit anywhere.
        var split = Split([[], [0, 1, 2], []], [3, 3, 25], new NextItemMetrics([5, 10, 20]));
        var m = RankingRunner.Run(new FixedScoresModel(s_byIndex), split, threads: 2);

        Assert.Equal(2.0 / 3, m["hr@5"], 12);
        Assert.Equal((1 / Math.Log2(5) + 1) / 3, m["ndcg@5"], 12);
        Assert.Equal(2.0 / 3, m["hr@20"], 12);
        // Lists: 0..9 (twice) and 3..12 → 13 distinct items of 30.
        Assert.Equal(13.0 / 30, m["coverage@10"], 12);
    }

    [Fact]
    public void Session_metrics_are_percentages()
    {
        // Targets at ranks 0 and 4 and 25: p@20 = 2/3 × 100; mrr@20 = (1 + 1/5 + 0) / 3 × 100 = 40.
        var split = Split([[], [], []], [0, 4, 25], new SessionMetrics(20));
        var m = RankingRunner.Run(new FixedScoresModel(s_byIndex), split, threads: 1);
        Assert.Equal(200.0 / 3, m["p@20"], 9);
        Assert.Equal(40, m["mrr@20"], 9);
    }

    [Fact]
    public void Sampled_metrics_rank_the_target_among_its_negatives_only()
    {
        // Target 20 against negatives 25..29 (all worse) → sampled rank 0; against the full list it is rank 20 → no full hit.
        // Target 20 against negatives 0..14 (all better) → sampled rank 15: no hit@10; mrr 1/16.
        var split = Split([[], []], [20, 20], new SampledNextItemMetrics(10), [[25, 26, 27, 28, 29], [.. Enumerable.Range(0, 15)]]);
        var m = RankingRunner.Run(new FixedScoresModel(s_byIndex), split, threads: 2);
        Assert.Equal(0.5, m["hr@10"], 12);
        Assert.Equal(0.5, m["ndcg@10"], 12);
        Assert.Equal(0, m["full-hr@10"], 12);
        Assert.Equal((1 + 1.0 / 16) / 2, m["mrr"], 12);
    }

    /// <summary>40 cases, targets cycling over ranks 0..19: every fourth case (the scoring's quarter) has a target at rank 0, 4, 8, 12 or 16.</summary>
    private static EvaluationSplit Cycling() =>
        Split([.. Enumerable.Range(0, 40).Select(_ => Array.Empty<int>())], [.. Enumerable.Range(0, 40).Select(c => c % 20)], new SessionMetrics(20));

    [Fact]
    public void A_checkpoint_that_goes_on_changes_nothing_and_sees_the_metric_over_every_fourth_case()
    {
        var split = Cycling();
        var plain = RankingRunner.Run(new FixedScoresModel(s_byIndex), split, threads: 2);
        var seen = new List<double>();
        var scoring = new TrialScoring("mrr@20", v => { seen.Add(v); return true; }, minCases: 10);

        var checkedRun = RankingRunner.Run(new FixedScoresModel(s_byIndex), split, threads: 2, scoring: scoring);

        Assert.Equal(plain.ToArray(), checkedRun.ToArray());
        // Cases 0, 4, …, 36: targets at ranks 0, 4, 8, 12, 16, 0, … → mean reciprocal rank (1 + 1/5 + 1/9 + 1/13 + 1/17) / 5 × 100.
        double expected = (1 + 1.0 / 5 + 1.0 / 9 + 1.0 / 13 + 1.0 / 17) / 5 * 100;
        Assert.Equal(expected, Assert.Single(seen), 9);
        Assert.Equal(expected, scoring.Partial, 9);
    }

    [Fact]
    public void A_checkpoint_that_says_stop_ends_the_run_and_a_small_split_is_not_checked()
    {
        var split = Cycling();
        var stop = new TrialScoring("p@20", _ => false, minCases: 10);
        var e = Assert.Throws<TrialStoppedException>(() => RankingRunner.Run(new FixedScoresModel(s_byIndex), split, threads: 2, scoring: stop));
        Assert.Equal(100, e.Partial, 9); // every quarter case's target is in the top 20

        var tooFew = new TrialScoring("p@20", _ => false, minCases: 11); // 10 cases in the quarter: scored whole
        var m = RankingRunner.Run(new FixedScoresModel(s_byIndex), split, threads: 1, scoring: tooFew);
        Assert.Equal(100, m["p@20"], 9);
        Assert.True(double.IsNaN(tooFew.Partial));
        Assert.Throws<ArgumentException>(() => RankingRunner.Run(new FixedScoresModel(s_byIndex), split, 1, scoring: new TrialScoring("nope", _ => true, 1)));
    }

    [Fact]
    public void A_model_scoring_a_different_catalog_is_refused()
    {
        var split = Split([[]], [1], new SessionMetrics(20));
        Assert.Throws<InvalidOperationException>(() => RankingRunner.Run(new FixedScoresModel(new float[5]), split, 1));
    }

    [Fact]
    public void Evaluator_times_training_and_scoring_and_names_the_split()
    {
        var data = EvaluationTestData.Sequences(6, [0, 1, 2], [1, 2, 3], [2, 3, 4], [0, 2, 5]);
        var split = new SequentialFullProtocol().CreateSplit(data);
        var result = Evaluator.Run(split, ModelCatalog.CreateTrainer("popularity", ModelParameters.Empty), "popularity",
            ModelParameters.Empty, data.Name, threads: 1);
        Assert.Equal("test", result.Split);
        Assert.Equal(4, result.Cases);
        Assert.True(result.PeakMemoryMB > 0);
        Assert.True(result.TrainSeconds >= 0 && result.ScoreSeconds >= 0);
        Assert.Contains("ndcg@10", result.Metrics.Keys);
        Assert.Contains("novelty@10", result.Metrics.Keys);
    }
}
