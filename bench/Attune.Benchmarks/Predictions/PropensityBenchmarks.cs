using Attune.Predictions.Propensity;
using Attune.Predictions.Segments;
using BenchmarkDotNet.Attributes;

namespace Attune.Benchmarks.Predictions;

/// <summary>
/// A person's predictions on the serving path: reading the scores held for them (what <c>GET /v1/users/{id}/predictions</c>
/// and decisions read), the four models' reasons, rescoring them from their history after an event (features + four
/// models), and evaluating a segment rule. The models are trained once on the demo shop's first 5,000 shoppers (the same
/// simulator as <c>attune demo</c>); single-threaded.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("Predictions")]
public class PropensityBenchmarks
{
    private PeopleActivity _people = null!;
    private ItemFacts _items = null!;
    private PropensityScorer _scorer = null!;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string, bool), PersonScores> _held = new();
    private readonly PersonFeatures.Scratch _scratch = new();
    private int _person;
    private long _now;
    private string[] _ids = [];
    private SegmentRule _rule = null!;
    private PersonFacts _facts = null!;

    [GlobalSetup]
    public void Setup()
    {
        var shop = Attune.Demo.DemoShop.Generate(new Attune.Demo.DemoOptions { Users = 5_000, Items = 2_000, Days = 90, Seed = 42, End = DateTimeOffset.Parse("2026-06-01T00:00:00Z") });
        string dir = Path.Combine(Path.GetTempPath(), "attune-bench-propensity-" + Guid.NewGuid().ToString("N"));
        try
        {
            var store = Attune.Storage.Sqlite.SqliteStore.Open(new Attune.Storage.Sqlite.SqliteStoreOptions { DataDirectory = dir, FullSync = false });
            Attune.Demo.DemoLoader.LoadAsync(store, shop).GetAwaiter().GetResult();
            (_people, _items) = Attune.Server.Hosting.PropensityData.LoadAsync(store, new ActivityCodes()).GetAwaiter().GetResult();
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        finally { Directory.Delete(dir, recursive: true); }
        _now = _people.LastMs + 1;
        var models = PropensityTrainer.Train(_people, _items, _now, new PropensitySettings { MaxTrainingRows = 40_000 });
        _scorer = new PropensityScorer(models, 1, DateTimeOffset.UtcNow);
        PersonScoring.ScoreAll(_people, _scorer, _items, null, _now, s => _held[(s.Id, s.Anonymous)] = s);
        _ids = _people.Ids;
        _rule = SegmentRule.Parse("predictions.purchase7d > 0.3 and activity.purchases30d >= 1 or rfm.segment = 'champions'");
        var held = _held[(_ids[7], _people.Anonymous[7])];
        _facts = new PersonFacts { Id = held.Id, Features = held.Features, Predictions = held.Probabilities, RfmSegment = "loyal" };
    }

    private int Next() => _person = (_person + 1) % _people.People;

    [Benchmark(Baseline = true, Description = "a person's held scores (lookup)")]
    public PersonScores? Read()
    {
        int p = Next();
        return _held.TryGetValue((_ids[p], _people.Anonymous[p]), out var s) ? s : null;
    }

    [Benchmark(Description = "a person's held scores + the reasons of four models")]
    public int ReadAndExplain()
    {
        int p = Next();
        if (!_held.TryGetValue((_ids[p], _people.Anonymous[p]), out var s)) return 0;
        int reasons = 0;
        for (int m = 0; m < _scorer.Models.Count; m++)
            if (!float.IsNaN(s.Probabilities[m])) reasons += _scorer.Explain(m, s.Features).Count;
        return reasons;
    }

    [Benchmark(Description = "rescore a person from their history (features + four models)")]
    public PersonScores Rescore()
    {
        int p = Next();
        return PersonScoring.Score(_ids[p], _people.Anonymous[p], _people.Of(p), _scorer, _items, null, _scratch, _now);
    }

    [Benchmark(Description = "evaluate a segment rule (three comparisons)")]
    public bool EvaluateSegmentRule() => _rule.Matches(_facts);
}
