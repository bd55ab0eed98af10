using Attune.Client;
using Attune.Demo;
using Attune.Storage.Sqlite;
using Attune.Tests.Server;

namespace Attune.Tests.Client;

/// <summary>One real in-process server over a small demo shop (300 people, 200 items), ready, shared by a test class.</summary>
public sealed class ClientServerFixture : IAsyncLifetime
{
    private readonly TempDirectory _dir = TestPaths.NewTempDirectory();
    internal TestServer Server { get; private set; } = null!;
    public AttuneClient Client { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await using (var store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = _dir.Path, FullSync = false }))
        {
            var shop = DemoShop.Generate(new DemoOptions { Users = 300, Items = 200, Days = 15, Seed = 11, End = DemoOptions.DefaultEnd(TimeProvider.System) });
            await DemoLoader.LoadAsync(store, shop);
        }
        Server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Attune:Serving:TuningBudgetSeconds"] = "2", // TuneAsync's test: a short tuning
            ["Attune:Serving:TuningIntervalHours"] = "0",
        }, _dir.Path);
        Client = new AttuneClient(Server.BaseAddress);
        for (int i = 0; i < 1200 && !await Client.IsReadyAsync(); i++) await Task.Delay(50);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        _dir.Dispose();
    }
}
