using System.Text.Json;
using Attune.Algorithms;
using Attune.Evaluation.Datasets;
using Attune.Evaluation.Protocols;
using Attune.Evaluation.Running;

namespace Attune.Tests.Evaluation;

/// <summary>The popularity baseline end to end on the shared benchmark data (skipped when ../shared/datasets is absent).</summary>
public class BenchmarkEvaluationTests
{
    private const string NoData = "shared datasets (../shared/datasets) not present";

    private static EvaluationResult Evaluate(string relativePath, string protocol, int threads = 0)
    {
        var data = DatasetLoader.Load(Path.Combine(TestPaths.SharedDatasets!, relativePath));
        var split = EvaluationProtocols.Get(protocol).CreateSplit(data);
        return Evaluator.Run(split, ModelCatalog.CreateTrainer("popularity", ModelParameters.Empty), "popularity",
            ModelParameters.Empty, data.Name, threads);
    }

    [Fact]
    public void Popularity_on_movielens_100k_recommenders_protocol_is_in_the_expected_range()
    {
        Assert.SkipWhen(TestPaths.SharedDatasets is null, NoData);

        var r = Evaluate("movielens-100k", "recommenders");

        // Measured 0.2523 nDCG@10, 0.2287 P@10, 0.1132 R@10, 0.0560 MAP; far below BPR (0.442) and SAR (0.382), above ALS (0.044).
        Assert.Equal(943, r.Cases);
        Assert.InRange(r.Metrics["ndcg@10"], 0.15, 0.30);
        Assert.InRange(r.Metrics["precision@10"], 0.15, 0.30);
        Assert.InRange(r.Metrics["recall@10"], 0.05, 0.20);
        Assert.InRange(r.Metrics["map"], 0.02, 0.10);
        Assert.InRange(r.Metrics["diversity@10"], 0.01, 1);  // genres
        var single = Evaluate("movielens-100k", "recommenders", threads: 1);
        Assert.Equal(r.Metrics, single.Metrics);  // parallel scoring changes nothing
    }

    [Fact]
    public void Popularity_on_toys_full_ranking_is_near_the_published_poprec()
    {
        Assert.SkipWhen(TestPaths.SharedDatasets is null, NoData);

        var r = Evaluate(Path.Combine("seqrec-iclrec", "Toys_and_Games.txt"), "seq-full");

        // S3-Rec's PopRec on Toys: HR@10 0.0113, NDCG@10 0.0061. Measured here: 0.0090 / 0.0052.
        Assert.Equal(19_412, r.Cases);
        Assert.InRange(r.Metrics["hr@10"], 0.005, 0.02);
        Assert.InRange(r.Metrics["ndcg@10"], 0.0025, 0.012);
    }

    [Fact]
    public void Popularity_on_diginetica_sessions_is_near_the_published_pop()
    {
        Assert.SkipWhen(TestPaths.SharedDatasets is null, NoData);

        var r = Evaluate("session-diginetica", "session");

        // SR-GNN's POP: P@20 0.89, MRR@20 0.20 (×100). Measured here: 0.93 / 0.197.
        Assert.Equal(60_858, r.Cases);
        Assert.InRange(r.Metrics["p@20"], 0.6, 1.2);
        Assert.InRange(r.Metrics["mrr@20"], 0.1, 0.3);
    }

    [Fact]
    public void Result_json_has_lower_case_metrics_and_timings()
    {
        var data = EvaluationTestData.Sequences(6, [0, 1, 2], [1, 2, 3], [2, 3, 4]);
        var split = new SequentialFullProtocol().CreateSplit(data);
        var p = ModelParameters.Parse(["weighted=true"]);
        var r = Evaluator.Run(split, ModelCatalog.CreateTrainer("popularity", p), "popularity", p, data.Name, 1);
        using var stream = new MemoryStream();

        ResultJson.Write(stream, r);

        using var doc = JsonDocument.Parse(stream.ToArray());
        var root = doc.RootElement;
        Assert.Equal("seq-full", root.GetProperty("protocol").GetString());
        Assert.Equal("popularity", root.GetProperty("model").GetString());
        Assert.True(root.GetProperty("params").GetProperty("weighted").GetBoolean());
        Assert.True(root.GetProperty("metrics").TryGetProperty("hr@10", out _));
        Assert.All(root.GetProperty("metrics").EnumerateObject(), m => Assert.Equal(m.Name.ToLowerInvariant(), m.Name));
        Assert.True(root.GetProperty("trainSeconds").GetDouble() >= 0);
        Assert.True(root.GetProperty("scoreSeconds").GetDouble() >= 0);
    }
}
