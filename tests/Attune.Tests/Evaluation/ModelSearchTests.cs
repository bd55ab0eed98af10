using Attune.Algorithms.Data;
using Attune.Evaluation.Protocols;
using Attune.Evaluation.Tuning;

namespace Attune.Tests.Evaluation;

/// <summary>
/// <c>--model best</c>'s search: whatever the budget, every single model's defaults are tried and the answer is never worse
/// on validation than the best of them; the same seed and thread count give the same trials and the same answer.
/// </summary>
public sealed class ModelSearchTests
{
    /// <summary>300 users in 6 taste groups of 20 items each, plus a few popular items everyone may touch.</summary>
    private static EvaluationSplit GroupedRatings(int users = 300)
    {
        var rng = new Random(17);
        var pairs = new HashSet<(int, int)>();
        for (int u = 0; u < users; u++)
        {
            int group = u % 6;
            for (int k = 0; k < 12; k++) pairs.Add((u, group * 20 + rng.Next(20)));
            for (int k = 0; k < 2; k++) pairs.Add((u, 120 + rng.Next(5)));
        }
        var data = EvaluationTestData.Ratings(users, 125, [.. pairs]);
        return new RecommendersProtocol().CreateSplit(data, validation: true);
    }

    [Fact]
    public void ABudgetOfOneSecondStillReturnsAModelAtLeastAsGoodAsEveryDefault()
    {
        var split = GroupedRatings();
        Assert.Equal(PredictionTask.HeldOutSet, split.Training.Task);

        var result = ModelSearch.Run(split, new TuneOptions { Budget = TimeSpan.FromSeconds(1), Threads = 2 });

        var defaults = result.Trials.Where(t => t.Candidate.Origin == "default").ToList();
        Assert.Equal(ModelPortfolio.Defaults(PredictionTask.HeldOutSet).Select(c => c.Model), defaults.Select(t => t.Candidate.Model));
        Assert.All(defaults, d => Assert.False(double.IsNaN(d.Value), d.Candidate.Model));
        Assert.All(defaults, d => Assert.True(result.Best.Value >= d.Value, $"{result.Best.Value} < {d.Candidate.Model} {d.Value}"));
        Assert.Equal(defaults.Max(d => d.Value), result.BestDefault.Value);
        Assert.True(result.Best.Value > defaults.Single(d => d.Candidate.Model == "popularity").Value); // the groups are learnable

    }

    [Fact]
    public void TheFinalBlendsPairTheBestSingleModelWithEachOfTheTwoBestOthers()
    {
        // Four trials: the defaults only, so the best single model is a default and the blends follow whatever the budget.
        var result = ModelSearch.Run(GroupedRatings(), new TuneOptions
        {
            Budget = TimeSpan.FromSeconds(1), RunLimit = TimeSpan.FromMinutes(10), MaxTrials = 4, Threads = 2,
        });

        var blends = result.Trials.Where(t => t.Candidate.Origin == "blend").Select(t => t.Candidate.Parameters["components"].Split(',')).ToList();
        Assert.Equal(2, blends.Count);
        var bestSingle = result.Trials.Where(t => t.Candidate.Model != "hybrid" && !double.IsNaN(t.Value)).MaxBy(t => t.Value)!;
        Assert.All(blends, b => Assert.Equal(bestSingle.Candidate.Model, b[0]));
        var others = result.Trials.Where(t => t.Candidate.Model != "hybrid" && t.Candidate.Model != bestSingle.Candidate.Model && !double.IsNaN(t.Value))
            .GroupBy(t => t.Candidate.Model).Select(g => (Model: g.Key, Value: g.Max(t => t.Value))).OrderByDescending(m => m.Value).Take(2);
        Assert.Equal(others.Select(m => m.Model), blends.Select(b => b[1]));
        // A blend is chosen unless the single model is clearly better or the blend is under the best default: a single model
        // scoring below a blend is never clearly better than it (it was kept once when a blend's win dropped its per-case values).
        Assert.True(result.Best.Value >= result.BestDefault.Value);
        var blendTrials = result.Trials.Where(t => t.Candidate.Origin == "blend" && !double.IsNaN(t.Value)).ToList();
        if (blendTrials.Any(b => b.Value > bestSingle.Value && b.Value >= result.BestDefault.Value))
            Assert.Equal("hybrid", result.Best.Candidate.Model);
    }

    [Fact]
    public void AFinalBlendThatWouldOverrunTheRunsLimitIsNotTriedAndTheBestSingleModelStands()
    {
        var result = ModelSearch.Run(GroupedRatings(), new TuneOptions
        {
            Budget = TimeSpan.FromSeconds(1), RunLimit = TimeSpan.Zero, MaxTrials = 4, Threads = 2,
        });

        var blends = result.Trials.Where(t => t.Candidate.Origin == "blend").ToList();
        Assert.Equal(2, blends.Count);
        Assert.All(blends, b => Assert.True(double.IsNaN(b.Value) && b.Seconds == 0 && b.Skipped!.Contains("run's limit"), b.ToString()));
        var bestSingle = result.Trials.Where(t => t.Candidate.Model != "hybrid" && !double.IsNaN(t.Value)).MaxBy(t => t.Value)!;
        Assert.Same(bestSingle, result.Best);
        Assert.True(result.Best.Value >= result.BestDefault.Value);
    }

