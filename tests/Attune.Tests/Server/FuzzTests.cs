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

    // A valid request per JSON endpoint (method, path, fields); the structure-aware fuzz mutates one or two fields at a time.
    private static readonly (string Method, string Path, (string Name, string Json)[] Fields)[] Endpoints =
    [
        ("POST", "/v1/events", [("type", "\"purchase\""), ("userId", "\"u1\""), ("itemId", "\"i1\""), ("value", "3"), ("context", "{\"device\":\"mobile\"}")]),
        ("POST", "/v1/identify", [("anonymousId", "\"a1\""), ("userId", "\"u1\"")]),
        ("POST", "/v1/items", [("id", "\"i1\""), ("title", "\"Shoe\""), ("categories", "[\"shoes/running\"]"), ("price", "10"), ("properties", "{\"size\":\"42\"}")]),
        ("POST", "/v1/users", [("id", "\"u1\""), ("attributes", "{\"tier\":\"gold\"}"), ("consent", "{\"personalization\":true}")]),
        ("POST", "/v1/recommendations", [("userId", "\"u1\""), ("scenario", "\"similar\""), ("itemId", "\"i1\""), ("count", "5"), ("filter", "\"inStock\""), ("fallback", "true")]),
        ("POST", "/v1/rank", [("userId", "\"u1\""), ("candidates", "[\"i1\",\"i2\"]")]),
        ("POST", "/v1/rules", [("id", "\"r1\""), ("action", "\"boost\""), ("filter", "\"inStock\""), ("scenarios", "[\"for-you\"]"), ("weight", "0.5")]),
        ("PUT", "/v1/recipes/fuzz", [("description", "\"d\""), ("scenarios", "{\"for-you\":{\"sources\":{\"popularity\":1}}}")]),
        ("POST", "/v1/experiments", [("id", "\"exp1\""), ("scenario", "\"for-you\""), ("variants", "[{\"key\":\"a\",\"recipe\":\"default\"},{\"key\":\"b\",\"recipe\":\"default\"}]")]),
        ("PUT", "/v1/flags/fuzz", [("defaultValue", "false"), ("rules", "[]")]),
        ("POST", "/v1/stats/analyze", [("metric", "{\"type\":\"mean\"}"), ("variations", "[]")]),
        ("POST", "/v1/rollouts", [("id", "\"ro1\""), ("recipe", "\"default\"")]),
    ];

    private static readonly string[] Mutations =
    [
        "null", "true", "-5", "-1e308", "1e400", "[]", "{}", "\"\"", "\"\\ud800\"", "\"a\\udc00b\"", "\"\\u0000\"", "\"u\\u200Bx\"",
        "\"u\\u202Ex\"", "\"\\uFEFF\"", "[\"\\ud800\"]", "{\"\\ud800\":1}", "{\"a\":1,\"a\":2}", "\"" + new string('x', 70_000) + "\"",
        new string('[', 40) + new string(']', 40), "[" + string.Join(",", Enumerable.Repeat("\"i1\"", 2_000)) + "]",
        "\"2026-13-45T99:99:99Z\"", "9223372036854775808", "\"\\t lead\"",
    ];

    [Fact]
    public async Task StructureAwareCorpusOverEveryEndpointNeverAnswers5xx()
    {
        // Recommendations answer 503 until the first model is active: wait for it, so every 5xx is a real failure.
        for (int i = 0; i < 200 && !(await _server.Client.GetAsync("/ready")).IsSuccessStatusCode; i++) await Task.Delay(50);
        var random = new Random(11_07);
        int cases = 0;
        var statuses = new SortedDictionary<int, int>();
        foreach (var (method, path, fields) in Endpoints)
        {
            for (int round = 0; round < 60; round++)
            {
                var body = fields.Select(f => (f.Name, f.Json)).ToList();
                int changes = random.Next(1, 3);
                for (int k = 0; k < changes; k++)
                {
                    int i = random.Next(body.Count);
                    switch (random.Next(10))
                    {
                        case 0: body.Add((body[i].Name, body[i].Json)); break;                      // the field again (duplicate key)
                        case 1: body.RemoveAt(i); if (body.Count == 0) body.Add(("x", "1")); break; // missing
                        case 2: body[i] = (body[i].Name, RandomJson(random, 0)); break;               // any value
                        default: body[i] = (body[i].Name, Mutations[random.Next(Mutations.Length)]); break;
                    }
                }
                string json = "{" + string.Join(",", body.Select(f => $"\"{f.Name}\":{f.Json}")) + "}";
                byte[] bytes = Encoding.UTF8.GetBytes(json);
                if (round % 10 == 9 && bytes.Length > 4) bytes[random.Next(1, bytes.Length - 1)] = (byte)random.Next(0x80, 0x100); // byte noise
                var content = new ByteArrayContent(bytes);
                content.Headers.ContentType = new("application/json");
                var r = await _server.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = content });
                string answer = await r.Content.ReadAsStringAsync();
                Assert.True((int)r.StatusCode < 500, $"{method} {path}: {(int)r.StatusCode} for {Shorten(json)}: {Shorten(answer)}");
                if ((int)r.StatusCode >= 400) Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
                statuses[(int)r.StatusCode] = statuses.GetValueOrDefault((int)r.StatusCode) + 1;
                cases++;
            }
        }
        // The GET form of recommendations, with mutated query values (percent-encoded bytes that are not UTF-8 included).
        string[] queryValues = ["%ED%A0%80", "%FF%FE", "%00", "u%E2%80%8Bx", "-1", "", "%22", new string('x', 5_000), "i1,i1,,", "true"];
        string[] queryNames = ["userId", "anonymousId", "scenario", "recipe", "count", "itemId", "filter", "exclude", "fields", "explain", "fallback", "context.budget"];
        for (int round = 0; round < 120; round++)
        {
            string query = string.Join("&", Enumerable.Range(0, random.Next(1, 4))
                .Select(_ => $"{queryNames[random.Next(queryNames.Length)]}={queryValues[random.Next(queryValues.Length)]}"));
            var r = await _server.Client.GetAsync("/v1/recommendations?scenario=similar&" + query);
            Assert.True((int)r.StatusCode < 500, $"GET ?{Shorten(query)}: {(int)r.StatusCode}: {Shorten(await r.Content.ReadAsStringAsync())}");
            cases++;
        }
        Assert.True(cases >= 800, $"corpus size {cases}");
        // The corpus must reach the handlers: some mutated requests still succeed, most are refused field by field.
        string histogram = string.Join(", ", statuses.Select(kv => $"{kv.Key}: {kv.Value}"));
        Assert.True(statuses.Where(kv => kv.Key < 300).Sum(kv => kv.Value) >= 20, histogram);
        Assert.True(statuses.GetValueOrDefault(400) >= 300, histogram);
        Assert.False(statuses.ContainsKey(401), histogram);
    }

    private static string Shorten(string s) => s.Length <= 400 ? s : s[..400] + "…";

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
