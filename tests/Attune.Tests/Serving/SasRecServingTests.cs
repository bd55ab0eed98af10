using System.Net.Http.Json;
using Attune.Tests.Server;

namespace Attune.Tests.Serving;

/// <summary>
/// The neural next-item model in the live engine: trained with the bundle when configured, named by a recipe as the
/// <c>sasrec</c> source, served and explained; silent when not configured.
/// </summary>
public sealed class SasRecServingTests
{
    private static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    [Fact]
    public async Task AConfiguredSasRecIsTrainedWithTheBundleAndServedByARecipe()
    {
        using var dir = TestPaths.NewTempDirectory();
        await TestServer.LoadDemoShopAsync(dir.Path, users: 300, items: 150, days: 10, seed: 7);
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Attune:Serving:Models:SasRec"] = "epochs=3 dim=16",
        }, dir.Path);
        await server.WaitReadyAsync();
        var client = server.Client;

        var models = await HttpAssert.Ok(await client.GetAsync("/v1/models"));
        Assert.True(models.GetProperty("versions")[0].GetProperty("componentSeconds").TryGetProperty("sasrec", out _), models.ToString());

        await HttpAssert.Ok(await client.PutAsync("/v1/recipes/neural", Json(
            """{"scenarios": {"for-you": {"sources": {"sasrec": 1}, "diversity": 0, "maxCategoryShare": 1, "maxBrandShare": 1}}}""")));
        string user = await AnActiveUserAsync(client);
        var answer = await HttpAssert.Ok(await client.PostAsJsonAsync("/v1/recommendations", new { userId = user, count = 5, recipe = "neural" }));

        var items = answer.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(5, items.Count);
        Assert.All(items, i => Assert.StartsWith("Often next after a history like yours", i.GetProperty("reasons")[0].GetString()));
    }

    [Fact]
    public async Task WithoutConfigurationTheSourceIsSilent()
    {
        using var dir = TestPaths.NewTempDirectory();
        await TestServer.LoadDemoShopAsync(dir.Path, users: 200, items: 100, days: 7, seed: 8);
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>(), dir.Path);
        await server.WaitReadyAsync();
        var client = server.Client;

        var models = await HttpAssert.Ok(await client.GetAsync("/v1/models"));
        Assert.False(models.GetProperty("versions")[0].GetProperty("componentSeconds").TryGetProperty("sasrec", out _));
        await HttpAssert.Ok(await client.PutAsync("/v1/recipes/neural", Json("""{"scenarios": {"for-you": {"sources": {"sasrec": 1}}}}""")));
        var answer = await HttpAssert.Ok(await client.PostAsJsonAsync("/v1/recommendations",
            new { userId = await AnActiveUserAsync(client), count = 5, recipe = "neural" }));
        // Nothing from the model: whatever fills the list is not explained by it.
        Assert.DoesNotContain(answer.GetProperty("items").EnumerateArray(),
            i => i.GetProperty("reasons").GetArrayLength() > 0 && i.GetProperty("reasons")[0].GetString()!.StartsWith("Often next after a history", StringComparison.Ordinal));
    }

    /// <summary>A new person who has just viewed four demo items: a live history for the model to read.</summary>
    private static async Task<string> AnActiveUserAsync(HttpClient client)
    {
        string user = "sasrec-visitor";
        var events = new[] { 3, 17, 42, 8 }.Select(i => new { type = "view", userId = user, itemId = $"i{i:D5}" }).ToArray();
        await HttpAssert.Ok(await client.PostAsJsonAsync("/v1/events", events));
        return user;
    }
}