    [Fact]
    public void TrialsClearlyWorseOnAQuarterOfTheCasesAreStoppedThereButNeverTheDefaultsTheBlendsOrAModelsFirst()
    {
        var split = GroupedRatings(2_400); // 2,400 validation cases: a quarter of 600 is checked first
        var result = ModelSearch.Run(split, new TuneOptions { Budget = TimeSpan.FromMinutes(10), MaxTrials = 30, Threads = 2, Seed = 3 });

        Assert.All(result.Trials.Where(t => t.Candidate.Origin == "default"), d => Assert.False(double.IsNaN(d.Partial), d.Candidate.Model));
        var stopped = result.Trials.Where(t => t.Stopped is not null).ToList();
        Assert.NotEmpty(stopped);
        foreach (var t in stopped)
        {
            Assert.DoesNotContain(t.Candidate.Origin, new[] { "default", "blend" });
            // A model's first trial is scored whole (its candidacy as a blend partner).
            Assert.Contains(result.Trials, e => e.Number < t.Number && e.Candidate.Model == t.Candidate.Model && !double.IsNaN(e.Value));
            Assert.True(double.IsNaN(t.Value));
            // Worse by more than the margin than the best before it on the same quarter (the search's best is among these).
            double bestQuarter = result.Trials.Where(e => e.Number < t.Number && !double.IsNaN(e.Value)).Max(e => e.Partial);
            Assert.True(t.Partial < bestQuarter * (1 - ModelSearch.StopMargin), $"trial {t.Number}: {t.Partial} vs {bestQuarter}");
        }
        Assert.True(result.Best.Value >= result.BestDefault.Value);
    }

    [Fact]
    public void ThePairedZOfTwoTrialsIsTheMeanDifferenceOverItsStandardError()
    {
        // Differences 1, 2, 3, 4: mean 2.5, sample variance 5/3, standard error sqrt(5/12).
        Assert.Equal(2.5 / Math.Sqrt(5.0 / 12), ModelSearch.PairedZ([2, 3, 4, 5], [1, 1, 1, 1]), 9);
        Assert.Equal(-2.5 / Math.Sqrt(5.0 / 12), ModelSearch.PairedZ([1, 1, 1, 1], [2, 3, 4, 5]), 9);
        Assert.Equal(0, ModelSearch.PairedZ([1, 2], [1, 2]));
        Assert.Equal(double.PositiveInfinity, ModelSearch.PairedZ([2, 3], [1, 2]));
    }

    [Fact]
    public void TheSameSeedAndThreadCountGiveTheSameTrialsAndTheSameAnswer()
    {
        var split = GroupedRatings();
        var options = new TuneOptions { Budget = TimeSpan.FromMinutes(10), MaxTrials = 16, Threads = 1, Seed = 7 };

        var first = ModelSearch.Run(split, options);
        var second = ModelSearch.Run(split, options);

        Assert.True(first.Trials.Count >= 16, $"{first.Trials.Count} trials"); // the defaults, the portfolio, steps (and the blend)
        Assert.Contains(first.Trials, t => t.Candidate.Origin is "refine" or "random");
        static string Shape(SearchTrial t) =>
            $"{t.Candidate.Model} {string.Join(' ', t.Candidate.Parameters.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}"))} {t.Value:R}";
        Assert.Equal(first.Trials.Select(Shape), second.Trials.Select(Shape));
        Assert.Equal(Shape(first.Best), Shape(second.Best));
        // The steps' best stands only when clearly better than the configuration before the steps; either way, the same.
        Assert.Equal(first.StepSetAside?.Number, second.StepSetAside?.Number);
        if (first.StepSetAside is { } aside)
        {
            Assert.True(aside.Candidate.Origin is "refine" or "random", aside.ToString());
            Assert.NotEqual(aside, first.Best);
        }
    }

    [Fact]
    public void NextItemQuestionsStartFromTheSequenceModelAndTheHybridHoldsOutWhatTheProtocolAsks()
    {
        var rows = Enumerable.Range(0, 60).Select(u => Enumerable.Range(0, 6).Select(k => (u % 5) * 6 + (k + u) % 6).ToArray()).ToArray();
        var split = new SequentialFullProtocol().CreateSplit(EvaluationTestData.Sequences(30, rows), validation: true);
        Assert.Equal(PredictionTask.NextItem, split.Training.Task);

        var result = ModelSearch.Run(split, new TuneOptions { Budget = TimeSpan.FromSeconds(1), Threads = 2 });

        Assert.Contains(result.Trials, t => t.Candidate is { Model: "sequence", Origin: "default" });
        Assert.All(result.Trials.Where(t => t.Candidate.Origin == "default"), d => Assert.True(result.Best.Value >= d.Value));
    }
}
