using System.Diagnostics;
using Attune.Demo;
using Attune.Serving;
using Attune.Serving.Filtering;
using Attune.Serving.Scenarios;
using Attune.Storage.Sqlite;

namespace Attune.Harness;

/// <summary>
/// In-process cost of one answer per candidate source on the demo shop (no HTTP): each source alone as a one-source scenario,
/// then the shipped for-you and similar, one thread. Shows where serving time goes.
/// </summary>
internal static class SourceCostBenchmark
{
    public static async Task<int> RunAsync(HarnessOptions o)
    {
        int calls = o.Int("calls", 3000);
        // --data DIR: an existing store (and its models), e.g. the one `scale` made; otherwise a fresh demo shop.
        string? existing = o.Get("data");
        string dir = existing ?? Path.Combine(Path.GetTempPath(), "attune-sources-" + Guid.NewGuid().ToString("N")[..8]);
        await using var store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = dir, FullSync = false });
        if (existing is null) await DemoLoader.LoadAsync(store, DemoShop.Generate(new DemoOptions { End = DemoOptions.DefaultEnd(TimeProvider.System) }));
        int users = o.Int("users", 20_000), items = o.Int("items", 5_000);
        var options = new ServingOptions { LogRecommendations = false, RetrainIntervalMinutes = 0, RetrainAfterEvents = 0 };
        foreach (string source in Attune.Serving.Sources.SourceRegistry.CreateDefault().Names)
            options.Scenarios["only-" + source] = ScenarioOptions.Of("one source", AnchorKind.Recent, (source, 1f));
        await using var engine = new ServingEngine(store, options, dir);
        await engine.StartAsync();
        var filter = ItemFilter.Parse("inStock and price <= context.budget");
        var context = new FilterContext(new Dictionary<string, object?> { ["budget"] = 150.0 }, DateTimeOffset.UtcNow);
        string? only = o.Get("scenario");
        // --recipe NAME: the same answers through a stored recipe that changes nothing (a named recipe costs what the default does).
        string? recipe = o.Get("recipe");
        if (recipe is not null) await engine.PutRecipeAsync(new Attune.Serving.Recipes.Recipe { Name = recipe });
        // --experiment: answers are assigned inside a running experiment whose two variants serve the same (default) recipe,
        // so the difference from a plain run is the cost of assignment, exposure logging and tracking alone.
        if (o.Get("experiment") is not null)
        {
            await engine.Experiments.CreateAsync(new Attune.Experiments.Definitions.Experiment
            {
                Id = "bench",
                Variants = [new("a", "default", 0.5), new("b", "default", 0.5)],
                Metrics = new(Attune.Experiments.Definitions.Metrics.Conversion, [Attune.Experiments.Definitions.Metrics.Revenue], [Attune.Experiments.Definitions.Metrics.LatencyP99]),
                // --experiment cuped: each first exposure also reads the person's pre-period from the store, in the background.
                Analysis = new() { Cuped = o.Get("experiment") == "cuped" },
            });
            await engine.Experiments.StartAsync("bench");
        }
        foreach (string scenario in engine.Scenarios.Keys.Order())
        {
            if (only is not null && scenario != only) continue;
            RecommendationRequest Request(int n) => new()
            {
                UserId = $"u{n * 7919 % users + 1:D5}", Scenario = scenario, Recipe = recipe, Count = 20, Filter = filter, Context = context,
                ItemIds = [$"i{n * 7919 % items + 1:D5}"],
            };
            for (int n = 0; n < 2000; n++) engine.Recommend(Request(n)); // tiered JIT reaches its final code
            // Timed in batches of 100 answers: the median batch is what one answer costs without the machine's hiccups
            // (this 2-core machine's neighbours and the GC move a plain mean by ±20 % between runs of the same build).
            const int Batch = 100;
            var batches = new double[Math.Max(1, calls / Batch)];
            var total = Stopwatch.StartNew();
            for (int b = 0, n = 0; b < batches.Length; b++)
            {
                long start = Stopwatch.GetTimestamp();
                for (int k = 0; k < Batch; k++, n++) engine.Recommend(Request(n));
                batches[b] = Stopwatch.GetElapsedTime(start).TotalMicroseconds / Batch;
            }
            Array.Sort(batches);
            Console.WriteLine($"sources: {scenario,-22} {batches[batches.Length / 2],8:F1} µs per answer (median of {batches.Length} batches of {Batch}; mean {total.Elapsed.TotalMicroseconds / (batches.Length * Batch):F1})");
        }
        if (existing is null) try { Directory.Delete(dir, true); } catch (IOException) { }
        return 0;
    }
}
