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
    /// <summary>The application's services (what the host registered).</summary>
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
        var app = AttuneHost.Build([], "http://127.0.0.1:0", dir, settings, configure);
        await app.StartAsync();
        return new TestServer(app, dir, owned);
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
