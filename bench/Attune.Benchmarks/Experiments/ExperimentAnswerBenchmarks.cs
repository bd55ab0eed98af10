using Attune.Experiments.Assignment;
using Attune.Experiments.Definitions;
using Attune.Experiments.Running;
using Attune.Storage;
using Attune.Storage.Sqlite;
using BenchmarkDotNet.Attributes;
using Experiment = Attune.Experiments.Definitions.Experiment;

namespace Attune.Benchmarks.Experiments;

/// <summary>
/// What a running experiment adds to one answer (goal with exposure logging: ≤ 20 µs): routing the person (sticky lookup
/// for someone already in, or hash + bucket + first exposure for someone new) and counting the answer's serving guardrails
/// and click-through denominator. The experiment is the one <c>serve --experiment 1</c> runs: two variants, for-you,
/// conversion primary, revenue and click-through secondary, a latency guardrail.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("Experiments")]
public class ExperimentAnswerBenchmarks
{
    private const int People = 2000;
    private ExperimentSetup _setup = null!;
    private string[] _users = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _setup = ExperimentSetup.Create();
        _users = [.. Enumerable.Range(0, People).Select(i => $"u{i:D5}")];
        foreach (string user in _users) _setup.Router.Route(new RouteRequest(user, null, "for-you", ExperimentSetup.NoAttributes));
    }

    [GlobalCleanup]
    public void Cleanup() => _setup.Dispose();

    [Benchmark(Description = "route a returning person")]
    public Assignment? Route() => _setup.Router.Route(new RouteRequest(_users[_next++ % People], null, "for-you", ExperimentSetup.NoAttributes));

    [Benchmark(Description = "route a returning person + count the answer")]
    public Assignment? RouteAndServe()
    {
        var assignment = _setup.Router.Route(new RouteRequest(_users[_next++ % People], null, "for-you", ExperimentSetup.NoAttributes))!;
        _setup.Tracker.Served(assignment.TrackedId, assignment.PersonKey, assignment.Variant, 1.5, empty: false);
        return assignment;
    }

    [Benchmark(Description = "a scenario outside the experiment")]
    public Assignment? Outside() => _setup.Router.Route(new RouteRequest(_users[_next++ % People], null, "similar", ExperimentSetup.NoAttributes));
}

/// <summary>A new person's first answer: hash, bucket, sticky entries under their id, the exposure counted by the tracker.</summary>
[MemoryDiagnoser]
[BenchmarkCategory("Experiments")]
[InvocationCount(100_000)]
public class FirstExposureBenchmarks
{
    private ExperimentSetup _setup = null!;
    private string[] _users = null!;
    private int _next;

    [GlobalSetup]
    public void Setup() => _users = [.. Enumerable.Range(0, 1_000_000).Select(i => $"new-{i:D7}")];

    [IterationSetup]
    public void Fresh()
    {
        _setup?.Dispose();
        _setup = ExperimentSetup.Create();
        _next = 0;
    }

    [GlobalCleanup]
    public void Cleanup() => _setup.Dispose();

    [Benchmark(Description = "first exposure (route + expose + count the answer)")]
    public Assignment? FirstExposure()
    {
        var assignment = _setup.Router.Route(new RouteRequest(_users[_next++ % _users.Length], null, "for-you", ExperimentSetup.NoAttributes))!;
        _setup.Tracker.Served(assignment.TrackedId, assignment.PersonKey, assignment.Variant, 1.5, empty: false);
        return assignment;
    }
}

/// <summary>A started experiment on a throw-away store, with its router and tracker wired as the engine wires them.</summary>
internal sealed class ExperimentSetup : IDisposable
{
    public static readonly Func<Attributes> NoAttributes = () => new Attributes();

    private readonly string _dir;
    private readonly SqliteStore _store;

    private ExperimentSetup(string dir, SqliteStore store, ExperimentRouter router, ExperimentTracker tracker)
    {
        _dir = dir;
        _store = store;
        Router = router;
        Tracker = tracker;
    }

    public ExperimentRouter Router { get; }
    public ExperimentTracker Tracker { get; }

    public static ExperimentSetup Create()
    {
        string dir = Path.Combine(Path.GetTempPath(), "attune-bench-" + Guid.NewGuid().ToString("N"));
        var store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = dir, FullSync = false });
        var book = new ExperimentBook(store, TimeProvider.System);
        var tracker = new ExperimentTracker();
        book.Changed += s => { foreach (var e in s.Experiments.Values) if (e.Phases.Count > 0) tracker.Track(e); };
        var router = new ExperimentRouter(book, TimeProvider.System);
        router.Exposed += e => tracker.Expose(e, e.PersonId);
        book.CreateAsync(new Experiment
        {
            Id = "bench", Variants = [new ExperimentVariant("control", "pop-only", 0.5), new ExperimentVariant("treatment", "default", 0.5)],
            Scenarios = ["for-you"], Metrics = new ExperimentMetrics(Metrics.Conversion, [Metrics.Revenue, Metrics.ClickThrough], [Metrics.LatencyP99]),
        }).GetAwaiter().GetResult();
        book.StartAsync("bench").GetAwaiter().GetResult();
        return new ExperimentSetup(dir, store, router, tracker);
    }

    public void Dispose()
    {
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
