using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Attune.Decisions.Features;
using Attune.Decisions.Learning;
using Attune.Decisions.Simulation;

namespace Attune.Harness;

/// <summary>
/// Decision points (issue 13): the learner on the simulated audience (share of the oracle against baselines), the in-process
/// cost of one rank with 50 actions × 30 features, then over HTTP against `attune serve`: rank requests/s and latency, and
/// rewards ingested per second in batches (durable before each answer).
/// </summary>
internal static class DecisionsBenchmark
{
    public static async Task<int> RunAsync(HarnessOptions o)
    {
        if (o.Get("no-sim") is null)
        {
            Simulation(o.Int("decisions", 20_000));
            OffersAndPrices();
        }
        InProcess(o.Int("ranks", 20_000));
        if (o.Get("no-http") is not null) return 0;
        // Rank load at each concurrency (a closed loop: more requests in flight, more throughput and a longer tail).
        int[] levels = [.. (o.Get("concurrency") ?? "8,16").Split(',').Select(int.Parse)];
        return await HttpAsync(o.Int("seconds", 10), levels, o.Int("batch", 500), o.Get("bits"), o.Int("warmup", 5));
    }

    private static void Simulation(int decisions)
    {
        static DecisionPolicy Policy(ExplorationSettings e) => new(new CbLearner(LearningSettings.Default), e);
        var eg = new ExplorationSettings { Algorithm = ExplorationAlgorithm.EpsilonGreedy, Epsilon = 0.1 };
        foreach (var (from, to, label) in new[] { (1UL, 10UL, "seeds 1-10 (the test's)"), (11UL, 40UL, "seeds 11-40 (held out)") })
        {
            var shares = new List<double>();
            double contextFree = 0, uniform = 0;
            for (ulong seed = from; seed <= to; seed++)
            {
                var r = BanditSimulation.Run("default", Policy(ExplorationSettings.Default), seed, decisions);
                shares.Add(r.ShareOfOracle);
                uniform += r.Uniform / r.Oracle;
                contextFree += BanditSimulation.Run("context-free", Policy(eg), seed, decisions, useContext: false).ShareOfOracle;
            }
            int n = shares.Count;
            Console.WriteLine($"decisions simulation, {label}, {decisions:N0} decisions: default learner {shares.Average():P1} of the oracle " +
                $"(lowest {shares.Min():P1}); ε-greedy 0.1 without features {contextFree / n:P1}; uniform {uniform / n:P1}");
        }
        foreach (var algorithm in new[] { ExplorationAlgorithm.EpsilonGreedy, ExplorationAlgorithm.Softmax, ExplorationAlgorithm.Thompson })
        {
            double sum = 0;
            for (ulong seed = 1; seed <= 10; seed++)
                sum += BanditSimulation.Run(algorithm.ToString(), Policy(new ExplorationSettings { Algorithm = algorithm, Epsilon = 0.05 }), seed, decisions).ShareOfOracle;
            Console.WriteLine($"decisions simulation, seeds 1-10: {algorithm} (ε = 0.05 where it applies) {sum / 10:P1} of the oracle");
        }
    }

    /// <summary>Offers' uplift (six seeds) and prices' revenue against the oracle under the default guardrails, per setting.</summary>
    private static void OffersAndPrices()
    {
        for (ulong seed = 1; seed <= 6; seed++)
        {
            var r = OfferSimulation.Run(seed, 40_000);
            Console.WriteLine($"decisions offers, seed {seed}, 40,000 decisions: discount shown to the persuadable {r.OfferShare["persuadable"]:P1}, " +
                $"sure things {r.OfferShare["sure-thing"]:P1}, lost causes {r.OfferShare["lost-cause"]:P1}; redeemed by the persuadable {r.SpendShare["persuadable"]:P1}; " +
                $"margin per visitor {r.Margin:F2} (always {r.AlwaysMargin:F2}, never {r.NeverMargin:F2})");
        }
        var rule = new Attune.Decisions.Prices.PriceRule { Id = "default" };
        var capped = LearningSettings.Default with { ImportanceWeightCap = 1 };
        var thompson = new ExplorationSettings { Algorithm = ExplorationAlgorithm.Thompson };
        var conversion = Attune.Decisions.Prices.PriceDesk.PriceLearning;
        foreach (var (name, learning, exploration) in new (string, LearningSettings, ExplorationSettings)[]
        {
            ("the price point's settings (conversion model, Thompson scale 2)", conversion, Attune.Decisions.Prices.PriceDesk.PriceExploration),
            ("conversion model, Thompson scale 1.5", conversion, thompson with { ThompsonScale = 1.5 }),
            ("conversion model, Thompson scale 1", conversion, thompson with { ThompsonScale = 1 }),
            ("linear model, Thompson scale 0.25, weight cap 1 (the seventh session's)", capped, thompson),
            ("linear model, SquareCB defaults", LearningSettings.Default, ExplorationSettings.Default),
        })
        {
            // Seeds 1-40 chose the price point's settings; 41-100 are held out.
            foreach (var (from, to) in new[] { (1UL, 40UL), (41UL, 100UL) })
            {
                var shares = new List<double>();
                int violations = 0;
                for (ulong seed = from; seed <= to; seed++)
                {
                    var r = PriceSimulation.Run(seed, rule, learning: learning, exploration: exploration);
                    shares.Add(r.ShareOfOracle);
                    violations += r.Violations;
                }
                Console.WriteLine($"decisions prices, {name}, seeds {from}-{to}: {shares.Average():P1} of the oracle's revenue (lowest {shares.Min():P1}), {violations} guardrail violations");
            }
        }
    }

