using System.Net;
using System.Net.Sockets;
using System.Text;
using Attune.Client;
using Attune.Tests.Server;

namespace Attune.Tests.Client;

/// <summary>
/// Retries of <see cref="AttuneClient"/>: a scripted handler plays the network's failures (503, 429 with Retry-After, a refused
/// connection) before passing the request on to a real server, and the client's delays are recorded instead of waited.
/// </summary>
public sealed class ClientRetryTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await TestServer.StartAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    /// <summary>Answers the scripted failures in order, then passes every request on to the real server.</summary>
    private sealed class FlakyNetwork(params Func<HttpResponseMessage>[] failures) : DelegatingHandler(new SocketsHttpHandler())
    {
        private int _calls;
        public int Calls => _calls;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            int call = Interlocked.Increment(ref _calls);
            return call <= failures.Length ? Task.FromResult(failures[call - 1]()) : base.SendAsync(request, ct);
        }
    }

    private static HttpResponseMessage Status(HttpStatusCode status, string? retryAfter = null)
    {
        var r = new HttpResponseMessage(status) { Content = new StringContent("""{"title":"Unavailable","status":503,"detail":"try later"}""", Encoding.UTF8, "application/problem+json") };
        if (retryAfter is not null) r.Headers.TryAddWithoutValidation("Retry-After", retryAfter);
        return r;
    }

    private static HttpResponseMessage Refused() =>
        throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused", new SocketException((int)SocketError.ConnectionRefused));

    private (AttuneClient Client, List<TimeSpan> Delays) Client(DelegatingHandler network, int maxAttempts = 4)
    {
        var client = new AttuneClient(new HttpClient(network) { BaseAddress = _server.BaseAddress },
            new AttuneClientOptions { MaxAttempts = maxAttempts, BaseDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(5) });
        var delays = new List<TimeSpan>();
        client.DelayAsync = (d, _) => { delays.Add(d); return Task.CompletedTask; };
        return (client, delays);
    }

    [Fact]
    public async Task AReadIsRetriedAfter503sWithGrowingJitteredBackoff()
    {
        var network = new FlakyNetwork(() => Status(HttpStatusCode.ServiceUnavailable), () => Status(HttpStatusCode.BadGateway), () => Status(HttpStatusCode.GatewayTimeout));
        var (client, delays) = Client(network);
        Assert.Equal("ok", (await client.GetHealthAsync()).Status);
        Assert.Equal(4, network.Calls);
        Assert.Equal(3, delays.Count);
        // Full jitter: attempt n waits a random time in [0, 100 ms × 2^(n−1)].
        for (int i = 0; i < 3; i++) Assert.InRange(delays[i].TotalMilliseconds, 0, 100 * Math.Pow(2, i));
    }

    [Fact]
    public async Task RetryAfterIsHonouredAndCappedByMaxDelay()
    {
        var network = new FlakyNetwork(() => Status(HttpStatusCode.TooManyRequests, "2"), () => Status(HttpStatusCode.ServiceUnavailable, "3600"));
        var (client, delays) = Client(network);
        await client.GetHealthAsync();
        Assert.Equal([TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5)], delays);
    }

    [Fact]
    public async Task AfterMaxAttemptsTheLastProblemIsThrown()
    {
        var network = new FlakyNetwork(Enumerable.Repeat(() => Status(HttpStatusCode.ServiceUnavailable), 5).ToArray());
        var (client, delays) = Client(network, maxAttempts: 3);
        var e = await Assert.ThrowsAsync<AttuneApiException>(() => client.GetHealthAsync());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, e.StatusCode);
        Assert.Equal("try later", e.Detail);
        Assert.Equal(3, network.Calls);
        Assert.Equal(2, delays.Count);
    }

    /// <summary>Passes the first <paramref name="lost"/> requests on to the server, then loses its answer (a 503 instead, as a
    /// balancer says when a node died after storing); the rest pass. Records each request's idempotency key.</summary>
    private sealed class LosingNetwork(int lost) : DelegatingHandler(new SocketsHttpHandler())
    {
        private int _calls;
        public int Calls => _calls;
        public List<string?> Keys { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            int call = Interlocked.Increment(ref _calls);
            lock (Keys) Keys.Add(request.Headers.TryGetValues("Idempotency-Key", out var k) ? k.Single() : null);
            var answer = await base.SendAsync(request, ct);
            if (call > lost) return answer;
            answer.Dispose();
            return Status(HttpStatusCode.ServiceUnavailable);
        }
    }

    [Fact]
    public async Task EventsWhoseAnswerWasLostAreResentWithTheSameKeyAndStoredOnce()
    {
        var network = new LosingNetwork(lost: 2);
        var (client, delays) = Client(network);
        var result = await client.SendEventsAsync([new EventInput("view", AnonymousId: "lost-answer", ItemId: "i1"),
            new EventInput("view", AnonymousId: "lost-answer", ItemId: "i2")]);
        Assert.Equal(2, result.Accepted);
        Assert.Equal(3, network.Calls);
        Assert.Equal(2, delays.Count);
        // One key for the three attempts of one call, another for the next call.
        Assert.NotNull(network.Keys[0]);
        Assert.All(network.Keys, k => Assert.Equal(network.Keys[0], k));
        using var direct = new AttuneClient(_server.BaseAddress);
        Assert.Equal(2, (await direct.GetProfileAsync("lost-answer", anonymous: true))!.EventCount);
        await client.SendEventAsync(new EventInput("view", AnonymousId: "lost-answer", ItemId: "i3"));
        Assert.NotEqual(network.Keys[0], network.Keys[^1]);
        Assert.Equal(3, (await direct.GetProfileAsync("lost-answer", anonymous: true))!.EventCount);
    }

    [Fact]
    public async Task EventsAreResentWhenTheConnectionWasRefusedAndStoredOnce()
    {
        var network = new FlakyNetwork(Refused, Refused);
        var (client, delays) = Client(network);
        var result = await client.SendEventAsync(new EventInput("view", AnonymousId: "retry-visitor", ItemId: "i1"));
        Assert.Equal(1, result.Accepted);
        Assert.Equal(3, network.Calls);
        Assert.Equal(2, delays.Count);
        using var direct = new AttuneClient(_server.BaseAddress);
        Assert.Equal(1, (await direct.GetProfileAsync("retry-visitor", anonymous: true))!.EventCount);
    }

    [Fact]
    public async Task ARealRefusedConnectionIsRetriedThenSurfaces()
    {
        var unused = new Uri($"http://127.0.0.1:{EndToEnd.AttuneProcess.FreePort()}");
        using var client = new AttuneClient(unused, options: new AttuneClientOptions { MaxAttempts = 2, BaseDelay = TimeSpan.FromMilliseconds(1) });
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => client.SendEventAsync(new EventInput("view", AnonymousId: "a", ItemId: "i")));
        Assert.Equal(HttpRequestError.ConnectionError, e.HttpRequestError);
    }

    [Fact]
    public async Task AWrongKeyIsA401ProblemAndTheRightOneWorks()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Attune:ApiKeys:0:Name"] = "admin", ["Attune:ApiKeys:0:Key"] = "client-test-admin-key-0123456789", ["Attune:ApiKeys:0:Scopes:0"] = "admin",
        });
        using var wrong = new AttuneClient(server.BaseAddress, "not-the-key");
        var e = await Assert.ThrowsAsync<AttuneApiException>(() => wrong.GetStatsAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode);
        using var right = new AttuneClient(server.BaseAddress, "client-test-admin-key-0123456789");
        Assert.Equal(0, (await right.GetStatsAsync()).Events);
    }
}
