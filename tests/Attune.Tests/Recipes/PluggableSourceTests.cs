using System.Net.Http.Json;
using System.Text.Json;
using Attune.Demo;
using Attune.Serving;
using Attune.Serving.Sources;
using Attune.Storage.Sqlite;
using Attune.Tests.Server;
using Microsoft.Extensions.DependencyInjection;

namespace Attune.Tests.Recipes;

/// <summary>
/// A candidate source defined here, in the test assembly, registered as a service: served and explained through HTTP with
/// no edit of the pipeline, the recipes or the server.
/// </summary>
public sealed class PluggableSourceTests
{
    /// <summary>The cheaper the item, the higher its score.</summary>
    private sealed class CheapestSource : CandidateSource
    {
        public override string Name => "cheapest";
        public override string Description => "Low prices first";

        public override SourceScores ScoreAll(SourceContext context, float[] buffer)
        {
            var items = context.State.Catalog.Columns.Items;
            for (int j = 0; j < context.ItemCount; j++) buffer[j] = items[j]?.Price is { } price ? (float)(1 / (1 + price)) : 0f;
            return new SourceScores(buffer, context.ItemCount);
        }

        public override string? Explain(SourceContext context, int item) => $"A bargain at {context.State.Catalog.Columns.Items[item]!.Price}";
    }

    [Fact]
    public async Task ASourceFromAnotherAssemblyIsServedAndExplained()
    {
        using var dir = TestPaths.NewTempDirectory();
        await using (var store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = dir.Path, FullSync = false }))
        {
            var shop = DemoShop.Generate(new DemoOptions { Users = 200, Items = 150, Days = 10, Seed = 3, End = DemoOptions.DefaultEnd(TimeProvider.System) });
            await DemoLoader.LoadAsync(store, shop);
        }
        // Arrange: one registration.
        await using var server = await TestServer.StartAsync(dataDirectory: dir.Path,
            configure: b => b.Services.AddSingleton<ICandidateSource, CheapestSource>());
        var client = server.Client;
        for (int i = 0; i < 600 && !(await client.GetAsync("/ready")).IsSuccessStatusCode; i++) await Task.Delay(50);

        // Act: a recipe names it like any shipped source.
        await HttpAssert.Ok(await client.PutAsync("/v1/recipes/bargains", new StringContent(
            """{"scenarios": {"for-you": {"sources": {"cheapest": 1}, "diversity": 0, "maxCategoryShare": 1, "maxBrandShare": 1}}}""",
            System.Text.Encoding.UTF8, "application/json")));
        var answer = await HttpAssert.Ok(await client.PostAsJsonAsync("/v1/recommendations",
            new { anonymousId = "new-visitor", count = 5, recipe = "bargains", fields = new[] { "price" } }));

        // Assert: the five cheapest showable items, cheapest first, each explained by the new source.
        var page = await client.GetFromJsonAsync<JsonElement>("/v1/items?limit=1000");
        var cheapest = page.GetProperty("data").EnumerateArray()
            .Where(i => i.TryGetProperty("price", out _) && !(i.TryGetProperty("hidden", out var h) && h.GetBoolean()) && !(i.TryGetProperty("blocked", out var b) && b.GetBoolean()))
            .OrderBy(i => i.GetProperty("price").GetDouble()).ThenBy(i => i.GetProperty("id").GetString(), StringComparer.Ordinal)
            .Select(i => i.GetProperty("price").GetDouble()).Take(5).ToList();
        var items = answer.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(cheapest, items.Select(i => i.GetProperty("price").GetDouble()));
        Assert.All(items, i => Assert.StartsWith("A bargain at", i.GetProperty("reasons")[0].GetString()));

        // The default recipe does not use it, and the scenario list still shows only shipped sources.
        var usual = await HttpAssert.Ok(await client.PostAsJsonAsync("/v1/recommendations", new { anonymousId = "new-visitor", count = 5 }));
        Assert.DoesNotContain(usual.GetProperty("items").EnumerateArray(), i => i.GetProperty("reasons")[0].GetString()!.StartsWith("A bargain", StringComparison.Ordinal));
    }

    [Fact]
    public void TheRegistryRefusesDuplicateAndBadNames()
    {
        var registry = SourceRegistry.CreateDefault();
        Assert.Equal(["als", "viewed", "bought", "sequence", "sasrec", "content", "popularity", "trending", "new", "cart", "taste", "search", "lexical", "semantic"], registry.Names);
        Assert.Throws<ArgumentException>(() => registry.Add(new PopularitySource()));
        registry.Add(new CheapestSource());
        Assert.Equal(14, registry.IndexOf("CHEAPEST"));
        Assert.Equal(-1, registry.IndexOf("dearest"));
    }
}