    /// <summary>One rank (featurized context and actions ready, as for a stored point): scoring, probabilities, the draw.</summary>
    private static void InProcess(int ranks)
    {
        var (context, actions) = Features(actionCount: 50, featuresPerAction: 30, contextFeatures: 30);
        var policy = new DecisionPolicy(new CbLearner(LearningSettings.Default), ExplorationSettings.Default);
        var random = new SplitMix(1);
        for (int i = 0; i < 2_000; i++)
        {
            var o = policy.Rank(context, actions, random.Next());
            policy.Learn(context, actions[o.Chosen], random.NextDouble() < 0.3 ? 1 : 0, o.Probabilities[o.Chosen]);
        }
        var times = new double[ranks];
        for (int i = 0; i < ranks; i++)
        {
            long start = Stopwatch.GetTimestamp();
            policy.Rank(context, actions, random.Next());
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        var learn = Stopwatch.StartNew();
        for (int i = 0; i < ranks; i++) policy.Learn(context, actions[i % 50], i % 3 == 0 ? 1 : 0, 0.5);
        Console.WriteLine($"decisions in-process: rank of 50 actions × 30 features with 30 context features (context × action products on): " +
            $"mean {times.Average():F3} ms, p50 {times[ranks / 2]:F3} ms, p99 {times[(int)(ranks * 0.99)]:F3} ms; learn {learn.Elapsed.TotalMilliseconds * 1000 / ranks:F1} µs per reward");
    }

    private static (FeatureSet Context, FeatureSet[] Actions) Features(int actionCount, int featuresPerAction, int contextFeatures)
    {
        var context = new FeatureSet();
        for (int f = 0; f < contextFeatures; f++)
            Featurizer.AddIndicator(context, $"c{f % 6}.f{f}", f % 3 == 0 ? "x" : "y");
        var actions = new FeatureSet[actionCount];
        for (int a = 0; a < actionCount; a++)
        {
            var s = new FeatureSet();
            Featurizer.AddIndicator(s, "_id", $"action-{a}");
            for (int f = 1; f < featuresPerAction; f++) Featurizer.AddIndicator(s, $"a.f{f}", $"v{(a + f) % 7}");
            actions[a] = s;
        }
        return (context, actions);
    }

    private static string PointJson(int actions, int features)
    {
        var sb = new StringBuilder("{\"actions\": [");
        for (int a = 0; a < actions; a++)
        {
            if (a > 0) sb.Append(',');
            sb.Append($"{{\"id\": \"action-{a}\", \"features\": {{");
            for (int f = 0; f < features; f++) sb.Append(f > 0 ? "," : "").Append($"\"f{f}\": \"v{(a + f) % 7}\"");
            sb.Append("}}");
        }
        return sb.Append("]}").ToString();
    }

    private static string ContextJson(int n)
    {
        var sb = new StringBuilder("{\"context\": {");
        for (int f = 0; f < 30; f++) sb.Append(f > 0 ? "," : "").Append($"\"c{f}\": \"{(n + f) % 5}\"");
        return sb.Append("}}").ToString();
    }

    private static string EventIdOf(byte[] answer)
    {
        var reader = new Utf8JsonReader(answer);
        while (reader.Read())
            if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("eventId"u8) && reader.Read())
                return reader.GetString()!;
        throw new InvalidDataException("no eventId in the rank's answer");
    }

