using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Attune.Serving;
using Attune.Storage;
using Attune.Tests.Server;
using Microsoft.Extensions.DependencyInjection;

namespace Attune.Tests.Trust;

/// <summary>
/// Retention's aggregates: an experiment's results outlive the events they were counted from. A retention pass writes the
/// experiment checkpoint before it purges; after the events are gone and the server restarts (without a shutdown checkpoint,
/// as after a crash), results are what they were. An erasure rewrites the checkpoint without the person.
/// </summary>
public sealed class ExperimentCheckpointTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Attune:Serving:RetentionDays:purchase"] = "30",
        ["Attune:Serving:RetentionIntervalMinutes"] = "600", // the test runs its own pass
    };

    private readonly TempDirectory _dir = TestPaths.NewTempDirectory();
    private TestServer _server = null!;
    private HttpClient Client => _server.Client;
    private string CheckpointPath => Path.Combine(_dir.Path, "experiments.checkpoint");
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await TestServer.LoadDemoShopAsync(_dir.Path, users: 120, items: 80, days: 7, seed: 21);
        _server = await TestServer.StartAsync(Settings, _dir.Path);
        await _server.WaitReadyAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    private static StringContent Json(string s) => new(s, Encoding.UTF8, "application/json");

    private async Task<(long People, double Value)[]> ConversionAsync()
    {
        var phase = (await HttpAssert.Ok(await Client.GetAsync("/v1/experiments/kept/results"))).GetProperty("phases")[0];
        var conversion = phase.GetProperty("metrics").EnumerateArray().First(m => m.GetProperty("id").GetString() == "conversion");
        return [.. conversion.GetProperty("variants").EnumerateArray().Select(v => (v.GetProperty("people").GetInt64(), v.GetProperty("value").GetDouble()))];
    }

    private async Task RestartAsync(Action? whileStopped = null)
    {
        await _server.DisposeAsync();
        whileStopped?.Invoke();
        _server = await TestServer.StartAsync(Settings, _dir.Path);
        await _server.WaitReadyAsync();
    }

    [Fact]
    public async Task ResultsOutliveThePurgeOfTheEventsTheyWereCountedFromAndAnErasureLeavesTheCheckpoint()
    {
        await HttpAssert.Ok(await Client.PostAsync("/v1/experiments", Json("""
            {"id": "kept", "variants": [{"key": "control", "recipe": "non-personal"}, {"key": "treatment", "recipe": "default"}],
             "scenarios": ["for-you"], "metrics": {"primary": "conversion", "secondary": ["revenue"]}}
            """)));
        await HttpAssert.Ok(await Client.PostAsync("/v1/experiments/kept/start", null));
        var events = new List<object>();
        for (int u = 1; u <= 80; u++)
        {
            string user = $"ck{u:D3}";
            await HttpAssert.Ok(await Client.GetAsync($"/v1/recommendations?userId={user}&scenario=for-you&count=3"));
            if (u % 3 == 0) events.Add(new { type = "purchase", userId = user, itemId = $"i{u % 50 + 1:D5}", value = 10 + u });
        }
        await Task.Delay(500); // exposures are stored in the background
        await HttpAssert.Ok(await Client.PostAsJsonAsync("/v1/events", events, Ct));
        var before = await ConversionAsync();
        Assert.True(before.Sum(v => v.Value) > 0);

        // A retention pass writes the checkpoint; the purchases are then purged (as once they are past their limit).
        var engine = _server.Services.GetRequiredService<ServingEngine>();
        await engine.PurgeExpiredEventsAsync(Ct);
        Assert.True(File.Exists(CheckpointPath));
        string saved = CheckpointPath + ".at-retention";
        File.Copy(CheckpointPath, saved);
        var store = _server.Services.GetRequiredService<IAttuneStore>();
        var (purged, _) = await store.PurgeEventsAsync("purchase", DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeMilliseconds(), 0, 1_000_000, Ct);
        Assert.True(purged >= events.Count);

        // A crash after the pass: only the retention's checkpoint is there. Results are what they were.
        await RestartAsync(() => File.Copy(saved, CheckpointPath, overwrite: true));
        Assert.Equal(before, await ConversionAsync());

        // Without a checkpoint the purged purchases would be lost (what the checkpoint prevents).
        await RestartAsync(() => File.Delete(CheckpointPath));
        var lost = await ConversionAsync();
        Assert.Equal(before.Select(v => v.People), lost.Select(v => v.People));
        Assert.Equal(0, lost.Sum(v => v.Value));
        await RestartAsync(() => File.Copy(saved, CheckpointPath, overwrite: true));
        Assert.Equal(before, await ConversionAsync());

        // An erased buyer leaves the results and the checkpoint on disk.
        var erased = await HttpAssert.Ok(await Client.DeleteAsync("/v1/users/ck003"));
        await engine.ErasuresDoneAsync(Ct);
        for (int i = 0; i < 100 && (await HttpAssert.Ok(await Client.GetAsync($"/v1/erasures/{erased.GetProperty("id").GetString()}")))
            .GetProperty("status").GetString() != "complete"; i++) await Task.Delay(100);
        Assert.Equal(before.Sum(v => v.People) - 1, (await ConversionAsync()).Sum(v => v.People));
        byte[] bytes = await File.ReadAllBytesAsync(CheckpointPath, Ct);
        Assert.Equal(-1, bytes.AsSpan().IndexOf("ck003"u8));
        Assert.True(bytes.AsSpan().IndexOf("ck006"u8) >= 0);
    }
}
