using System.Collections.Concurrent;
using System.Diagnostics;
using Attune.Client;
using Attune.Serving;
using Attune.Tests.Client;
using Attune.Tests.Server;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Attune.Tests.Tracing;

/// <summary>
/// The engine's spans (activity source <c>Attune</c>) after real requests to the real server, seen by an
/// <see cref="ActivityListener"/>; and the host's tracer, registered only when an OTLP endpoint is configured.
/// </summary>
public sealed class TracingTests(ClientServerFixture fixture) : IClassFixture<ClientServerFixture>
{
    /// <summary>Puts each request in a trace of the test's own (W3C traceparent), so spans of other tests running at the same
    /// time are told apart by their trace id.</summary>
    private sealed class InTrace(ActivityTraceId trace) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            request.Headers.Add("traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom()}-01");
            return base.SendAsync(request, ct);
        }
    }

    private static (ActivityListener Listener, ConcurrentQueue<Activity> Stopped) Listen(ActivityTraceId trace)
    {
        var stopped = new ConcurrentQueue<Activity>();
        var listener = new ActivityListener
        {
            // ASP.NET Core's request activity carries the traceparent; the engine's span is its child.
            ShouldListenTo = s => s.Name is "Attune" or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { if (a.TraceId == trace) stopped.Enqueue(a); },
        };
        ActivitySource.AddActivityListener(listener);
        return (listener, stopped);
    }

    [Fact]
    public async Task AnAnswerAndATrainingEachLeaveASpanWithTheirTags()
    {
        var trace = ActivityTraceId.CreateRandom();
        var (listener, stopped) = Listen(trace);
        using var _ = listener;
        using var client = new AttuneClient(new HttpClient(new InTrace(trace)) { BaseAddress = fixture.Server.BaseAddress });

        var answer = await client.RecommendAsync(new RecommendationInput(AnonymousId: "traced-visitor", Scenario: "similar", ItemId: "i00005", Count: 3));
        var span = Assert.Single(stopped, a => a.OperationName == "attune.recommend");
        Assert.Equal(ServingEngine.ActivitySourceName, span.Source.Name);
        Assert.Equal("similar", span.GetTagItem("attune.scenario"));
        Assert.Equal(answer.Recipe, span.GetTagItem("attune.recipe"));
        Assert.Equal(3, span.GetTagItem("attune.count"));
        Assert.Equal(answer.ModelVersion, span.GetTagItem("attune.model.version"));
        Assert.Equal(false, span.GetTagItem("attune.personalized"));
        Assert.Equal(ActivityStatusCode.Unset, span.Status);
        // Under the request's span, in the caller's trace (that span stops once the answer is sent: maybe after the client has it).
        for (int i = 0; i < 100 && !stopped.Any(a => a.Source.Name == "Microsoft.AspNetCore"); i++) await Task.Delay(50);
        var request = Assert.Single(stopped, a => a.Source.Name == "Microsoft.AspNetCore");
        Assert.Equal(request.SpanId, span.ParentSpanId);

        await client.RankAsync(new RecommendationInput(UserId: "u00002", Candidates: ["i00001", "i00002"]));
        var rank = Assert.Single(stopped, a => a.OperationName == "attune.rank");
        Assert.Equal("for-you", rank.GetTagItem("attune.scenario"));
        Assert.Equal(2, rank.GetTagItem("attune.count"));

        var trained = await client.TrainAsync(wait: true);
        var training = Assert.Single(stopped, a => a.OperationName == "attune.train");
        Assert.Equal("api", training.GetTagItem("attune.training.reason"));
        Assert.Equal(trained!.Version, training.GetTagItem("attune.model.version"));
        Assert.Equal(trained.Events, training.GetTagItem("attune.training.events"));
        Assert.True(training.Duration > TimeSpan.Zero);
    }

    [Fact]
    public async Task TheHostTracesOnlyWhenAnOtlpEndpointIsConfigured()
    {
        await using (var plain = await TestServer.StartAsync())
            Assert.Null(plain.Services.GetService<TracerProvider>());
        // Nothing listens on this port: the exporter's failures stay in the background and cost the requests nothing.
        await using var traced = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{EndToEnd.AttuneProcess.FreePort()}",
        });
        Assert.NotNull(traced.Services.GetService<TracerProvider>());
        using var client = new AttuneClient(traced.BaseAddress);
        Assert.Equal("ok", (await client.GetHealthAsync()).Status);
    }
}
