using System.CommandLine;
using System.Diagnostics;
using Attune.Demo;
using Attune.Storage;

namespace Attune.Cli.Commands;

internal static class DemoCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data();
        var users = new Option<int>("--users") { Description = "Number of simulated users", DefaultValueFactory = _ => 20_000 };
        var items = new Option<int>("--items") { Description = "Number of items", DefaultValueFactory = _ => 5_000 };
        var days = new Option<int>("--days") { Description = "Days of history", DefaultValueFactory = _ => 90 };
        var seed = new Option<int>("--seed") { Description = "Random seed (same seed, same shop)", DefaultValueFactory = _ => 42 };
        var searchSet = new Option<string?>("--search-set")
        {
            Description = "Write the shop as a judged search set to this folder (items.jsonl, events.jsonl, queries.tsv, qrels.txt) " +
                "for 'attune evaluate --protocol search', instead of loading it",
        };
        var command = new Command("demo", "Generate the demo shop and load it into an empty store") { data, users, items, days, seed, searchSet };
        command.SetAction(async (result, ct) =>
        {
            var options = new DemoOptions
            {
                Users = result.GetValue(users),
                Items = result.GetValue(items),
                Days = result.GetValue(days),
                Seed = result.GetValue(seed),
                End = DemoOptions.DefaultEnd(TimeProvider.System),
            };
            if (options.Users < 1 || options.Items < 10 || options.Days < 1)
            {
                Console.Error.WriteLine("attune: --users must be ≥ 1, --items ≥ 10 and --days ≥ 1");
                return 2;
            }
            if (result.GetValue(searchSet) is { } setDirectory)
            {
                WriteSearchSet(options, setDirectory);
                return 0;
            }
            string dir = result.GetValue(data)!;
            await using var store = CommonOptions.OpenStore(dir, "demo", out int exitCode);
            if (store is null) return exitCode;
            var stats = await store.GetStatsAsync(ct);
            if (stats.Events > 0 || stats.Items > 0)
            {
                Console.Error.WriteLine($"attune: {store.DatabasePath} already holds data; use an empty --data folder for the demo");
                return 1;
            }
            await GenerateAndLoadAsync(store, options, dir, ct);
            return 0;
        });
        return command;
    }

    /// <summary>The shop's judged search queries, asked by people with at least 10 events of history.</summary>
    private static void WriteSearchSet(DemoOptions options, string directory)
    {
        var clock = Stopwatch.StartNew();
        var shop = DemoShop.Generate(options);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var e in shop.Events()) if (e.UserId is { } u) counts[u] = counts.GetValueOrDefault(u) + 1;
        var active = new HashSet<string>(counts.Where(c => c.Value >= 10).Select(c => c.Key), StringComparer.Ordinal);
        var set = DemoSearchSet.Build(shop, active);
        set.Write(shop, shop.Events(), directory);
        var groups = set.Queries.GroupBy(q => q.Group).Select(g => $"{g.Count():N0} {g.Key}");
        Console.WriteLine($"Search set written to {Path.GetFullPath(directory)}: {shop.Items.Count:N0} items, {counts.Values.Sum():N0} events, " +
            $"{set.Queries.Count:N0} queries ({string.Join(", ", groups)}) in {clock.Elapsed.TotalSeconds:F1} s (seed {options.Seed}).");
    }

    public static async Task GenerateAndLoadAsync(IAttuneStore store, DemoOptions options, string dataDirectory, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var shop = DemoShop.Generate(options);
        string truthPath = Path.Combine(dataDirectory, "demo-truth.json");
        DemoWriter.WriteTruth(shop, truthPath);
        long events = await ProgressReporter.RunAsync("Loading demo shop", 0, "events",
            progress => DemoLoader.LoadAsync(store, shop, progress, ct));
        Console.WriteLine($"Demo shop loaded: {shop.Items.Count:N0} items, {shop.Users.Count:N0} users, {events:N0} events " +
            $"in {clock.Elapsed.TotalSeconds:F1} s (seed {options.Seed}; hidden tastes in {truthPath}).");
    }
}
