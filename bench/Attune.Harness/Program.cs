using Attune.Harness;

// The load and speed harness. Each scenario prints one result line ready for docs/benchmarks.md.
// Run from the repository root:  dotnet run -c Release --project bench/Attune.Harness -- <scenario> [options]
string scenario = args.Length > 0 ? args[0] : "help";
var options = HarnessOptions.Parse(args.Skip(1).ToArray());
try
{
    return await RunAsync(scenario, options);
}
finally
{
    await BenchSchemas.DropAllAsync();
}

static async Task<int> RunAsync(string scenario, HarnessOptions options)
{
    switch (scenario)
    {
        case "import":
            return await ImportBenchmark.RunAsync(options);
        case "ingest":
            return await IngestBenchmark.RunBatchesAsync(options);
        case "single":
            return await IngestBenchmark.RunSinglesAsync(options);
        case "memory":
            return await MemoryBenchmark.RunAsync(options);
        case "serve":
            return await ServeBenchmark.RunAsync(options);
        case "console":
            return await ConsoleBenchmark.RunAsync(options);
        case "retention":
            return await RetentionBenchmark.RunAsync(options);
        case "erasure":
            return await ErasureBenchmark.RunAsync(options);
        case "tuning":
            return await TuningBenchmark.RunAsync(options);
        case "scale":
            return await ScaleBenchmark.RunAsync(options);
        case "sources":
            return await SourceCostBenchmark.RunAsync(options);
        case "train":
            return await TrainBenchmark.RunAsync(options);
        case "realtime":
            return await RealtimeBenchmark.RunAsync(options);
        case "experiment-results":
            return ExperimentResultsBenchmark.Run(options);
        case "experiment-cuped":
            return ExperimentCupedBenchmark.Run(options);
        case "experiment-ab":
            return await ExperimentAbBenchmark.RunAsync(options);
        case "experiment-aa":
            return await ExperimentAaBenchmark.RunAsync(options);
        case "decisions":
            return await DecisionsBenchmark.RunAsync(options);
        case "segments":
            return await SegmentLatencyBenchmark.RunAsync(options);
        case "learned-ranking":
            return await LearnedRankingBenchmark.RunAsync(options);
        case "search":
            return await SearchBenchmark.RunAsync(options);
        case "feedlag":
            return await FeedLagBenchmark.RunAsync(options);
        default:
            Console.WriteLine("""
                usage: Attune.Harness <scenario> [--key value ...]
                  import  --file F          attune import of a tsv file vs sqlite3 .import of the same file (needs sqlite3 on PATH)
                  ingest  --seconds 20 --batch 1000 --concurrency 4    HTTP POST /v1/events batches against `attune serve`
                  single  --seconds 20 --concurrency 32                HTTP POST /v1/events, one event per request
                  memory                    peak resident memory of `attune serve --demo` after loading
                  scale   --users 1000000 --items 100000 --days 23 [--data DIR]   a large demo shop: training time, memory, serving load
                  sources --calls 3000      in-process cost of one answer per candidate source and scenario (demo shop)
                  serve   --seconds 15 --concurrency 16                /health, for-you with a filter, similar against `attune serve --demo`
                  console --renders 50 --seconds 15 --concurrency 16   each console page's server-side render time, then for-you
                                            under load without and with live console pages open in Chromium
                  retention --days 1 --seconds 20 --concurrency 16   for-you while retention purges the demo's older views, and after
                  erasure --events 10000 [--data DIR]   time to erase a person with that many events (demo shop, or a folder
                                            such as the scale benchmark's), from DELETE to the 202 and to complete
                  segments --trials 200     rule-segment membership after an event against `attune serve --demo` (time to member)
                  learned-ranking [--log-visits 40000 --visits 160000 --rollout-visits 10000 --exploration-percent 20 --rerank 0
                                   --trees 100 --leaves 4 --min-leaf 200 --oracle true]   a ranker learned from the log against
                                            the default recipe (simulated shoppers): experiment, truth, ceilings, rollout
                  search  --seconds 15 --concurrency 16 [--items 100000 --users 20000 --days 30] [--trials 30]   indexing (words,
                                            vectors, memory), GET /v1/search for a person with 3 facets (a Zipf query log, then
                                            every query new), and an added item's time to be found
                  tuning --budget 60 [--data DIR]   the engine's self-tuning of its factor model: held-out hit rate@20 of the
                                            configured and the tuned parameters, trials and time
                  realtime --trials 300     time from an event's 200 to the first changed for-you answer of that visitor
                  experiment-results --people 1000000 --events 10000000   tracking cost per event and the time to compute results
                  experiment-cuped --people 10000 --repeats 20            CUPED's interval narrowing against sqrt(1 - rho^2)
                  train   --file F --runs 3 --model als,bpr --params "als.reg=60 bpr.epochs=20"
                                            training seconds and held-out recall/NDCG@20 of the factor models (numeric-id tsv)
                  experiment-ab --shoppers 20000 --days 14 --seed 7    an A/B test (non-personal vs default for-you) with shoppers who
                                            react to what is served; the engine's lift and CI next to the simulated true lift
                  decisions --decisions 20000 --seconds 10 --concurrency 16 --batch 500 [--no-http true] [--no-sim true]   decision points: the learner on the
                                            simulated audience, one rank in-process, rank and reward throughput over HTTP
                  experiment-aa --experiments 1000 --people 10000 --days 14 --seed 1   A/A tests through the real tracker and results:
                                            false-positive rate at a fixed horizon and under daily peeking (plain vs sequential)
                """);
            return scenario == "help" ? 0 : 2;
    }
}
