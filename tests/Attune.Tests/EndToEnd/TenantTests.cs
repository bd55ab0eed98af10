using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Attune.Tests.Storage.Postgres;
using Npgsql;

namespace Attune.Tests.EndToEnd;

/// <summary>
/// Tenants (issue 16, deliver 4), against the real <c>attune serve</c>: two tenants and the default app in one process, one
/// listener, the key choosing the tenant; nothing one tenant wrote is readable with another's key (items, listings,
/// recommendations, search, stats, profiles, rules, keys), on the embedded store (a database per tenant) and on PostgreSQL (a
/// schema per tenant). Bad tenant settings stop the start with one line naming the setting.
/// </summary>
public sealed class TenantTests
{
    private const string DefaultKey = "default-admin-0123456789";
    private const string KeyA = "shop-a-admin-0123456789";
    private const string KeyB = "shop-b-admin-0123456789";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, string> TwoTenants() => new()
    {
        ["ATTUNE__APIKEYS__0__NAME"] = "default-admin",
        ["ATTUNE__APIKEYS__0__KEY"] = DefaultKey,
        ["ATTUNE__APIKEYS__0__SCOPES__0"] = "admin",
        ["ATTUNE__TENANTS__0__NAME"] = "shop_a",
        ["ATTUNE__TENANTS__0__APIKEYS__0__NAME"] = "a-admin",
        ["ATTUNE__TENANTS__0__APIKEYS__0__KEY"] = KeyA,
        ["ATTUNE__TENANTS__0__APIKEYS__0__SCOPES__0"] = "admin",
        ["ATTUNE__TENANTS__1__NAME"] = "shop_b",
        ["ATTUNE__TENANTS__1__APIKEYS__0__NAME"] = "b-admin",
        ["ATTUNE__TENANTS__1__APIKEYS__0__KEY"] = KeyB,
        ["ATTUNE__TENANTS__1__APIKEYS__0__SCOPES__0"] = "admin",
        ["ATTUNE__TENANTS__1__APIKEYS__1__NAME"] = "b-web",
        ["ATTUNE__TENANTS__1__APIKEYS__1__KEY"] = "shop-b-web-0123456789",
        ["ATTUNE__TENANTS__1__APIKEYS__1__SCOPES__0"] = "client",
        ["ATTUNE__TENANTS__1__APIKEYS__1__ORIGINS__0"] = "https://shop-b.example",
    };

    [Fact]
    public async Task OnTheEmbeddedStoreNothingOfOneTenantIsReadableWithAnothersKey()
    {
        using var dir = TestPaths.NewTempDirectory();
        await using var attune = await AttuneProcess.ServeAsync(dir.Path, TwoTenants());

        await WithOutputAsync(attune, CheckIsolationAsync);

        // One database per tenant, in its folder under the deployment's.
        Assert.True(File.Exists(Path.Combine(dir.Path, "attune.db")));
        Assert.True(File.Exists(Path.Combine(dir.Path, "tenants", "shop_a", "attune.db")));
        Assert.True(File.Exists(Path.Combine(dir.Path, "tenants", "shop_b", "attune.db")));
        Assert.Contains("Tenant shop_a: its own database in", attune.Output);
        Assert.Contains("Tenant shop_b: its own database in", attune.Output);
    }

    [Fact]
    public async Task OnPostgresEachTenantHasItsOwnSchemaAndNothingOfOneIsReadableWithAnothersKey()
    {
        Assert.SkipUnless(TempPostgres.Available, TempPostgres.SkipReason);
        await using var db = await TempPostgres.StartAsync(Ct);
        using var dir = TestPaths.NewTempDirectory();
        var environment = TwoTenants();
        environment["ATTUNE__TENANTS__1__SCHEMA"] = "tenant_b";
        await using var attune = await AttuneProcess.ServeAsync(dir.Path, environment, "--store", $"postgres://postgres@127.0.0.1:{db.Port}/postgres");

        await WithOutputAsync(attune, CheckIsolationAsync);

        Assert.Contains("Tenant shop_a: schema shop_a", attune.Output);
        Assert.Contains("Tenant shop_b: schema tenant_b", attune.Output);
        await using var source = NpgsqlDataSource.Create(db.ConnectionString);
        var schemas = new List<string>();
        await using (var cmd = source.CreateCommand("SELECT schema_name FROM information_schema.schemata"))
        await using (var reader = await cmd.ExecuteReaderAsync(Ct))
            while (await reader.ReadAsync(Ct)) schemas.Add(reader.GetString(0));
        Assert.Contains("attune", schemas);
        Assert.Contains("shop_a", schemas);
        Assert.Contains("tenant_b", schemas);
        // Each tenant's rows are in its own schema's tables: 20 items in shop_a, 10 in tenant_b, 5 in the default's.
        foreach (var (schema, items) in new[] { ("shop_a", 20L), ("tenant_b", 10L), ("attune", 5L) })
        {
            await using var count = source.CreateCommand($"SELECT count(*) FROM {schema}.items");
            Assert.Equal(items, (long)(await count.ExecuteScalarAsync(Ct))!);
        }
    }

