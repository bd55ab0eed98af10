using System.Net.Http.Json;
using System.Text.Json;
using Attune.Demo;
using Attune.Serving;
using Attune.Server.Hosting;
using Attune.Storage.Postgres;
using Attune.Tests.Server;
using Microsoft.Extensions.DependencyInjection;

namespace Attune.Tests.Storage.Postgres;

/// <summary>Two nodes on one PostgreSQL: only the trainer trains the propensity models (and fits customer value) on schedule;
/// the other scores with what it published, so a person's probabilities are the same whichever node answers.</summary>
public sealed class SharedPropensityTests
{
    private static bool LightGbmLoads => System.Runtime.InteropServices.NativeLibrary.TryLoad("libgomp.so.1", out _) || !OperatingSystem.IsLinux();

    [Fact]
    public async Task OnlyTheTrainerTrainsThePropensityModelsAndTheOtherNodeScoresWithThem()
    {
        Assert.SkipUnless(TempPostgres.Available, TempPostgres.SkipReason);
        Assert.SkipUnless(LightGbmLoads, "libgomp.so.1 (Debian: apt-get install libgomp1) is missing: LightGBM cannot load");
        var ct = TestContext.Current.CancellationToken;
        await using var db = await TempPostgres.StartAsync(ct);
        await using (var store = await PostgresStore.OpenAsync(new PostgresStoreOptions { ConnectionString = db.ConnectionString }, ct: ct))
            await DemoLoader.LoadAsync(store, DemoShop.Generate(new DemoOptions
            {
                Users = 3_000, Items = 800, Days = 60, Seed = 11, End = DemoOptions.DefaultEnd(TimeProvider.System),
            }), ct: ct);
        var settings = new Dictionary<string, string?>
        {
            ["Attune:Store:Postgres"] = $"postgres://postgres@127.0.0.1:{db.Port}/postgres",
            ["Predictions:PropensityStartDelaySeconds"] = "3", // on schedule, soon after start
        };
        await using var a = await TestServer.StartAsync(settings);
        await a.WaitReadyAsync();
        await using var b = await TestServer.StartAsync(settings);
        await b.WaitReadyAsync();
        var nodes = new[] { a, b };
        var trainer = nodes.Single(n => n.Services.GetRequiredService<ServingEngine>().IsTrainer);
        var other = nodes.Single(n => n != trainer);
        PropensityService Propensity(TestServer n) => n.Services.GetRequiredService<PropensityService>();

        // The trainer trains within its first checks; the other node serves the published version.
        for (int i = 0; i < 2400 && !(Propensity(trainer).Scorer is { } s && Propensity(other).Scorer?.Version == s.Version); i++)
            await Task.Delay(100, ct);
        var scorer = Propensity(trainer).Scorer;
        Assert.NotNull(scorer);
        Assert.Equal(scorer.Version, Propensity(other).Scorer?.Version);
        Assert.Equal(1, Propensity(trainer).TrainedHere);
        Assert.Equal(0, Propensity(other).TrainedHere);
        Assert.True(Propensity(other).People > 1_000, $"{Propensity(other).People} people scored on the other node");

        // The same person has the same probabilities on both nodes.
        int compared = 0;
        for (int u = 1; u <= 40; u++)
        {
            string path = $"/v1/users/u{u:00000}/predictions";
            var onTrainer = await trainer.Client.GetFromJsonAsync<JsonElement>(path, ct);
            var onOther = await other.Client.GetFromJsonAsync<JsonElement>(path, ct);
            if (!onTrainer.TryGetProperty("propensities", out var expected)) continue;
            // Scored at slightly different moments (features are as of the scoring), by the same models.
            Assert.Equal(expected.GetProperty("version").GetInt32(), onOther.GetProperty("propensities").GetProperty("version").GetInt32());
            // (a second apart moves a day-valued feature in its fifth digit: the probabilities agree to far better than 0.01).
            var theirs = onOther.GetProperty("propensities").GetProperty("scores");
            foreach (var target in expected.GetProperty("scores").EnumerateObject())
            {
                bool eligible = target.Value.TryGetProperty("probability", out var p);
                Assert.Equal(eligible, theirs.GetProperty(target.Name).TryGetProperty("probability", out var q));
                if (eligible) Assert.Equal(p.GetDouble(), q.GetDouble(), 0.01);
            }
            compared++;
        }
        Assert.True(compared >= 10, $"only {compared} users had propensities");
        // The customer value fit too: the trainer's, used on both (the propensity features include it).
        CustomerValueService Clv(TestServer n) => n.Services.GetRequiredService<CustomerValueService>();
        for (int i = 0; i < 1200 && !(Clv(trainer).Model is { } m && Clv(other).Model?.FittedAt == m.FittedAt); i++) await Task.Delay(100, ct);
        Assert.NotNull(Clv(trainer).Model);
        Assert.Equal(Clv(trainer).Model!.FittedAt, Clv(other).Model?.FittedAt);
        Assert.Equal(Clv(trainer).Model!.Purchases.Params, Clv(other).Model!.Purchases.Params);
        // Both list the one version trained.
        var listed = await other.Client.GetFromJsonAsync<JsonElement>("/v1/predictions/propensity", ct);
        Assert.Equal(scorer.Version, listed.GetProperty("active").GetInt32());
        Assert.Single(listed.GetProperty("versions").EnumerateArray());
    }
}
