using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Attune.Evaluation.Search;
using Attune.Import;
using Attune.Serving;
using Attune.Serving.Search;
using Attune.Storage.Sqlite;
using Spectre.Console;

namespace Attune.Cli.Commands;

/// <summary>
/// <c>attune evaluate --protocol search --dataset DIR</c>: loads the folder's catalog (<c>items.jsonl</c>) and history
/// (<c>events.jsonl</c>, optional) into a temporary store, starts the engine as <c>attune serve</c> would (its own training,
/// item vectors), asks every judged query (<c>queries.tsv</c>, <c>qrels.txt</c>) in each mode of <see cref="SearchEvaluation"/>
/// and prints nDCG@10, MRR@10, recall@100 and the zero-result rate per mode and query group.
/// </summary>
internal static class SearchEvaluateCommand
{
    public const string Protocol = "search";

    public static async Task<int> RunAsync(string directory, FileInfo? json, IReadOnlyDictionary<string, string> require, CancellationToken ct)
    {
        if (!Directory.Exists(directory)) throw new ArgumentException($"--dataset: {directory} is not a folder (a search set is a folder)");
        var judgements = SearchJudgements.Read(directory);
        string itemsPath = Path.Combine(directory, SearchJudgements.ItemsFile);
        if (!File.Exists(itemsPath)) throw new ArgumentException($"--dataset: a search set needs {SearchJudgements.ItemsFile} (its catalog) in {directory}");
        string eventsPath = Path.Combine(directory, SearchJudgements.EventsFile);

        var clock = Stopwatch.StartNew();
        string data = Path.Combine(Path.GetTempPath(), "attune-search-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(data);
        try
        {
            await using var store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = data, FullSync = false });
            var time = TimeProvider.System;
            var options = new ImportOptions { Encoding = new System.Text.UTF8Encoding(false) };
            var report = new ImportReport();
            long items = 0, events = 0;
            await using (var stream = File.OpenRead(itemsPath))
            {
                foreach (var batch in CatalogFileReader.ReadItems(stream, ImportFormat.Jsonl, options, report, time))
                {
                    await store.UpsertItemsAsync(batch, ct);
                    items += batch.Count;
                }
            }
            if (File.Exists(eventsPath))
            {
                await using var stream = File.OpenRead(eventsPath);
                events = await store.BulkAppendAsync(EventFileReader.ReadBatches(stream, ImportFormat.Jsonl, options, report, time), null, ct);
            }
            if (report.Rejected > 0)
                Console.WriteLine($"note: {report.Rejected:N0} lines of the set were rejected (first: {string.Join("; ", report.Errors.Take(3))})");
            Console.WriteLine($"Loaded {items:N0} items and {events:N0} events in {clock.Elapsed.TotalSeconds:F1} s; training and computing item vectors…");

            await using var engine = new ServingEngine(store, new ServingOptions
            {
                RetrainIntervalMinutes = 0,
                RetrainAfterEvents = 0,
                LogRecommendations = false,
                SemanticSearch = SemanticSearch.AtStart,
            }, data);
            await engine.StartAsync(ct);
            await engine.Search.WhenVectorsReadyAsync(ct);
            if (engine.Search.Semantic?.Failure is { } failure)
                Console.WriteLine($"note: semantic search is unavailable ({failure.Message}); hybrid results are lexical");
            Console.WriteLine($"Ready in {clock.Elapsed.TotalSeconds:F1} s ({engine.Search.Semantic?.Count ?? 0:N0} item vectors, " +
                $"{(engine.Search.Semantic?.MemoryBytes ?? 0) / 1048576.0:F1} MiB); asking {judgements.Queries.Count:N0} queries in {SearchEvaluation.Modes.Count} modes…");
            var evaluation = await SearchEvaluation.RunAsync(engine, judgements, ct);
            var results = evaluation.Scores;
            Print(results);
            Console.WriteLine($"Done in {clock.Elapsed.TotalSeconds:F1} s.");

            var metrics = Flatten(results);
            if (json is not null)
            {
                File.WriteAllText(json.FullName, JsonSerializer.Serialize(new { dataset = Path.GetFullPath(directory), metrics, queries = evaluation.Queries },
                    new JsonSerializerOptions { WriteIndented = true }));
                Console.WriteLine($"Wrote {json.FullName}");
            }
            int exit = 0;
            foreach (var (metric, floor) in require)
            {
                double required = double.Parse(floor, CultureInfo.InvariantCulture);
                if (!metrics.TryGetValue(metric, out double value))
                    throw new ArgumentException($"--require: no metric '{metric}' (names are mode.group.metric, such as hybrid.paraphrase.ndcg@10)");
                bool ok = value >= required;
                Console.WriteLine($"quality gate {metric} = {value:F4} (floor {required}): {(ok ? "pass" : "FAIL")}");
                if (!ok) exit = 3;
            }
            return exit;
        }
        finally
        {
            try { Directory.Delete(data, recursive: true); }
            catch (IOException) { }
        }
    }

    /// <summary><c>mode.group.metric</c> → value (metrics ndcg@10, mrr@10, recall@100, zero-results, queries).</summary>
    private static Dictionary<string, double> Flatten(IReadOnlyDictionary<string, IReadOnlyDictionary<string, SearchScore>> results)
    {
        var flat = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (mode, groups) in results)
        {
            foreach (var (group, s) in groups)
            {
                flat[$"{mode}.{group}.ndcg@10"] = s.Ndcg10;
                flat[$"{mode}.{group}.mrr@10"] = s.Mrr10;
                flat[$"{mode}.{group}.recall@100"] = s.Recall100;
                flat[$"{mode}.{group}.zero-results"] = s.ZeroResultRate;
                flat[$"{mode}.{group}.queries"] = s.Queries;
            }
        }
        return flat;
    }

    private static void Print(IReadOnlyDictionary<string, IReadOnlyDictionary<string, SearchScore>> results)
    {
        var table = new Table().AddColumns("group", "mode", "queries", "nDCG@10", "MRR@10", "recall@100", "zero results");
        var groups = results.Values.First().Keys.OrderBy(g => g == "all" ? 1 : 0).ThenBy(g => g, StringComparer.Ordinal).ToList();
        foreach (string group in groups)
        {
            foreach (string mode in SearchEvaluation.Modes)
            {
                if (!results[mode].TryGetValue(group, out var s)) continue;
                table.AddRow(group, mode, s.Queries.ToString("N0", CultureInfo.InvariantCulture), s.Ndcg10.ToString("F4", CultureInfo.InvariantCulture),
                    s.Mrr10.ToString("F4", CultureInfo.InvariantCulture), s.Recall100.ToString("F4", CultureInfo.InvariantCulture),
                    s.ZeroResultRate.ToString("P1", CultureInfo.InvariantCulture));
            }
        }
        AnsiConsole.Write(table);
        Compare(results, "paraphrase", SearchEvaluation.HybridMode, SearchEvaluation.LexicalMode);
        Compare(results, "lexical", SearchEvaluation.HybridMode, SearchEvaluation.LexicalMode);
        Compare(results, "personal", SearchEvaluation.PersonalMode, SearchEvaluation.HybridMode);
    }

    private static void Compare(IReadOnlyDictionary<string, IReadOnlyDictionary<string, SearchScore>> results, string group, string mode, string baseline)
    {
        if (!results[mode].TryGetValue(group, out var a) || !results[baseline].TryGetValue(group, out var b) || b.Ndcg10 <= 0) return;
        Console.WriteLine($"{group}: {mode} vs {baseline} nDCG@10 {a.Ndcg10:F4} vs {b.Ndcg10:F4} ({(a.Ndcg10 / b.Ndcg10 - 1) * 100:+0.0;-0.0} %)");
    }
}
