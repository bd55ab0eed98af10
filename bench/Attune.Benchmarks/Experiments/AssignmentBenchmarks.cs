using Attune.Experiments.Assignment;
using BenchmarkDotNet.Attributes;

namespace Attune.Benchmarks.Experiments;

/// <summary>
/// One experiment assignment with a targeting condition, as serving does it per recommendation answer (budget with exposure
/// logging: 20 µs). The attributes are built per call, as a request would; the experiment is compiled once.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("Experiments")]
public class AssignmentBenchmarks
{
    private Experiment _experiment = null!;
    private Condition _condition = null!;
    private Attributes _attributes = null!;
    private int _user;

    [GlobalSetup]
    public void Setup()
    {
        _condition = Condition.Parse("""{"country": {"$in": ["DE", "FR", "NL"]}, "device": {"$ne": "bot"}, "app": {"$vgte": "2.0.0"}}""");
        _experiment = new Experiment
        {
            Key = "for-you-recipe", Variations = ["default", "trending-heavy"], Weights = [0.5, 0.5], Coverage = 0.9, HashVersion = 2,
            HashAttribute = "id", Condition = _condition,
        };
        _attributes = People(0);
    }

    private static Attributes People(int i) => new()
    {
        ["id"] = $"user-{i}", ["country"] = "DE", ["device"] = "mobile", ["app"] = "2.4.1",
    };

    [Benchmark(Description = "run: condition + hash + bucket")]
    public int Run()
    {
        var result = Assigner.Run(_experiment, new EvaluationContext { Attributes = _attributes });
        return result.VariationId;
    }

    [Benchmark(Description = "run with the attributes built per call")]
    public int RunWithAttributes()
    {
        var attributes = new Attributes(4) { ["id"] = "user-42", ["country"] = "DE", ["device"] = "mobile", ["app"] = "2.4.1" };
        return Assigner.Run(_experiment, new EvaluationContext { Attributes = attributes }).VariationId;
    }

    [Benchmark(Description = "condition only")]
    public bool ConditionOnly() => _condition.Evaluate(_attributes);

    [Benchmark(Description = "hash v2 only")]
    public double? HashOnly() => Hashing.Hash("for-you-recipe", s_ids[_user++ & 7], 2);

    private static readonly string[] s_ids = [.. Enumerable.Range(0, 8).Select(i => $"user-{i}")];
}
