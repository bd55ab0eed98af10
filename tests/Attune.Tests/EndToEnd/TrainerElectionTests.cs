using System.Net.Http.Json;
using System.Text.Json;
using Attune.Tests.Storage.Postgres;

namespace Attune.Tests.EndToEnd;

/// <summary>
/// One trainer among several <c>attune serve</c> processes on one PostgreSQL (issue 16): the node holding the trainer lease
/// trains; every version it publishes into the store is served by every node within 10 s; a rollback made on any node
/// reaches all; when the trainer dies, another node takes the role within 30 s and trains.
/// </summary>
public sealed class TrainerElectionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<TimeSpan> EventuallyAsync(Func<Task<bool>> check, string what, int seconds = 10)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            if (await check()) return clock.Elapsed;
            await Task.Delay(50, Ct);
        }
        Assert.Fail($"{what}: not seen within {seconds} s");
        return clock.Elapsed;
    }

    private static Dictionary<string, string> Node(string name) => new()
    {
        ["ATTUNE__SERVING__NODENAME"] = name,
        ["ATTUNE__SERVING__TRAINERELECTIONSECONDS"] = "2",
    };

    private static Task<JsonElement> ModelsAsync(AttuneProcess node) => node.Client.GetFromJsonAsync<JsonElement>("/v1/models", Ct);

    private static async Task<string?> ActiveAsync(AttuneProcess node) => (await ModelsAsync(node)).GetProperty("active").GetString();

    [Fact]
    public async Task TheTrainerPublishesVersionsEveryNodeServesAndAnotherTakesOverWhenItDies()
    {
        Assert.SkipUnless(TempPostgres.Available, TempPostgres.SkipReason);
        await using var db = await TempPostgres.StartAsync(Ct);
        string url = $"postgres://postgres@127.0.0.1:{db.Port}/postgres";
        using var dirA = TestPaths.NewTempDirectory();
        using var dirB = TestPaths.NewTempDirectory();
        var a = await AttuneProcess.ServeAsync(dirA.Path, Node("node-a"), "--store", url);
        try
        {
            await using var b = await AttuneProcess.ServeAsync(dirB.Path, Node("node-b"), "--store", url);

            // A started first on an empty database: it is the trainer, and B serves the version A trained at start.
            var modelsA = await ModelsAsync(a);
            Assert.True(modelsA.GetProperty("trainer").GetBoolean());
            Assert.Equal("node-a", modelsA.GetProperty("node").GetString());
            var modelsB = await ModelsAsync(b);
            Assert.False(modelsB.GetProperty("trainer").GetBoolean());
            string first = modelsA.GetProperty("active").GetString()!;
            Assert.Equal(first, modelsB.GetProperty("active").GetString());
            Assert.Equal("node-a", modelsB.GetProperty("versions")[0].GetProperty("node").GetString());

            var items = Enumerable.Range(1, 40).Select(i => new { id = $"k{i}", title = $"Item {i}", categories = new[] { i % 2 == 0 ? "even" : "odd" } });
            (await a.Client.PostAsJsonAsync("/v1/items", items, Ct)).EnsureSuccessStatusCode();
            var events = Enumerable.Range(0, 600).Select(i => new { type = "view", userId = $"u{i % 50}", itemId = $"k{(i * 7 + i / 50) % 40 + 1}" }).ToArray();
            (await b.Client.PostAsJsonAsync("/v1/events", events, Ct)).EnsureSuccessStatusCode();

            // A training asked of B (not the trainer) is run by A; B answers once it serves the new version, and so does A.
            var trained = await (await b.Client.PostAsync("/v1/models/train?wait=true", null, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
            string second = trained.GetProperty("version").GetString()!;
            Assert.NotEqual(first, second);
            Assert.Equal("node-a", trained.GetProperty("node").GetString());
            Assert.Equal(600, trained.GetProperty("events").GetInt64());
            await EventuallyAsync(async () => await ActiveAsync(a) == second, "the version trained for B, served by A");
            var recommended = await b.Client.GetFromJsonAsync<JsonElement>("/v1/recommendations?userId=u3&count=5", Ct);
            Assert.Equal(second, recommended.GetProperty("modelVersion").GetString());

            // A rollback made on B reaches A.
            (await b.Client.PostAsync($"/v1/models/{first}/activate", null, Ct)).EnsureSuccessStatusCode();
            await EventuallyAsync(async () => await ActiveAsync(a) == first, "a rollback made on B, served by A");

            // The trainer dies: B takes the role within 30 s and trains itself.
            a.KillHard();
            await EventuallyAsync(async () => (await ModelsAsync(b)).GetProperty("trainer").GetBoolean(), "B elected after A died", seconds: 30);
            var third = await (await b.Client.PostAsync("/v1/models/train?wait=true", null, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal("node-b", third.GetProperty("node").GetString());
            Assert.True(int.Parse(third.GetProperty("version").GetString()![1..]) > int.Parse(second[1..]), "version numbers keep rising across trainers");
            Assert.Equal(third.GetProperty("version").GetString(), await ActiveAsync(b));
        }
        finally
        {
            await a.DisposeAsync();
        }
    }
}
