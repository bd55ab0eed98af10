using System.Collections.Concurrent;
using System.Text;
using Attune.Client;
using Attune.Demo;
using Attune.Storage.Sqlite;
using Attune.Tests.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Attune.Tests.Tracing;

/// <summary>
/// The server's OTLP export for real: <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> points at a small collector in the test (Kestrel on
/// loopback, OTLP/HTTP protobuf), and the engine's spans arrive in what it receives.
/// </summary>
public sealed class OtlpExportTests
{
    [Fact]
    public async Task WithAnEndpointTheTrainingAndAnswerSpansAreExportedByOtlp()
    {
        // The collector: keeps each export request's body (protobuf; span names and attribute keys are UTF-8 inside).
        var received = new ConcurrentQueue<byte[]>();
        var collectorBuilder = WebApplication.CreateSlimBuilder();
        collectorBuilder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var collector = collectorBuilder.Build();
        collector.MapPost("/v1/traces", async (HttpContext c) =>
        {
            using var body = new MemoryStream();
            await c.Request.Body.CopyToAsync(body);
            received.Enqueue(body.ToArray());
            return Results.Bytes([], "application/x-protobuf");
        });
        await collector.StartAsync();
        string collectorUrl = collector.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        using var dir = TestPaths.NewTempDirectory();
        await using (var store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = dir.Path, FullSync = false }))
            await DemoLoader.LoadAsync(store, DemoShop.Generate(new DemoOptions { Users = 200, Items = 100, Days = 10, Seed = 5, End = DemoOptions.DefaultEnd(TimeProvider.System) }));
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collectorUrl,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_SERVICE_NAME"] = "attune-under-test",
        }, dir.Path);
        using var client = new AttuneClient(server.BaseAddress);
        for (int i = 0; i < 1200 && !await client.IsReadyAsync(); i++) await Task.Delay(50);
        var answer = await client.RecommendAsync(new RecommendationInput(UserId: "u00001", Scenario: "for-you", Count: 4));
        Assert.Equal(4, answer.Items.Length);

        string all = "";
        // The request's span ends after the answer was sent (after attune.recommend's): it may come in a later export.
        for (int i = 0; i < 200 && !(all.Contains("attune.recommend") && all.Contains("attune.train") && all.Contains("/v1/recommendations")); i++)
        {
            await Task.Delay(50);
            all = string.Join("\n", received.Select(b => Encoding.UTF8.GetString(b)));
        }
        Assert.Contains("attune.train", all);
        Assert.Contains("attune.recommend", all);
        Assert.Contains("attune.model.version", all);
        Assert.Contains(answer.ModelVersion!, all);
        Assert.Contains("attune-under-test", all);
        Assert.Contains("/v1/recommendations", all); // ASP.NET Core's request span, the answer's parent
        await collector.StopAsync();
    }
}
