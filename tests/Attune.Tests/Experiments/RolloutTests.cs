using Attune.Demo;
using Attune.Experiments.Definitions;
using Attune.Experiments.Running;
using Attune.Model;
using Attune.Serving;
using Attune.Serving.Sources;
using Attune.Storage;
using Attune.Storage.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Recipe = Attune.Serving.Recipes.Recipe;
using RecipeScenario = Attune.Serving.Recipes.RecipeScenario;

namespace Attune.Tests.Experiments;

/// <summary>
/// Progressive rollouts on a real engine and store with the engine's clock moved by hand: sticky monotone ramps, steps that
/// wait their time, completion into the baseline, automatic rollback with the reason on each guardrail, retraining that goes
/// out through a rollout.
/// </summary>
public sealed class RolloutTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = TestPaths.NewTempDirectory();
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private SqliteStore _store = null!;
    private List<string> _users = [];

    public async ValueTask InitializeAsync()
    {
        _store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = _dir.Path, FullSync = false });
        var shop = DemoShop.Generate(new DemoOptions { Users = 400, Items = 150, Days = 10, Seed = 5, End = DemoOptions.DefaultEnd(TimeProvider.System) });
        await DemoLoader.LoadAsync(_store, shop);
        _users = [.. shop.Users.Select(u => u.Id)];
    }

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        _dir.Dispose();
    }

    private async Task<ServingEngine> StartEngineAsync(ServingOptions? options = null, SourceRegistry? sources = null)
    {
        var engine = new ServingEngine(_store, options ?? new ServingOptions { RetrainIntervalMinutes = 0, RetrainAfterEvents = 0 }, _dir.Path,
            sources: sources, time: _clock);
        await engine.StartAsync(TestContext.Current.CancellationToken);
        return engine;
    }

    /// <summary>Latency is not what these tests are about (a debug build's collections would make it flaky): it is read only
    /// where a test says so.</summary>
    private static readonly RolloutGuardrails Relaxed = new() { MinAnswers = 20, MaxLatencyIncrease = 1_000_000, LatencyMinAnswers = 20 };

    private static Rollout RecipeRollout(string id, string recipe, RolloutGuardrails? guardrails = null, params double[] percents) => new()
    {
        Id = id, Recipe = recipe, Scenarios = ["for-you"], Steps = RolloutStep.Of(percents.Length > 0 ? percents : [10, 50, 100], 10),
        Guardrails = guardrails ?? Relaxed,
    };

    private static Recommendation For(ServingEngine engine, string user, string scenario = "for-you") =>
        engine.Recommend(new RecommendationRequest { UserId = user, Scenario = scenario, Count = 5 });

    private void Wait(double minutes) => _clock.Advance(TimeSpan.FromMinutes(minutes));

    [Fact]
    public async Task ARolloutRampsStickilyAndMonotonicallyThenCompletesIntoTheDefaultRecipe()
    {
        var ct = TestContext.Current.CancellationToken;
        var engine = await StartEngineAsync();
        await engine.PutRecipeAsync(new Recipe { Name = "pop-only", Scenarios = { ["for-you"] = new RecipeScenario { Sources = new() { ["popularity"] = 1 } } } }, ct);
        var started = await engine.StartRolloutAsync(RecipeRollout("pop", "pop-only"), ct);
        Assert.Equal(RolloutStatus.Running, started.Status);
        Assert.Equal(0.1, started.Share);

        HashSet<string> NewSide()
        {
            var side = new HashSet<string>();
            foreach (string user in _users)
            {
                var answer = For(engine, user);
                Assert.Equal("rollout:pop", answer.Experiment!.Id);
                Assert.Equal(answer.Experiment.Variant == "rollout" ? "pop-only" : "default", answer.Recipe);
                if (answer.Experiment.Variant == "rollout") side.Add(user);
            }
            return side;
        }

        var tenPercent = NewSide();
        Assert.InRange(tenPercent.Count, 20, 65); // 10 % of 400
        Assert.Equal(tenPercent, NewSide()); // sticky
        Assert.Null(For(engine, _users[0], "trending").Experiment); // other scenarios are not in it

        // The wait is not over: the step holds.
        var hold = Assert.Single(await engine.CheckRolloutsAsync(ct));
        Assert.Equal(RolloutAction.Hold, hold.Decision.Action);
        Assert.Contains("waits until", hold.Decision.Reason);
        // (The engine's own background check may act first; either way the step moves once.)
        Wait(11);
        await engine.CheckRolloutsAsync(ct);
        Assert.Equal(1, engine.Rollouts.Current["pop"].Step);

        // 50 %: everyone who had the new side keeps it (monotone), and about half are on it now.
        var half = NewSide();
        Assert.Superset(tenPercent, half);
        Assert.InRange(half.Count, 160, 240);
        var step2 = engine.Tracker.Sums("rollout:pop:2")!;
        Assert.Equal(_users.Count, step2.Phases[0].Values.Sum(v => v.People)); // each step counts its own people

        // A restart keeps the step, its exposures and its sums.
        await Task.Delay(300, ct); // the exposure writer batches for 100 ms
        await engine.DisposeAsync();
        engine = await StartEngineAsync();
        Assert.Equal(1, engine.Rollouts.Current["pop"].Step);
        Assert.Equal(_users.Count, engine.Tracker.Sums("rollout:pop:2")!.Phases[0].Values.Sum(v => v.People));
        Assert.Equal(half, NewSide());

        Wait(11);
        await engine.CheckRolloutsAsync(ct);
        Assert.Equal(_users.Count, NewSide().Count); // 100 %
        Wait(11);
        await engine.CheckRolloutsAsync(ct);

        // Completed: the default recipe now serves what the new side served, and nobody is in a rollout any more.
        var done = engine.Rollouts.Current["pop"];
        Assert.Equal(RolloutStatus.Completed, done.Status);
        Assert.Contains("promoted into default", done.Reason);
        Assert.Equal(3, done.History.Count);
        Assert.All(done.History, run => Assert.StartsWith("passed: ", run.Outcome));
        Assert.Equal(1f, engine.Recipes.Default.Recipe.Scenarios["for-you"].Sources!["popularity"]);
        var after = For(engine, _users[1]);
        Assert.Null(after.Experiment);
        Assert.Equal("default", after.Recipe);
        Assert.All(after.Items, i => Assert.Contains(i.Reasons!, r => r.Contains("popular", StringComparison.OrdinalIgnoreCase)));
        await engine.DisposeAsync();
    }

    /// <summary>Every answer it serves fails.</summary>
    private sealed class BrokenSource : CandidateSource
    {
        public override string Name => "broken";
        public override string Description => "Always fails";
        public override SourceScores ScoreAll(SourceContext context, float[] buffer) => throw new InvalidOperationException("broken source");
    }

    [Fact]
    public async Task AFailingRecipeIsRolledBackOnItsErrorRateAndTheReasonIsKept()
    {
        var ct = TestContext.Current.CancellationToken;
        var sources = SourceRegistry.CreateDefault();
        sources.Add(new BrokenSource());
        await using var engine = await StartEngineAsync(sources: sources);
        await engine.PutRecipeAsync(new Recipe { Name = "broken", Scenarios = { ["for-you"] = new RecipeScenario { Sources = new() { ["broken"] = 1 } } } }, ct);
        await engine.StartRolloutAsync(RecipeRollout("bad", "broken", null, 50, 100), ct);
        int failed = 0;
        foreach (string user in _users)
        {
            try { For(engine, user); }
            catch (InvalidOperationException) { failed++; }
        }
        Assert.InRange(failed, 150, 250);

        // Rolled back at the first check, long before the step's wait is over.
        var judged = engine.JudgeRollout(engine.Rollouts.Current["bad"]);
        await engine.CheckRolloutsAsync(ct);
        var rolledBack = engine.Rollouts.Current["bad"];
        Assert.True(rolledBack.Status == RolloutStatus.RolledBack, judged.Reason + " / " + judged.Reading);
        Assert.Equal(RolloutStatus.RolledBack, rolledBack.Status);
        Assert.Contains("error rate 100.00 %", rolledBack.Reason);
        Assert.StartsWith("rolled back: step 1 (50 %)", rolledBack.History[0].Outcome);
        Assert.All(_users.Take(100), user => Assert.Equal("default", For(engine, user).Recipe)); // everyone is back
        Assert.Empty(await engine.CheckRolloutsAsync(ct));
    }

    [Fact]
    public async Task ALatencyCapRollsBackOnlyOnceEnoughAnswersWereServed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var engine = await StartEngineAsync();
        await engine.PutRecipeAsync(new Recipe { Name = "pop-only", Scenarios = { ["for-you"] = new RecipeScenario { Sources = new() { ["popularity"] = 1 } } } }, ct);
        // A cap no answer can meet: latency is not read before 300 answers on the new side, then it rolls back.
        await engine.StartRolloutAsync(RecipeRollout("slow", "pop-only", Relaxed with { MinAnswers = 20, LatencyMinAnswers = 300, MaxLatencyP99Ms = 1e-6 }, 50, 100), ct);
        foreach (string user in _users) For(engine, user);
        var first = Assert.Single(await engine.CheckRolloutsAsync(ct)).Decision;
        Assert.Equal(RolloutAction.Hold, first.Action);
        Assert.InRange(first.Reading.Answers, 150, 250);
        foreach (string user in _users) For(engine, user);
        await engine.CheckRolloutsAsync(ct);
        Assert.Equal(RolloutStatus.RolledBack, engine.Rollouts.Current["slow"].Status);
        Assert.Contains("p99 latency", engine.Rollouts.Current["slow"].Reason);
    }

    [Fact]
    public async Task AStepWaitsForItsMinimumAnswersBeforeItPasses()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var engine = await StartEngineAsync();
        await engine.PutRecipeAsync(new Recipe { Name = "pop-only", Scenarios = { ["for-you"] = new RecipeScenario { Sources = new() { ["popularity"] = 1 } } } }, ct);
        await engine.StartRolloutAsync(RecipeRollout("quiet", "pop-only", Relaxed with { MinAnswers = 50 }, 10, 100), ct);
        Wait(11);
        var quiet = Assert.Single(await engine.CheckRolloutsAsync(ct)).Decision;
        Assert.Equal(RolloutAction.Hold, quiet.Action);
        Assert.Contains("needs 50 answers", quiet.Reason);
        foreach (string user in _users) For(engine, user);
        foreach (string user in _users) For(engine, user);
        await engine.CheckRolloutsAsync(ct);
        Assert.Equal(1, engine.Rollouts.Current["quiet"].Step);
    }

    [Fact]
    public void TheGuardedMetricSignificantlyWorseRollsBackUnderTheSequentialTest()
    {
        // The judge on a real tracker: 2,000 people at a 50 % step; the baseline converts at 30 %, the new side at 18 %.
        var now = DateTimeOffset.UnixEpoch.AddDays(100);
        var rollout = new Rollout
        {
            Id = "worse", Recipe = "other", Steps = RolloutStep.Of([50, 100], 60), Guardrails = new RolloutGuardrails { MinAnswers = 1_000_000 },
            History = [new RolloutStepRun(1, 50, now, null, 0)],
        };
        var tracker = new ExperimentTracker();
        tracker.Track(rollout.AsExperiment(1));
        var rng = new Random(11);
        long seq = 0;
        for (int p = 0; p < 2000; p++)
        {
            string person = $"p{p}", variant = p % 2 == 0 ? "baseline" : "rollout";
            long at = now.ToUnixTimeMilliseconds() + p;
            tracker.Expose(new Exposure(rollout.TrackedId(1), person, false, 1, variant, at), person);
            if (rng.NextDouble() < (variant == "baseline" ? 0.30 : 0.18))
                tracker.Observe(new StoredEvent(person, false, "item", (int)EventType.Purchase, at + 1000, 20, ++seq, """{"sessionId":"s"}"""));
        }
        var decision = RolloutJudge.Decide(rollout, tracker.Sums(rollout.TrackedId(1))!, now.AddMinutes(1));
        Assert.Equal(RolloutAction.RollBack, decision.Action);
        Assert.Contains("conversion is significantly worse", decision.Reason);
        Assert.True(decision.Reading.MetricDecides);
        Assert.InRange(decision.Reading.MetricLift!.Value, -0.55, -0.25);

        // The same numbers on too few people decide nothing (GrowthBook's minimum sample rule): the step holds.
        var few = new ExperimentTracker();
        few.Track(rollout.AsExperiment(1));
        for (int p = 0; p < 200; p++)
        {
            string person = $"p{p}", variant = p % 2 == 0 ? "baseline" : "rollout";
            few.Expose(new Exposure(rollout.TrackedId(1), person, false, 1, variant, 0), person);
            if (variant == "baseline" && p % 3 == 0) few.Observe(new StoredEvent(person, false, "item", (int)EventType.Purchase, 1000, 20, ++seq, """{"sessionId":"s"}"""));
        }
        Assert.Equal(RolloutAction.Hold, RolloutJudge.Decide(rollout, few.Sums(rollout.TrackedId(1))!, now.AddMinutes(1)).Action);
    }

    [Fact]
    public async Task RetrainingGoesOutThroughARolloutAndBecomesActiveWhenItCompletes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var engine = await StartEngineAsync(new ServingOptions
        {
            RetrainIntervalMinutes = 60, RetrainAfterEvents = 0, RetrainThroughRollout = true, RolloutSteps = "50,100", RolloutWaitMinutes = 5,
            RetrainGuardrails = Relaxed,
        });
        Assert.Equal("v1", engine.ActiveVersion);
        _clock.Advance(TimeSpan.FromMinutes(61));
        for (int k = 0; k < 400 && engine.Rollouts.Running.Count == 0; k++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(25, ct);
        }
        var rollout = Assert.Single(engine.Rollouts.Running);
        Assert.Equal("retrain-v2", rollout.Id);
        Assert.Equal("v2", rollout.ModelVersion);
        Assert.Equal("retraining", rollout.Origin);
        Assert.Equal("v1", engine.ActiveVersion); // not swapped in at once

        // The new side is served by v2 with the default recipe; the baseline by v1.
        int onV2 = 0;
        foreach (string user in _users)
        {
            var answer = For(engine, user);
            Assert.Equal("default", answer.Recipe);
            Assert.Equal(answer.Experiment!.Variant == "rollout" ? "v2" : "v1", answer.ModelVersion);
            if (answer.ModelVersion == "v2") onV2++;
        }
        Assert.InRange(onV2, 150, 250);
        // Both steps pass and v2 becomes the active version.
        for (int k = 0; k < 40 && engine.Rollouts.Current["retrain-v2"].Status == RolloutStatus.Running; k++)
        {
            foreach (string user in _users.Take(150)) For(engine, user);
            _clock.Advance(TimeSpan.FromMinutes(3));
            await engine.CheckRolloutsAsync(ct);
        }
        var done = engine.Rollouts.Current["retrain-v2"];
        Assert.True(done.Status == RolloutStatus.Completed, $"{done.Status}: {done.Reason}");
        Assert.Equal("v2", engine.ActiveVersion);
        Assert.Equal("model version v2 is now the active version", done.Reason);
        Assert.Null(For(engine, _users[0]).Experiment);
    }
}