    private static async Task<int> HttpAsync(int seconds, int[] levels, int batch, string? bits, int warmupSeconds)
    {
        await using var server = await ServerProcess.StartAsync();
        using var http = ClosedLoop.Client(server.BaseAddress, levels.Max());
        static StringContent Json(string s) => new(s, Encoding.UTF8, "application/json");
        string point = PointJson(50, 30);
        if (bits is not null) point = point[..^1] + $", \"settings\": {{\"learning\": {{\"bits\": {bits}}}}}}}";
        (await http.PutAsync("/v1/decisions/bench", Json(point))).EnsureSuccessStatusCode();

        var events = new System.Collections.Concurrent.ConcurrentQueue<string>();
        // The load generator is kept light (it shares the 2 cores with the server): bodies encoded once, and only the
        // answer's eventId read (the first property), not the whole ranking parsed.
        var contexts = Enumerable.Range(0, 64).Select(n => Encoding.UTF8.GetBytes(ContextJson(n))).ToArray();
        async Task<HttpStatusCode> Rank(HttpClient c, int n)
        {
            using var content = new ByteArrayContent(contexts[n % contexts.Length]);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var r = await c.PostAsync("/v1/decisions/bench/rank", content);
            if (r.StatusCode == HttpStatusCode.OK) events.Enqueue(EventIdOf(await r.Content.ReadAsByteArrayAsync()));
            return r.StatusCode;
        }
        // Warm-up, not measured: the server's JIT reaches its final (tiered, profile-guided) code after some seconds of load.
        await ClosedLoop.RunAsync(http, levels.Max(), warmupSeconds, 200, Rank);
        int failures = 0;
        foreach (int concurrency in levels)
        {
            var rank = await ClosedLoop.RunAsync(http, concurrency, seconds, 0, Rank);
            failures += rank.Failures;
            Console.WriteLine($"decisions over HTTP: rank (50 actions × 30 features stored, 30 context features, each decision durable) " +
                $"{rank.Rate:N0}/s at concurrency {concurrency}, p50 {rank.P(0.5):F2} ms, p99 {rank.P(0.99):F2} ms, {rank.Failures} failed");
        }

        // Known people: 2,000 with a history each, so every rank reads the user record and (every 5 minutes per person) the
        // profile's tastes, which join the context.
        var items = new StringBuilder("[");
        for (int i = 0; i < 200; i++)
            items.Append(i > 0 ? "," : "").Append($"{{\"id\": \"i{i}\", \"title\": \"Item {i}\", \"categories\": [\"c{i % 20}\"], \"brand\": \"b{i % 7}\"}}");
        (await http.PostAsync("/v1/items", Json(items.Append(']').ToString()))).EnsureSuccessStatusCode();
        for (int from = 0; from < 2_000; from += 200)
        {
            var history = new StringBuilder("[");
            for (int u = from; u < from + 200; u++)
                for (int k = 0; k < 5; k++)
                    history.Append(history.Length > 1 ? "," : "").Append($"{{\"type\": \"view\", \"userId\": \"p{u}\", \"itemId\": \"i{(u * 7 + k * 13) % 200}\"}}");
            (await http.PostAsync("/v1/events", Json(history.Append(']').ToString()))).EnsureSuccessStatusCode();
        }
        var personal = Enumerable.Range(0, 2_000).Select(u => Encoding.UTF8.GetBytes(ContextJson(u)[..^1] + $", \"userId\": \"p{u}\"}}")).ToArray();
        async Task<HttpStatusCode> RankPerson(HttpClient c, int n)
        {
            using var content = new ByteArrayContent(personal[n % personal.Length]);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var r = await c.PostAsync("/v1/decisions/bench/rank", content);
            if (r.StatusCode == HttpStatusCode.OK) events.Enqueue(EventIdOf(await r.Content.ReadAsByteArrayAsync()));
            return r.StatusCode;
        }
        var people = await ClosedLoop.RunAsync(http, 16, seconds, 200, RankPerson);
        failures += people.Failures;
        Console.WriteLine($"decisions over HTTP: rank with a userId (2,000 people with histories: their record and tastes join the context) " +
            $"{people.Rate:N0}/s at concurrency 16, p50 {people.P(0.5):F2} ms, p99 {people.P(0.99):F2} ms, {people.Failures} failed");

        var ids = events.ToArray();
        int next = 0;
        long rewarded = 0;
        var clock = Stopwatch.StartNew();
        var latencies = new List<double>();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                int from = Interlocked.Add(ref next, batch) - batch;
                if (from >= ids.Length) return;
                int to = Math.Min(ids.Length, from + batch);
                var body = new StringBuilder("[");
                for (int i = from; i < to; i++) body.Append(i > from ? "," : "").Append($"{{\"eventId\": \"{ids[i]}\", \"value\": {(i % 3 == 0 ? 1 : 0)}}}");
                body.Append(']');
                long start = Stopwatch.GetTimestamp();
                using var r = await http.PostAsync("/v1/decisions/rewards", Json(body.ToString()));
                r.EnsureSuccessStatusCode();
                lock (latencies) latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                Interlocked.Add(ref rewarded, to - from);
            }
        })));
        double rate = rewarded / clock.Elapsed.TotalSeconds;
        latencies.Sort();
        Console.WriteLine($"decisions over HTTP: {rewarded:N0} rewards in batches of {batch}, 4 clients: {rate:N0} rewards/s (durable before each 200), " +
            $"batch p99 {latencies[(int)(latencies.Count * 0.99)]:F1} ms");

        // Learned through the change feed: the point's learner has seen every reward.
        for (int i = 0; i < 100; i++)
        {
            using var doc = JsonDocument.Parse(await http.GetStringAsync("/v1/decisions/bench"));
            long examples = doc.RootElement.GetProperty("learner").GetProperty("examples").GetInt64();
            if (examples >= rewarded || i == 99)
            {
                Console.WriteLine($"decisions over HTTP: the learner has learned {examples:N0} of {rewarded:N0} rewards");
                break;
            }
            await Task.Delay(100);
        }
        return failures > 0 ? 1 : 0;
    }
}
