using System.CommandLine;
using Attune.Demo;
using Attune.Server.Hosting;
using Attune.Storage;
using Attune.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Attune.Cli.Commands;

internal static class ServeCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data();
        var urls = new Option<string>("--urls")
        {
            Description = $"Addresses to listen on, ';'-separated (default: URLS or ASPNETCORE_URLS, else {AttuneHost.DefaultUrls})",
        };
        var demo = new Option<bool>("--demo") { Description = "Load the demo shop when the store is empty" };
        var store = new Option<string>("--store")
        {
            Description = "The store: a postgres://user:password@host:port/database URL (or an Npgsql connection string) to share " +
                "PostgreSQL between nodes; default: the embedded SQLite store in --data (ATTUNE__STORE__POSTGRES sets it too)",
        };
        var command = new Command("serve", "Run the HTTP server") { data, urls, demo, store };
        command.SetAction(async (result, ct) =>
        {
            WebApplication app;
            try
            {
                // The demo shop sells consumables: their purchased items stay recommendable.
                var settings = new List<KeyValuePair<string, string?>>();
                if (result.GetValue(demo))
                    settings.AddRange(DemoShop.RepeatBuyCategories.Select((c, i) => new KeyValuePair<string, string?>($"Attune:Serving:RepeatBuyCategories:{i}", c)));
                if (result.GetValue(store) is { Length: > 0 } postgres)
                {
                    if (!postgres.StartsWith("postgres", StringComparison.OrdinalIgnoreCase) && !postgres.Contains('='))
                    {
                        Console.Error.WriteLine("attune: --store takes a postgres://user:password@host:port/database URL or an Npgsql connection string");
                        return 2;
                    }
                    settings.Add(new("Attune:Store:Postgres", postgres));
                }
                // The generic host logs a failed start with its stack trace; this command says it in one line instead (below),
                // and anything else it does not catch still reaches the console whole. Attune's one BackgroundService
                // (EncryptionRotation) catches and logs its own errors, so none reaches that category.
                app = AttuneHost.Build([], result.GetValue(urls), result.GetValue(data), settings,
                    b => b.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None));
            }
            catch (AttuneStartException e)
            {
                Console.Error.WriteLine($"attune: {e.Message}");
                return e.InnerException is DataFolderInUseException ? CommonOptions.ExitFolderInUse : 2;
            }
            var attuneStore = app.Services.GetRequiredService<IAttuneStore>();
            if (result.GetValue(demo))
            {
                var stats = await attuneStore.GetStatsAsync(ct);
                if (stats.Events == 0 && stats.Items == 0)
                    await DemoCommand.GenerateAndLoadAsync(attuneStore, new DemoOptions { End = DemoOptions.DefaultEnd(TimeProvider.System) },
                        result.GetValue(data)!, ct);
                else
                    Console.WriteLine($"Store already holds {stats.Items:N0} items and {stats.Events:N0} events; demo not loaded again.");
            }
            try { await app.StartAsync(); }
            catch (IOException e)
            {
                // Kestrel could not bind (the port is taken, the address is not this machine's): one line, not a stack trace.
                Console.Error.WriteLine($"attune: {e.Message}");
                await app.DisposeAsync();
                return 2;
            }
            // What Kestrel bound (command line, URLS, Kestrel:Endpoints): an open server on a public address stops here.
            var guard = app.Services.GetRequiredService<LoopbackGuard>();
            if (guard.Refusal is not null)
            {
                Console.Error.WriteLine($"attune: {guard.Refusal}");
                await app.StopAsync(CancellationToken.None);
                await app.DisposeAsync();
                return 2;
            }
            Console.WriteLine($"Attune is listening on {string.Join(";", guard.Addresses)} (open it in a browser; API reference at /scalar/v1).");
            // Each tenant behind the same addresses, chosen by the request's key.
            foreach (var tenant in app.Services.GetRequiredService<Tenants>().All)
                Console.WriteLine($"Tenant {tenant.Name}: " + (tenant.Store is SqliteStore ? "its own database in" : $"schema {tenant.Options.Schema}, data in") +
                    $" {tenant.Options.DataDirectory}, {tenant.Keys.Configured.Count} configured key(s) and {tenant.Keys.Count - tenant.Keys.Configured.Count} stored");
            await app.WaitForShutdownAsync();
            await app.DisposeAsync();
            return 0;
        });
        return command;
    }
}
