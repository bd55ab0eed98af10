using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Attune.Demo;
using Attune.Serving;
using Attune.Serving.Models;
using Attune.Storage.Sqlite;
using Attune.Tests.Server;
using Microsoft.Extensions.DependencyInjection;

namespace Attune.Tests.Trust;

/// <summary>
/// Erasure reaches everything and stays: the store, live state, every loaded model and every stored model version; a new
/// event starts an empty person; a rollback does not bring them back; the audit record holds no personal data.
/// </summary>
public sealed class ErasureTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = TestPaths.NewTempDirectory();
    private TestServer _server = null!;
    private HttpClient Client => _server.Client;
    private ServingEngine Engine => _server.Services.GetRequiredService<ServingEngine>();

    public async ValueTask InitializeAsync()
    {
        await TestServer.LoadDemoShopAsync(_dir.Path, users: 300, items: 200, days: 20, seed: 11);
        _server = await TestServer.StartAsync(null, _dir.Path);
        await _server.WaitReadyAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    private static StringContent Json(string s) => new(s, System.Text.Encoding.UTF8, "application/json");

    [Fact]
    public async Task AnErasedUserIsGoneFromStoreModelsAndStoredVersionsAndANewEventStartsAnEmptyPerson()
    {
        const string user = "u00001";
        string v1 = Engine.ActiveVersion!;
        Assert.True(Engine.State!.Bundle.IndexOfUser(user) >= 0);
        // A logged answer (the log is written in the background: wait until it is readable).
        string rid = (await HttpAssert.Ok(await Client.GetAsync($"/v1/recommendations?userId={user}&count=5"))).GetProperty("recommendationId").GetString()!;
        for (int i = 0; i < 100 && !(await Client.GetAsync($"/v1/recommendations/{rid}")).IsSuccessStatusCode; i++) await Task.Delay(50);

        var response = await Client.DeleteAsync($"/v1/users/{user}");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var record = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        string erasureId = record.GetProperty("id").GetString()!;
        Assert.Equal($"/v1/erasures/{erasureId}", response.Headers.Location!.OriginalString);
        Assert.True(record.GetProperty("removed").GetProperty("events").GetInt64() > 0);
        Assert.True(record.GetProperty("removed").GetProperty("recommendations").GetInt64() >= 1);
        Assert.DoesNotContain(user, record.GetRawText()); // the audit record names no one
        await HttpAssert.Problem(await Client.GetAsync($"/v1/recommendations/{rid}"), HttpStatusCode.NotFound); // the log row is gone

        // Gone from the loaded model at once; a new event starts a new, empty person.
        Assert.Equal(-1, Engine.State!.Bundle.IndexOfUser(user));
        await HttpAssert.Ok(await Client.PostAsync("/v1/events", Json($$"""[{"type": "view", "userId": "{{user}}", "itemId": "i00007"}]""")));
        var profile = await HttpAssert.Ok(await Client.GetAsync($"/v1/users/{user}/profile"));
        Assert.Equal(1, profile.GetProperty("eventCount").GetInt64());

        // Every stored version is rewritten without them; the record says so.
        JsonElement done = default;
        for (int i = 0; i < 300; i++, await Task.Delay(100))
        {
            done = await HttpAssert.Ok(await Client.GetAsync($"/v1/erasures/{erasureId}"));
            if (done.GetProperty("status").GetString() == "complete") break;
        }
        Assert.Equal("complete", done.GetProperty("status").GetString());
        Assert.True(done.GetProperty("removed").GetProperty("modelVersionsRewritten").GetInt32() >= 1);
        var stored = new ModelRepository(_dir.Path, 5).Load(v1);
        Assert.Equal(-1, stored.IndexOfUser(user));

        // A rollback to that version does not bring them back.
        await HttpAssert.Ok(await Client.PostAsync("/v1/models/train?wait=true", null));
        Assert.NotEqual(v1, Engine.ActiveVersion);
        await HttpAssert.Ok(await Client.PostAsync($"/v1/models/{v1}/activate", null));
        Assert.Equal(v1, Engine.ActiveVersion);
        var again = await HttpAssert.Ok(await Client.GetAsync($"/v1/users/{user}/profile"));
        Assert.Equal(1, again.GetProperty("eventCount").GetInt64());
        Assert.True(Engine.State!.Bundle.IndexOfUser(user) is var row && (row < 0 || Engine.State.Bundle.Histories.Row(row).Length <= 1),
            "the rolled-back model holds the erased history");

        await HttpAssert.Problem(await Client.GetAsync("/v1/erasures/no-such-erasure"), HttpStatusCode.NotFound);
        await HttpAssert.Problem(await Client.DeleteAsync("/v1/users/nobody-at-all"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AnAnonymousVisitorCanBeErased()
    {
        await HttpAssert.Ok(await Client.PostAsync("/v1/events", Json("""[{"type": "view", "anonymousId": "visitor-erase-me", "itemId": "i00003"}, {"type": "view", "anonymousId": "visitor-erase-me", "itemId": "i00004"}]""")));
        await HttpAssert.Ok(await Client.GetAsync("/v1/users/visitor-erase-me/profile?anonymous=true"));

        var response = await Client.DeleteAsync("/v1/users/visitor-erase-me?anonymous=true");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var record = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("anonymous visitor", record.GetProperty("subject").GetString());
        Assert.Equal(2, record.GetProperty("removed").GetProperty("events").GetInt64());
        await HttpAssert.Problem(await Client.GetAsync("/v1/users/visitor-erase-me/profile?anonymous=true"), HttpStatusCode.NotFound);
        await HttpAssert.ProblemNaming(await Client.DeleteAsync("/v1/users/x?anonymous=maybe"), HttpStatusCode.BadRequest, "anonymous");
    }

    [Fact]
    public async Task AnExportHoldsTheRecordProfileEventsAnswersAndAssignments()
    {
        const string user = "u00002";
        await HttpAssert.Ok(await Client.PostAsync("/v1/events", Json($$"""[{"type": "view", "userId": "{{user}}", "anonymousId": "export-visitor", "itemId": "i00005", "channel": "email"}]""")));
        string rid = (await HttpAssert.Ok(await Client.GetAsync($"/v1/recommendations?userId={user}&count=3"))).GetProperty("recommendationId").GetString()!;
        for (int i = 0; i < 100 && !(await Client.GetAsync($"/v1/recommendations/{rid}")).IsSuccessStatusCode; i++) await Task.Delay(50);

        var export = await HttpAssert.Ok(await Client.GetAsync($"/v1/users/{user}/export"));

        Assert.Equal(user, export.GetProperty("id").GetString());
        Assert.Equal(user, export.GetProperty("user").GetProperty("id").GetString());
        var profile = export.GetProperty("profile");
        Assert.Contains("export-visitor", profile.GetProperty("anonymousIds").EnumerateArray().Select(a => a.GetString()));
        Assert.True(profile.GetProperty("topCategories").GetArrayLength() > 0); // derived: tastes
        var events = export.GetProperty("events");
        Assert.Equal(profile.GetProperty("eventCount").GetInt64(), events.GetArrayLength());
        Assert.Contains(events.EnumerateArray(), e => e.GetProperty("itemId").GetString() == "i00005"
            && e.GetProperty("context").GetProperty("channel").GetString() == "email");
        Assert.Contains(export.GetProperty("recommendations").EnumerateArray(), r => r.GetProperty("id").GetString() == rid);

        // The linked anonymous id exports the same person.
        var viaVisitor = await HttpAssert.Ok(await Client.GetAsync("/v1/users/export-visitor/export?anonymous=true"));
        Assert.Equal(user, viaVisitor.GetProperty("id").GetString());
        await HttpAssert.Problem(await Client.GetAsync("/v1/users/nobody-at-all/export"), HttpStatusCode.NotFound);
    }
}
