using Attune.Demo;
using Attune.Serving;
using Attune.Serving.Models;
using Attune.Serving.Recipes;
using Attune.Storage.Sqlite;

namespace Attune.Tests.Serving;

/// <summary>
/// A model version's tuned <c>for-you</c> weights are what the default recipe blends wherever that version serves; a stored
/// recipe that sets the scenario's sources keeps its own, and a tuning made from other weights than today's is not used.
/// </summary>
public sealed class TunedBlendTests
{
    [Fact]
    public void WeightsAsTextRoundTripInNameOrderWithoutZeros()
    {
        var weights = new Dictionary<string, float> { ["viewed"] = 0.6f, ["als"] = 1f, ["content"] = 0f, ["trending"] = 0.05f };
        string text = TunedBlend.Format(weights);
        Assert.Equal("als=1 trending=0.05 viewed=0.6", text);
        Assert.Equal(new Dictionary<string, float> { ["als"] = 1f, ["trending"] = 0.05f, ["viewed"] = 0.6f }, TunedBlend.Parse(text));
        Assert.Null(TunedBlend.Parse("als=x"));
        Assert.Null(TunedBlend.Parse("als=-1"));
        Assert.Null(TunedBlend.Parse("als"));
    }

    [Fact]
    public async Task TheTunedWeightsServeTheDefaultRecipeOnlyWhereTheyApply()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = TestPaths.NewTempDirectory();
        await using var store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = dir.Path, FullSync = false });
        var shop = DemoShop.Generate(new DemoOptions { Users = 300, Items = 200, Days = 10, Seed = 9, End = DemoOptions.DefaultEnd(TimeProvider.System) });
        await DemoLoader.LoadAsync(store, shop, ct: ct);
        await using var engine = new ServingEngine(store,
            new ServingOptions { RetrainAfterEvents = 0, RetrainIntervalMinutes = 0, TuningIntervalHours = 0, LogRecommendations = false }, dir.Path);
        await engine.StartAsync(ct);
        await engine.Recipes.PutAsync(new Recipe
        {
            Name = "popular", Scenarios = { ["for-you"] = new RecipeScenario { Sources = new() { ["popularity"] = 1f } } },
        }, ct);
        await engine.Recipes.PutAsync(new Recipe
        {
            Name = "factors", Scenarios = { ["for-you"] = new RecipeScenario { Sources = new() { ["als"] = 1f } } },
        }, ct);
        string[] Answer(string user, string? recipe = null) =>
            [.. engine.Recommend(new RecommendationRequest { UserId = user, Scenario = "for-you", Count = 10, Recipe = recipe }).Items.Select(i => i.Id)];

        // Versions of the same models whose info says the blend was tuned to popularity alone: from today's weights, and
        // from other weights (the configuration changed since).
        string shipped = TunedBlend.Format(engine.Recipes.Default.Scenarios["for-you"].Weights);
        Assert.Equal("als=1 content=0.15 popularity=0.15 sequence=0.6 trending=0.05 viewed=0.6", shipped);
        var repository = new ModelRepository(dir.Path, keep: 10);
        var v1 = repository.Load("v1");
        ModelBundle Tuned(string version, string defaults) => v1.WithInfo(v1.Info with
        {
            Version = version,
            Tunings = [new TuningInfo("for-you", "popularity=1", defaults, "hitRate@20", 0.1, 0.2, 5, 1.0)],
        });
        repository.Save(Tuned("v2", shipped));
        repository.Save(Tuned("v3", "als=2 viewed=1"));

        var users = shop.Users.Take(40).Select(u => u.Id).ToList();
        var before = users.Select(u => Answer(u)).ToList();
        var factorsBefore = users.Select(u => Answer(u, "factors")).ToList();
        var popular = users.Select(u => Answer(u, "popular")).ToList();
        Assert.NotEqual(popular, before); // the shipped blend is not popularity alone for these people

        var forYou = engine.Recipes.Default.Scenarios["for-you"];
        Assert.Null(engine.ServedSources(engine.Recipes.Default, forYou).TunedBy);

        await engine.ActivateAsync("v2", ct);
        Assert.Equal(popular, users.Select(u => Answer(u)).ToList());
        Assert.Equal(factorsBefore, users.Select(u => Answer(u, "factors")).ToList()); // a recipe's own weights stay
        // What GET /v1/recipes shows as served: the tuned weights and the version they come from.
        var (served, tunedBy) = engine.ServedSources(engine.Recipes.Default, forYou);
        Assert.Equal("v2", tunedBy);
        Assert.Equal(new Dictionary<string, float> { ["popularity"] = 1f }, served);
        Assert.True(engine.Recipes.TryGet("factors", out var factors));
        Assert.Null(engine.ServedSources(factors, factors.Scenarios["for-you"]).TunedBy);

        await engine.ActivateAsync("v3", ct);
        Assert.Equal(before, users.Select(u => Answer(u)).ToList());
    }
}
