using System.Net.Http.Headers;
using Attune.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Attune.Tests.Server;

/// <summary>The real Attune web application on Kestrel, on a free loopback port, over a fresh store in a temp folder.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TempDirectory? _ownedDirectory;

    public HttpClient Client { get; }
    public Uri BaseAddress { get; }
    public string DataDirectory { get; }
    /// <summary>The application's services (the store, the engine), for tests that act as another writer.</summary>
    public IServiceProvider Services => _app.Services;

    private TestServer(WebApplication app, string dataDirectory, TempDirectory? owned)
    {
        _app = app;
        _ownedDirectory = owned;
        DataDirectory = dataDirectory;
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseAddress = new Uri(addresses.First());
        Client = new HttpClient { BaseAddress = BaseAddress };
    }

    public static async Task<TestServer> StartAsync(IDictionary<string, string?>? settings = null, string? dataDirectory = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        TempDirectory? owned = dataDirectory is null ? TestPaths.NewTempDirectory() : null;
        string dir = dataDirectory ?? owned!.Path;
        // Propensity models train on request in tests (POST /v1/predictions/propensity/train), not 15 s after every server's start.
        // Search is lexical in tests unless a test turns sentence vectors on (they load a model and embed the whole catalog).
        var merged = new Dictionary<string, string?>
        {
            ["Predictions:PropensityStartDelaySeconds"] = "-1",
            ["Attune:Serving:SemanticSearch"] = "Off",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) merged[key] = value;
        var app = AttuneHost.Build([], "http://127.0.0.1:0", dir, merged, configure);
        await app.StartAsync();
        return new TestServer(app, dir, owned);
    }

    /// <summary>Writes a small seeded demo shop (catalog, users, events ending now) into <paramref name="dataDirectory"/>.</summary>
    public static async Task LoadDemoShopAsync(string dataDirectory, int users, int items, int days, int seed)
    {
        await using var store = Attune.Storage.Sqlite.SqliteStore.Open(new Attune.Storage.Sqlite.SqliteStoreOptions { DataDirectory = dataDirectory, FullSync = false });
        var shop = Attune.Demo.DemoShop.Generate(new Attune.Demo.DemoOptions
        {
            Users = users, Items = items, Days = days, Seed = seed, End = Attune.Demo.DemoOptions.DefaultEnd(TimeProvider.System),
        });
        await Attune.Demo.DemoLoader.LoadAsync(store, shop);
    }

    /// <summary>Waits (up to 30 s) until <c>/ready</c> answers: the first model is trained.</summary>
    public async Task WaitReadyAsync()
    {
        for (int i = 0; i < 600 && !(await Client.GetAsync("/ready")).IsSuccessStatusCode; i++) await Task.Delay(50);
    }

    public HttpClient ClientWithKey(string key)
    {
        var c = new HttpClient { BaseAddress = BaseAddress };
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return c;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _ownedDirectory?.Dispose();
    }
}
