using System.Net;
using System.Net.Http.Json;

namespace Attune.Tests.Server;

/// <summary>Every change of a business rule is kept: created, changed, deleted, when and by which key.</summary>
public sealed class RuleHistoryTests : IAsyncLifetime
{
    private const string AdminKey = "rules-admin-key-0123456789";
    private readonly TempDirectory _dir = TestPaths.NewTempDirectory();
    private TestServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await TestServer.StartAsync(new Dictionary<string, string?>
    {
        ["Attune:ApiKeys:0:Name"] = "merchandiser",
        ["Attune:ApiKeys:0:Key"] = AdminKey,
        ["Attune:ApiKeys:0:Scopes:0"] = "admin",
    }, _dir.Path);

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task ARulesHistoryListsEachChangeWithItsKeyAndSurvivesARestart()
    {
        var api = _server.ClientWithKey(AdminKey);
        await HttpAssert.Ok(await api.PostAsJsonAsync("/v1/rules", new { id = "winter", action = "boost", filter = "category = \"coats\"", weight = 0.5 }));
        await HttpAssert.Ok(await api.PutAsJsonAsync("/v1/rules/winter", new { action = "boost", filter = "category = \"coats\"", weight = 0.8 }));
        Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync("/v1/rules/winter")).StatusCode);
        await HttpAssert.Ok(await api.PostAsJsonAsync("/v1/rules", new { id = "winter", action = "bury", filter = "category = \"coats\"" }));

        await _server.DisposeAsync();
        _server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Attune:ApiKeys:0:Name"] = "merchandiser", ["Attune:ApiKeys:0:Key"] = AdminKey, ["Attune:ApiKeys:0:Scopes:0"] = "admin",
        }, _dir.Path);
        var history = await HttpAssert.Ok(await _server.ClientWithKey(AdminKey).GetAsync("/v1/rules/winter/history"));

        Assert.Equal(4, history.GetArrayLength());
        string[] changes = [.. history.EnumerateArray().Select(v => v.GetProperty("change").GetString()!)];
        Assert.Equal(["created", "changed", "deleted", "created"], changes);
        Assert.All(history.EnumerateArray(), v => Assert.Equal("merchandiser", v.GetProperty("by").GetString()));
        Assert.Equal([1, 2, 3, 4], history.EnumerateArray().Select(v => v.GetProperty("version").GetInt32()));
        Assert.Equal(0.8, history[1].GetProperty("rule").GetProperty("weight").GetDouble());
        Assert.False(history[2].TryGetProperty("rule", out _)); // a deletion keeps no rule
        Assert.Equal("bury", history[3].GetProperty("rule").GetProperty("action").GetString(), ignoreCase: true);
        await HttpAssert.Problem(await _server.ClientWithKey(AdminKey).GetAsync("/v1/rules/never-was/history"), HttpStatusCode.NotFound);
    }
}
