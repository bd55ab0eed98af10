using System.Globalization;
using Attune.Algorithms;
using Attune.Evaluation.Datasets;
using Attune.Evaluation.Protocols;
using Attune.Evaluation.Tuning;

namespace Attune.Tests.Evaluation;

public class TunerTests
{
    private static readonly TuneOptions s_fewTrials = new() { Budget = TimeSpan.FromMinutes(1), MaxTrials = 6, Threads = 2 };

    [Fact]
    public void Tuning_a_sequential_protocol_never_shows_the_test_items()
    {
        // 40 users; user u's last item is 100 + u, which appears nowhere else: the test items.
        var rows = Enumerable.Range(0, 40).Select(u => new[] { u % 7, 7 + u % 5, 12 + u % 3, 20 + u % 11, 100 + u }).ToArray();
        var data = EvaluationTestData.Sequences(140, rows);
        foreach (var protocol in new IEvaluationProtocol[] { new SequentialFullProtocol(), new SequentialSampledProtocol() })
        {
            var recorder = new RecordingModel();

            var result = Tuner.Run(data, protocol, recorder.Descriptor, s_fewTrials);

            Assert.Equal(6, result.Trials.Count);
            Assert.Equal(6, recorder.Trained.Count);
            Assert.DoesNotContain(recorder.ItemsSeen(), i => i >= 100);
            // Validation targets are the second-to-last items, so the model reads at most the first three of each user.
            Assert.All(recorder.Scored, s => Assert.True(s.History.Length <= 3));
        }
    }

    [Fact]
    public void Tuning_the_recommenders_protocol_never_shows_a_test_row()
    {
        var rng = new Random(3);
        var pairs = new HashSet<(int, int)>();
        while (pairs.Count < 600) pairs.Add((rng.Next(50), rng.Next(40)));
        var data = EvaluationTestData.Ratings(50, 40, [.. pairs]);
        var (_, testRows) = StratifiedSplitter.SplitByItem(data.Ratings!, 40);
        var testPairs = testRows.Select(r => (data.Ratings!.User[r], data.Ratings.Item[r])).ToHashSet();
        var recorder = new RecordingModel();

        Tuner.Run(data, new RecommendersProtocol(), recorder.Descriptor, s_fewTrials);

        Assert.NotEmpty(testPairs);
        Assert.Empty(recorder.PairsSeen().Intersect(testPairs));
        Assert.Equal(6, recorder.Trained.Count);
    }

    [Fact]
    public void Tuning_the_session_protocol_never_shows_test_sessions()
    {
        // Training sessions use items 0..19; the test cases use only items 20..29.
        var rng = new Random(5);
        var train = Enumerable.Range(0, 50).Select(_ => Enumerable.Range(0, rng.Next(2, 6)).Select(_ => rng.Next(20)).ToArray()).ToArray();
        var data = EvaluationTestData.Sessions(30, train, [[20, 21], [22]], [23, 24]);
        var recorder = new RecordingModel();

        Tuner.Run(data, new SessionProtocol(), recorder.Descriptor, s_fewTrials);

        Assert.DoesNotContain(recorder.ItemsSeen(), i => i >= 20);
        Assert.All(recorder.Trained, t => Assert.Equal(45, t.Users));  // 50 sessions minus the last 10 % held out
        Assert.All(recorder.Scored, s => Assert.Equal(-1, s.User));
    }

    [Fact]
    public void Trials_start_from_the_defaults_and_draw_inside_the_search_space()
    {
        var data = EvaluationTestData.Sequences(10, [.. Enumerable.Range(0, 20).Select(u => new[] { u % 10, (u + 1) % 10, (u + 3) % 10 })]);
        var recorder = new RecordingModel();
        var result = Tuner.Run(data, new SequentialFullProtocol(), recorder.Descriptor, s_fewTrials);

        Assert.Equal("defaults", result.Trials[0].Phase);
        Assert.Empty(result.Trials[0].Parameters);
        Assert.All(result.Trials.Skip(1), t => Assert.InRange(double.Parse(t.Parameters["alpha"], CultureInfo.InvariantCulture), 0.01, 10));
        Assert.Equal("ndcg@10", result.Metric);
        Assert.Equal(result.Trials.Max(t => t.Value), result.BestValue);
    }

    [Fact]
    public void A_model_without_a_search_space_gets_one_trial_and_unknown_metrics_are_refused()
    {
        var data = EvaluationTestData.Sequences(10, [.. Enumerable.Range(0, 20).Select(u => new[] { u % 10, (u + 1) % 10, (u + 3) % 10 })]);
        var popularity = ModelCatalog.Get("popularity");
        var result = Tuner.Run(data, new SequentialFullProtocol(), popularity, s_fewTrials);
        Assert.Single(result.Trials);
        Assert.Throws<ArgumentException>(() => Tuner.Run(data, new SequentialFullProtocol(), popularity,
            new TuneOptions { Metric = "auc", MaxTrials = 1 }));
    }

    [Fact]
    public void Sampler_draws_log_uniform_values_and_rounds_integers()
    {
        var sampler = new ParameterSampler(
            [new ParameterRange("reg", 0.001, 10, LogScale: true), new ParameterRange("factors", 8, 256, LogScale: true, Integer: true)], 1);
        var regs = new List<double>();
        for (int k = 0; k < 2000; k++)
        {
            var p = sampler.Random();
            double reg = double.Parse(p["reg"], CultureInfo.InvariantCulture);
            Assert.InRange(reg, 0.001, 10);
            Assert.InRange(int.Parse(p["factors"], CultureInfo.InvariantCulture), 8, 256);
            regs.Add(reg);
        }
        // Log-uniform on [1e-3, 10]: the median is the geometric mean 0.1 (uniform would put it near 5); a quarter lies below 1e-2.
        regs.Sort();
        Assert.InRange(regs[1000], 0.05, 0.2);
        Assert.InRange(regs.Count(r => r < 0.01) / 2000.0, 0.2, 0.3);
        var near = sampler.Around(new Dictionary<string, string> { ["reg"] = "0.1", ["factors"] = "64" }, 0.01);
        Assert.InRange(double.Parse(near["reg"], CultureInfo.InvariantCulture), 0.07, 0.14);
    }

    [Fact]
    public void Tuned_parameters_file_round_trips_params()
    {
        using var dir = TestPaths.NewTempDirectory();
        string path = Path.Combine(dir.Path, "best.json");
        var tuned = new TuningResult
        {
            Model = "als",
            Protocol = "seq-full",
            Metric = "ndcg@10",
            BestParameters = new Dictionary<string, string> { ["factors"] = "64", ["reg"] = "0.0125", ["kind"] = "bm25", ["flag"] = "true" },
            BestValue = 0.05,
            Trials = [],
            Seconds = 1,
            Validation = "v",
        };

        TunedParametersFile.Write(path, tuned);
        var (model, parameters) = TunedParametersFile.Read(path);

        Assert.Equal("als", model);
        Assert.Equal(tuned.BestParameters.OrderBy(p => p.Key), parameters.OrderBy(p => p.Key));
        string json = File.ReadAllText(path);
        Assert.Contains("\"factors\": 64", json);
        Assert.Contains("\"trials\": 0", json);
    }
}
