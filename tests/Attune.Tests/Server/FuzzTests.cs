using System.Net;
using System.Text;
using System.Text.Json;

namespace Attune.Tests.Server;

/// <summary>
/// Generated input against the JSON endpoints: mutated valid records, random JSON values in every field, and raw byte noise.
/// The properties: never a 5xx, every 4xx is problem+json, every 200 accounts for each record, and the store holds exactly
/// the events that were reported accepted.
/// </summary>
public sealed class FuzzTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await TestServer.StartAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private static readonly string[] EventFields =
        ["type", "userId", "anonymousId", "itemId", "value", "timestamp", "sessionId", "channel", "context", "recommendationId", "query", "extra"];

    private static readonly string[] ItemFields =
        ["id", "title", "description", "categories", "brand", "price", "currency", "inStock", "tags", "properties", "publishedAt", "hidden", "blocked"];

    [Fact]
    public async Task GeneratedEventBatchesNeverFailAndAccountForEveryRecord()
    {
        var random = new Random(20261125);
        long acceptedTotal = 0;
        for (int round = 0; round < 150; round++)
        {
            int n = random.Next(1, 12);
            var sb = new StringBuilder("[");
            for (int i = 0; i < n; i++) sb.Append(i == 0 ? "" : ",").Append(MutatedEvent(random));
            sb.Append(']');
            var r = await Post("/v1/events", sb.ToString());
            acceptedTotal += await CheckBatchAnswer(r, n, sb.ToString());
        }
        var stats = await HttpAssert.Ok(await _server.Client.GetAsync("/v1/stats"));
        Assert.Equal(acceptedTotal, stats.GetProperty("events").GetInt64());
        Assert.True(acceptedTotal > 50, $"the generator should produce enough valid events too (got {acceptedTotal})");
    }

    [Fact]
    public async Task GeneratedItemsNeverFail()
    {
        var random = new Random(7);
        for (int round = 0; round < 150; round++)
        {
            var sb = new StringBuilder("{");
            bool first = true;
            foreach (string f in ItemFields)
            {
                if (f != "id" && random.NextDouble() < 0.5) continue;
                sb.Append(first ? "" : ",").Append(JsonSerializer.Serialize(f)).Append(':')
                    .Append(f == "id" && random.NextDouble() < 0.7 ? JsonSerializer.Serialize($"item-{random.Next(100)}") : RandomJson(random, 0));
                first = false;
            }
            sb.Append('}');
            var r = await Post("/v1/items", sb.ToString());
            await CheckBatchAnswer(r, 1, sb.ToString());
        }
    }

    [Fact]
    public async Task RandomBytesAreRejectedCleanly()
    {
        var random = new Random(99);
        foreach (string path in new[] { "/v1/events", "/v1/items", "/v1/users", "/v1/identify" })
        {
            for (int round = 0; round < 40; round++)
            {
                byte[] noise = new byte[random.Next(0, 300)];
                random.NextBytes(noise);
                if (round % 2 == 0 && noise.Length > 0) noise[0] = (byte)'{';
                var content = new ByteArrayContent(noise);
                content.Headers.ContentType = new("application/json");
                var r = await _server.Client.PostAsync(path, content);
                Assert.True((int)r.StatusCode is >= 400 and < 500, $"{path}: {(int)r.StatusCode} for noise");
                Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
            }
        }
    }

    private async Task<long> CheckBatchAnswer(HttpResponseMessage r, int records, string sent)
    {
        string body = await r.Content.ReadAsStringAsync();
        Assert.True((int)r.StatusCode < 500, $"{(int)r.StatusCode} for {sent}: {body}");
        if (r.StatusCode == HttpStatusCode.OK)
        {
            var doc = JsonDocument.Parse(body).RootElement;
            int accepted = doc.GetProperty("accepted").GetInt32();
            int rejected = doc.GetProperty("rejected").GetArrayLength();
            Assert.Equal(records, accepted + rejected);
            return accepted;
        }
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        return 0;
    }

    private Task<HttpResponseMessage> Post(string path, string json) =>
        _server.Client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    private static string MutatedEvent(Random random)
    {
        var fields = new Dictionary<string, string>
        {
            ["type"] = JsonSerializer.Serialize(random.Next(4) switch { 0 => "view", 1 => "purchase", 2 => "custom.fuzz", _ => "search" }),
            ["userId"] = JsonSerializer.Serialize($"u{random.Next(20)}"),
            ["itemId"] = JsonSerializer.Serialize($"i{random.Next(50)}"),
            ["query"] = "\"shoes\"",
        };
        int mutations = random.Next(0, 3);
        for (int m = 0; m < mutations; m++)
        {
            string field = EventFields[random.Next(EventFields.Length)];
            if (random.NextDouble() < 0.2) fields.Remove(field);
            else fields[field] = RandomJson(random, 0);
        }
        return "{" + string.Join(",", fields.Select(kv => $"{JsonSerializer.Serialize(kv.Key)}:{kv.Value}")) + "}";
    }

    private static string RandomJson(Random random, int depth) => random.Next(depth > 2 ? 7 : 10) switch
    {
        0 => "null",
        1 => random.NextDouble() < 0.5 ? "true" : "false",
        2 => random.Next(-1_000_000, 1_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture),
        3 => (random.NextDouble() * Math.Pow(10, random.Next(-5, 320))).ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        4 => JsonSerializer.Serialize(RandomString(random)),
        5 => JsonSerializer.Serialize(DateTimeOffset.UtcNow.AddDays(random.Next(-20_000, 5)).ToString("O")),
        6 => JsonSerializer.Serialize(new string('x', random.Next(250, 300))),
        7 => "[" + string.Join(",", Enumerable.Range(0, random.Next(4)).Select(_ => RandomJson(random, depth + 1))) + "]",
        _ => "{" + string.Join(",", Enumerable.Range(0, random.Next(4))
            .Select(_ => $"{JsonSerializer.Serialize(RandomString(random))}:{RandomJson(random, depth + 1)}")) + "}",
    };

    private static string RandomString(Random random)
    {
        int n = random.Next(0, 20);
        var chars = new char[n];
        for (int i = 0; i < n; i++)
            chars[i] = random.Next(10) switch { 0 => (char)random.Next(0, 32), 1 => (char)random.Next(0x80, 0xD7FF), _ => (char)random.Next('a', 'z' + 1) };
        return new string(chars);
    }
}
