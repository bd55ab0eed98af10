using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Attune.Tests.EndToEnd;

/// <summary>What Attune answered 2xx for is on disk: SIGKILL the real server right after the answers, restart, find every event.</summary>
public sealed class DurabilityTests
{
    [Fact]
    public async Task EveryAcknowledgedEventSurvivesKillDashNine()
    {
        using var dir = TestPaths.NewTempDirectory();
        var acknowledged = new ConcurrentDictionary<string, int>(); // user id -> events acknowledged for that user
        await using (var server = await AttuneProcess.ServeAsync(dir.Path))
        {
            // Arrange: several writers at once, single events and batches, so group commit folds them together.
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                for (int n = 0; !stop.IsCancellationRequested; n++)
                {
                    string user = $"w{w}-r{n}";
                    int count = n % 3 == 0 ? 50 : 1;
                    string body = "[" + string.Join(",", Enumerable.Range(0, count)
                        .Select(i => $$"""{"type":"view","userId":"{{user}}","itemId":"item-{{i}}"}""")) + "]";
                    HttpResponseMessage r;
                    try
                    {
                        r = await server.Client.PostAsync("/v1/events", new StringContent(body, Encoding.UTF8, "application/json"));
                    }
                    catch (Exception) when (stop.IsCancellationRequested) { return; }
                    catch (HttpRequestException) { return; }
                    if (r.StatusCode == HttpStatusCode.OK) acknowledged[user] = count;
                }
            })).ToArray();

            // Act: let them run, then kill the process without warning while requests are in flight.
            await Task.Delay(1500);
            server.KillHard();
            stop.Cancel();
            await Task.WhenAll(writers);
        }
        Assert.True(acknowledged.Count > 20, $"too few writes were acknowledged to prove anything ({acknowledged.Count})");

        // Assert: a new process on the same folder has every acknowledged event.
        await using var restarted = await AttuneProcess.ServeAsync(dir.Path);
        var stats = JsonDocument.Parse(await restarted.Client.GetStringAsync("/v1/stats")).RootElement;
        long expected = acknowledged.Values.Sum();
        Assert.True(stats.GetProperty("events").GetInt64() >= expected, $"stored {stats.GetProperty("events")} < acknowledged {expected}");
        foreach (var (user, count) in acknowledged)
        {
            var profile = JsonDocument.Parse(await restarted.Client.GetStringAsync($"/v1/users/{user}/profile")).RootElement;
            Assert.Equal(count, profile.GetProperty("eventCount").GetInt32());
        }
    }
}