    /// <summary>Writes to shop_a, shop_b and the default app with their own keys, then reads across them.</summary>
    private static async Task CheckIsolationAsync(AttuneProcess attune)
    {
        using var a = Client(attune, KeyA);
        using var b = Client(attune, KeyB);
        using var d = Client(attune, DefaultKey);

        // shop_a: 20 items (item a7 is a copper kettle), events of alice-a, her record, a pinning rule.
        var itemsA = Enumerable.Range(1, 20).Select(i => new { id = $"a{i}", title = i == 7 ? "Copper whistling kettle" : $"Alpha thing {i}", categories = new[] { "home/kitchen" }, price = 10 + i });
        (await a.PostAsJsonAsync("/v1/items", itemsA, Ct)).EnsureSuccessStatusCode();
        (await a.PostAsJsonAsync("/v1/users", new[] { new { id = "alice-a", attributes = new Dictionary<string, string> { ["tier"] = "gold" } } }, Ct)).EnsureSuccessStatusCode();
        var eventsA = Enumerable.Range(0, 30).Select(i => new { type = "view", userId = $"alice-a{(i % 3 == 0 ? "" : i % 3)}", itemId = $"a{i % 20 + 1}" }).ToArray();
        (await a.PostAsJsonAsync("/v1/events", eventsA, Ct)).EnsureSuccessStatusCode();
        (await a.PostAsJsonAsync("/v1/rules", new { id = "pin-a7", action = "pin", itemId = "a7", position = 1 }, Ct)).EnsureSuccessStatusCode();

        // shop_b: 10 other items, events of bob-b.
        var itemsB = Enumerable.Range(1, 10).Select(i => new { id = $"b{i}", title = $"Bravo gadget {i}", categories = new[] { "garden" }, price = 5 + i });
        (await b.PostAsJsonAsync("/v1/items", itemsB, Ct)).EnsureSuccessStatusCode();
        var eventsB = Enumerable.Range(0, 12).Select(i => new { type = "view", userId = "bob-b", itemId = $"b{i % 10 + 1}" }).ToArray();
        (await b.PostAsJsonAsync("/v1/events", eventsB, Ct)).EnsureSuccessStatusCode();

        // The default app: 5 items, events of dave-d.
        var itemsD = Enumerable.Range(1, 5).Select(i => new { id = $"d{i}", title = $"Delta copper kettle {i}", categories = new[] { "home/kitchen" }, price = 1 + i });
        (await d.PostAsJsonAsync("/v1/items", itemsD, Ct)).EnsureSuccessStatusCode();
        (await d.PostAsJsonAsync("/v1/events", new[] { new { type = "view", userId = "dave-d", itemId = "d1" } }, Ct)).EnsureSuccessStatusCode();

        // Each sees its own: A's item, profile and rule; the pin leads A's recommendations.
        Assert.Equal(HttpStatusCode.OK, (await a.GetAsync("/v1/items/a1", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await a.GetAsync("/v1/users/alice-a/profile", Ct)).StatusCode);
        string seen = "";
        await EventuallyAsync(async () =>
        {
            var page = await a.GetFromJsonAsync<JsonElement>("/v1/recommendations?userId=newcomer-a&count=5", Ct);
            seen = page.ToString();
            return Ids(page, "items").FirstOrDefault() == "a7";
        }, () => "shop_a's pin leads shop_a's recommendations; last answer: " + seen);
        Assert.Contains("a7", Ids(await a.GetFromJsonAsync<JsonElement>("/v1/search?q=copper%20kettle&count=5", Ct), "items"));

        // With B's key, nothing of A (nor of the default app).
        foreach (string id in new[] { "a1", "a7", "d1" })
            Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync($"/v1/items/{id}", Ct)).StatusCode);
        var listingB = Ids(await b.GetFromJsonAsync<JsonElement>("/v1/items?limit=1000", Ct), "data");
        Assert.Equal(itemsB.Select(i => i.id).Order(), listingB.Order());
        foreach (string user in new[] { "bob-b", "alice-a", "dave-d" })
        {
            var recommended = Ids(await b.GetFromJsonAsync<JsonElement>($"/v1/recommendations?userId={user}&count=50", Ct), "items");
            Assert.All(recommended, id => Assert.StartsWith("b", id));
        }
        Assert.All(Ids(await b.GetFromJsonAsync<JsonElement>("/v1/search?q=copper%20kettle&count=50", Ct), "items"), id => Assert.StartsWith("b", id));
        var statsB = await b.GetFromJsonAsync<JsonElement>("/v1/stats", Ct);
        Assert.Equal(10, statsB.GetProperty("items").GetInt64());
        Assert.Equal(eventsB.Length, statsB.GetProperty("events").GetInt64());
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync("/v1/users/alice-a/profile", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync("/v1/users/alice-a", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync("/v1/rules/pin-a7", Ct)).StatusCode);
        Assert.DoesNotContain("pin-a7", (await b.GetStringAsync("/v1/rules", Ct)));
        // The Azure-style header chooses the tenant the same way.
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/v1/stats"))
        {
            request.Headers.Add("Ocp-Apim-Subscription-Key", KeyB);
            var r = await attune.Client.SendAsync(request, Ct);
            r.EnsureSuccessStatusCode();
            Assert.Equal(10, (await r.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("items").GetInt64());
        }

        // A's stats count only A's; the default app's only its own, and it sees nothing of the tenants.
        var statsA = await a.GetFromJsonAsync<JsonElement>("/v1/stats", Ct);
        Assert.Equal(20, statsA.GetProperty("items").GetInt64());
        Assert.Equal(eventsA.Length, statsA.GetProperty("events").GetInt64());
        Assert.Equal(5, (await d.GetFromJsonAsync<JsonElement>("/v1/stats", Ct)).GetProperty("items").GetInt64());
        foreach (string id in new[] { "a1", "b1" })
            Assert.Equal(HttpStatusCode.NotFound, (await d.GetAsync($"/v1/items/{id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await d.GetAsync("/v1/users/alice-a/profile", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await a.GetAsync("/v1/items/b1", Ct)).StatusCode);

        // A key made through shop_a's POST /v1/keys is shop_a's: it reads A's, nothing of B's or the default's, and is not
        // listed by B.
        var created = await a.PostAsJsonAsync("/v1/keys", new { name = "a-reader", scopes = new[] { "serve" } }, Ct);
        created.EnsureSuccessStatusCode();
        string readerKey = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("key").GetString()!;
        using var reader = Client(attune, readerKey);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/v1/items/a1", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await reader.GetAsync("/v1/items/b1", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await reader.GetAsync("/v1/items/d1", Ct)).StatusCode);
        Assert.Equal(20, (await reader.GetFromJsonAsync<JsonElement>("/v1/stats", Ct)).GetProperty("items").GetInt64());
        Assert.DoesNotContain("a-reader", await b.GetStringAsync("/v1/keys", Ct));
        Assert.DoesNotContain("a-reader", await d.GetStringAsync("/v1/keys", Ct));

        // Unknown keys and no key meet the default app, which refuses them.
        using var stranger = Client(attune, "not-a-key-of-anyone-0123");
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.GetAsync("/v1/items", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await attune.Client.GetAsync("/v1/items", Ct)).StatusCode);
        // A preflight carries no key: shop_b's browser key's origin is answered (by shop_b), another origin is not.
        foreach (var (origin, allowed) in new[] { ("https://shop-b.example", true), ("https://elsewhere.example", false) })
        {
            using var preflight = new HttpRequestMessage(HttpMethod.Options, "/v1/events");
            preflight.Headers.Add("Origin", origin);
            preflight.Headers.Add("Access-Control-Request-Method", "POST");
            var answer = await attune.Client.SendAsync(preflight, Ct);
            Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
            Assert.Equal(allowed, answer.Headers.TryGetValues("Access-Control-Allow-Origin", out var values) && values.Single() == origin);
        }
        // Readiness covers every tenant; a tenant's own /ready answers for it.
        Assert.Equal(HttpStatusCode.OK, (await attune.Client.GetAsync("/ready", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await b.GetAsync("/ready", Ct)).StatusCode);
    }

    public static TheoryData<string, string[]> BadTenantSettings => new()
    {
        { "name", ["Attune:Tenants:0:Name", "'Shop-A' is not a tenant name"] },
        { "no key", ["Attune:Tenants:1:ApiKeys", "tenant 'shop_b' has no key"] },
        { "key of two tenants", ["Attune:Tenants:1:ApiKeys:0 (key 'b-admin') is the same key as Attune:Tenants:0:ApiKeys:0 (key 'a-admin')"] },
        { "key of a tenant and the default", ["Attune:Tenants:0:ApiKeys:0 (key 'a-admin') is the same key as Attune:ApiKeys:0 (key 'default-admin')"] },
        { "same name", ["Attune:Tenants:1:Name: 'shop_a' is also Attune:Tenants:0:Name"] },
        { "the deployment's schema", ["Attune:Tenants:1:Schema: 'attune' is the deployment's own schema"] },
        { "unknown setting", ["Attune:Tenants:0:Serving", "not a tenant setting"] },
    };

    [Theory]
    [MemberData(nameof(BadTenantSettings))]
    public async Task ABadTenantSettingStopsTheStartWithOneLineNamingIt(string problem, string[] expected)
    {
        using var dir = TestPaths.NewTempDirectory();
        var environment = TwoTenants();
        switch (problem)
        {
            case "name": environment["ATTUNE__TENANTS__0__NAME"] = "Shop-A"; break;
            case "no key":
                foreach (string k in environment.Keys.Where(k => k.StartsWith("ATTUNE__TENANTS__1__APIKEYS", StringComparison.Ordinal)).ToList()) environment.Remove(k);
                break;
            case "key of two tenants": environment["ATTUNE__TENANTS__1__APIKEYS__0__KEY"] = KeyA; break;
            case "key of a tenant and the default": environment["ATTUNE__TENANTS__0__APIKEYS__0__KEY"] = DefaultKey; break;
            case "same name": environment["ATTUNE__TENANTS__1__NAME"] = "shop_a"; break;
            case "the deployment's schema": environment["ATTUNE__TENANTS__1__SCHEMA"] = "attune"; break;
            case "unknown setting": environment["ATTUNE__TENANTS__0__SERVING__KEEPVERSIONS"] = "3"; break;
        }

        var (code, output) = await AttuneProcess.RunAsync(environment, null,
            "serve", "--data", dir.Path, "--urls", $"http://127.0.0.1:{AttuneProcess.FreePort()}");

        Assert.True(code == 2, output);
        string line = Assert.Single(output.Split('\n'), l => l.StartsWith("attune: ", StringComparison.Ordinal));
        foreach (string part in expected) Assert.Contains(part, line, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", output);
        Assert.DoesNotContain("Attune is listening", output);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "tenants")), "nothing of a tenant is made before the settings are checked");
    }

    /// <summary>Runs <paramref name="check"/>; a failure carries the server's output (its logged errors).</summary>
    private static async Task WithOutputAsync(AttuneProcess attune, Func<AttuneProcess, Task> check)
    {
        try { await check(attune); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\n--- attune serve's output:\n{attune.Output}\n--- at:\n{e.StackTrace}");
        }
    }

    private static HttpClient Client(AttuneProcess attune, string key)
    {
        var client = new HttpClient { BaseAddress = attune.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private static List<string> Ids(JsonElement page, string property) =>
        [.. page.GetProperty(property).EnumerateArray().Select(i => i.GetProperty("id").GetString()!)];

    private static async Task EventuallyAsync(Func<Task<bool>> check, Func<string> what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (await check()) return;
            await Task.Delay(50, Ct);
        }
        Assert.Fail($"{what()}: not seen within 10 s");
    }
}
