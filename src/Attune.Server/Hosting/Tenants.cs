using System.Globalization;
using Attune.Server.Security;
using Attune.Serving;
using Attune.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Attune.Server.Hosting;

/// <summary>
/// The deployment's tenants (<c>Attune:Tenants</c>): several independent apps in one process, each a complete Attune
/// application built by <see cref="AttuneHost.Build(string[], string?, string?, IEnumerable{KeyValuePair{string, string?}}?, Action{WebApplicationBuilder}?)"/>
/// with its own store, keys, models and engine, served in-process (<see cref="TenantServer"/>) behind the deployment's one
/// listener: <see cref="TenantRouter"/> hands a request to the tenant whose key it carries. Nothing is shared between tenants
/// but the process and the deployment's settings, so isolation does not depend on every query remembering a tenant filter.
/// The deployment's own app (its store and keys) is the default tenant.
/// </summary>
/// <remarks>
/// This holder lives in the default app's container: it starts the tenants' apps when the default app starts (as a hosted
/// service registered before the server, so the listener never hands a request to a tenant that is not started), stops them
/// after the default app's server stopped (requests in flight are finished first), and disposes them with the container.
/// </remarks>
public sealed class Tenants(ILogger<Tenants> log) : IHostedService, IAsyncDisposable
{
    private Tenant[] _all = [];
    private int _disposed;
    private bool _running;

    /// <summary>The tenants, in configuration order (empty without <c>Attune:Tenants</c>, and in a tenant's own app).</summary>
    public IReadOnlyList<Tenant> All => _all;

    /// <summary>The same as <see cref="All"/>, as the array the router walks (no enumerator per request).</summary>
    internal Tenant[] Serving => Volatile.Read(ref _all);

    /// <summary>
    /// Builds every tenant's app with <paramref name="build"/>. A tenant that cannot be built stops the start: the ones built
    /// before are disposed and the error names the tenant's setting.
    /// </summary>
    internal void Open(IReadOnlyList<TenantOptions> tenants, Func<TenantOptions, WebApplication> build)
    {
        var built = new List<Tenant>(tenants.Count);
        foreach (var options in tenants)
        {
            WebApplication app;
            try { app = build(options); }
            catch (AttuneStartException e)
            {
                foreach (var t in built) t.App.DisposeAsync().AsTask().GetAwaiter().GetResult();
                // The cause stays the inner exception: a data folder in use keeps its own exit code.
                throw new AttuneStartException($"{options.Path} ('{options.Name}'): {e.Message}", e.InnerException ?? e);
            }
            built.Add(new Tenant(options, app));
        }
        Volatile.Write(ref _all, [.. built]);
    }

    /// <summary>Null when every tenant's store is open and a model is active; else which tenant is still starting and why.</summary>
    public string? Waiting()
    {
        foreach (var t in Serving)
        {
            if (!t.Store.IsReady) return $"tenant {t.Name}: opening its store";
            if (!t.Engine.IsReady) return $"tenant {t.Name}: {t.Engine.TrainingStatus ?? "loading models"}";
        }
        return null;
    }

    /// <summary>Starts the tenants' apps (their in-process servers, hosted services, then their engines on their own
    /// ApplicationStarted).</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _running = true;
        foreach (var t in Serving) await t.App.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the tenants' apps, last first; one that fails to stop is logged and the others still stop.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _running = false;
        var all = Serving;
        for (int i = all.Length - 1; i >= 0; i--)
        {
            try { await all[i].App.StopAsync(cancellationToken).ConfigureAwait(false); }
            catch (Exception e) when (e is not OperationCanceledException) { log.LogError(e, "Tenant {Tenant} did not stop cleanly", all[i].Name); }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // Started and never stopped (the default app's server could not bind, and it is disposed at once): stop them first,
        // so their engines and stores close as on a shutdown.
        if (_running) await StopAsync(CancellationToken.None).ConfigureAwait(false);
        var all = Serving;
        for (int i = all.Length - 1; i >= 0; i--) await all[i].App.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// What a tenant's app gets beside the deployment's configuration: the in-process server in place of Kestrel (the last
    /// <see cref="IServer"/> registered wins), a lifetime that leaves Ctrl+C and SIGTERM to the default app (which stops the
    /// tenants itself), and its logs sent through the default app's loggers with the tenant named in the category.
    /// </summary>
    internal static void Configure(WebApplicationBuilder builder, TenantOptions tenant, ILoggerFactory logs)
    {
        builder.Services.AddSingleton<IServer, TenantServer>();
        builder.Services.AddSingleton<IHostLifetime, TenantLifetime>();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new TenantLogs(logs, tenant.Name));
    }
}

/// <summary>One tenant: its settings and its running app, with what the router and <c>/ready</c> ask of it.</summary>
public sealed class Tenant
{
    internal Tenant(TenantOptions options, WebApplication app)
    {
        Options = options;
        App = app;
        Server = (TenantServer)app.Services.GetRequiredService<IServer>();
        Keys = app.Services.GetRequiredService<ApiKeyStore>();
        Store = app.Services.GetRequiredService<IAttuneStore>();
        Engine = app.Services.GetRequiredService<ServingEngine>();
    }

    public TenantOptions Options { get; }
    public string Name => Options.Name;
    public WebApplication App { get; }
    /// <summary>The in-process server the router hands the tenant's requests to.</summary>
    public TenantServer Server { get; }
    /// <summary>The tenant's keys: configured, and stored in its own store (<c>POST /v1/keys</c> with one of its keys).</summary>
    public ApiKeyStore Keys { get; }
    public IAttuneStore Store { get; }
    public ServingEngine Engine { get; }
}

/// <summary>
/// One tenant's settings (<c>Attune:Tenants:{i}</c>): its name, its PostgreSQL schema, its keys and, optionally, its own
/// user-token secrets. Everything else is the deployment's.
/// </summary>
public sealed class TenantOptions
{
    public const string Section = "Attune:Tenants";
    public const int MaxNameLength = 40;

    /// <summary>The settings allowed under a tenant; any other is refused rather than silently ignored (it would be the
    /// deployment's setting that applies).</summary>
    private static readonly string[] Settings = ["Name", "Schema", "ApiKeys", "UserTokenSecrets", "UserTokenSecret"];

    /// <summary>The tenant's configuration path, e.g. <c>Attune:Tenants:0</c>, for errors.</summary>
    public required string Path { get; init; }

    /// <summary>Lower-case letters, digits and underscores, starting with a letter, at most <see cref="MaxNameLength"/>.</summary>
    public required string Name { get; init; }

    /// <summary>The PostgreSQL schema of its store (on <c>Attune:Store:Postgres</c>); default: the name.</summary>
    public required string Schema { get; init; }

    /// <summary>Its configured keys (at least one), in the shape of <c>Attune:ApiKeys</c>.</summary>
    public required List<ApiKeyOptions> ApiKeys { get; init; }

    /// <summary>Its user-token secrets; none: a secret generated and kept in its own store. Never the deployment's: a token a
    /// backend of one tenant signed must not act for a user of another.</summary>
    public List<string> UserTokenSecrets { get; init; } = [];

    public string? UserTokenSecret { get; init; }

    /// <summary>Its folder, <c>&lt;DataDirectory&gt;/tenants/&lt;name&gt;</c>: its SQLite database on the embedded store, and
    /// what each node computes for itself (model versions, search vectors) on either store.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>The name of its engine's meter (its own <c>/metrics</c> shows its numbers only).</summary>
    public string MeterName => ServingEngine.MeterName + ".Tenants." + Name;

    /// <summary>Makes the deployment's options (read from the same configuration) this tenant's.</summary>
    internal void ApplyTo(AttuneOptions options)
    {
        options.DataDirectory = DataDirectory;
        options.ApiKeys = ApiKeys;
        options.Store.Schema = Schema;
        options.UserTokenSecrets = UserTokenSecrets;
        options.UserTokenSecret = UserTokenSecret;
    }

    /// <summary>
    /// Reads and checks <c>Attune:Tenants</c>. Throws <see cref="AttuneStartException"/> naming the setting for a bad or repeated
    /// name or schema, a tenant without keys, a bad key, a setting a tenant cannot have, or a key configured for two tenants
    /// (or for a tenant and the deployment's own app): a key chooses the tenant, so it must belong to one.
    /// </summary>
    public static IReadOnlyList<TenantOptions> Read(IConfiguration configuration, AttuneOptions deployment)
    {
        var section = configuration.GetSection(Section);
        var tenants = new List<TenantOptions>();
        if (!section.Exists()) return tenants;
        var owners = new List<(byte[] Hash, string Path, string Name)>();
        AddKeys(configuration.GetSection(AttuneOptions.Section + ":ApiKeys"), owners, check: false);
        foreach (var child in section.GetChildren())
        {
            string path = child.Path;
            if (child.Value is not null)
                throw new AttuneStartException($"{path}: a tenant is a section ({Section}:0:Name, {Section}:0:ApiKeys:0:Key …), not a value");
            foreach (var setting in child.GetChildren())
            {
                if (Array.FindIndex(Settings, s => s.Equals(setting.Key, StringComparison.OrdinalIgnoreCase)) < 0)
                    throw new AttuneStartException($"{setting.Path}: not a tenant setting (a tenant has {string.Join(", ", Settings)}; " +
                        "every other setting is the deployment's)");
            }

            string name = child["Name"] ?? "";
            if (CheckName(name) is { } badName) throw new AttuneStartException($"{path}:Name: {badName}");
            foreach (var other in tenants)
                if (other.Name == name) throw new AttuneStartException($"{path}:Name: '{name}' is also {other.Path}:Name; tenants' names differ");

            string? configuredSchema = child["Schema"];
            string schema = string.IsNullOrEmpty(configuredSchema) ? name : configuredSchema;
            string schemaSetting = string.IsNullOrEmpty(configuredSchema) ? $"{path}:Name (the schema when {path}:Schema is not set)" : $"{path}:Schema";
            if (!Attune.Storage.Postgres.PostgresSchema.IsValidName(schema))
                throw new AttuneStartException($"{schemaSetting}: '{schema}' cannot name a PostgreSQL schema: lower-case letters, digits and " +
                    "underscores, at most 63, not starting with a digit or pg_");
            if (schema == deployment.Store.Schema)
                throw new AttuneStartException($"{schemaSetting}: '{schema}' is the deployment's own schema (Attune:Store:Schema): a tenant's " +
                    "data would be the default tenant's");
            foreach (var other in tenants)
                if (other.Schema == schema) throw new AttuneStartException($"{schemaSetting}: '{schema}' is also {other.Path}'s schema; each tenant has its own");

            var keySection = child.GetSection("ApiKeys");
            var keys = new List<ApiKeyOptions>();
            foreach (var k in keySection.GetChildren())
                keys.Add(k.Get<ApiKeyOptions>() ?? throw new AttuneStartException($"{k.Path}: a key is a section ({k.Path}:Key, {k.Path}:Scopes:0)"));
            if (keys.Count == 0)
                throw new AttuneStartException($"{path}:ApiKeys: tenant '{name}' has no key; its requests are chosen by key, so it needs " +
                    $"at least one (ATTUNE__TENANTS__{child.Key}__APIKEYS__0__KEY and ATTUNE__TENANTS__{child.Key}__APIKEYS__0__SCOPES__0=admin)");
            try { _ = new ApiKeyStore(keys); }
            catch (InvalidOperationException e) { throw new AttuneStartException($"{path}:ApiKeys: {e.Message}", e); }
            AddKeys(keySection, owners, check: true, firstOfThisOwner: owners.Count);

            tenants.Add(new TenantOptions
            {
                Path = path,
                Name = name,
                Schema = schema,
                ApiKeys = keys,
                UserTokenSecrets = child.GetSection("UserTokenSecrets").Get<List<string>>() ?? [],
                UserTokenSecret = child["UserTokenSecret"],
                DataDirectory = System.IO.Path.Combine(deployment.DataDirectory, "tenants", name),
            });
        }
        return tenants;
    }

    /// <summary>Null when <paramref name="name"/> is a valid tenant name, else why not.</summary>
    public static string? CheckName(string name)
    {
        if (name.Length is 0 or > MaxNameLength || name[0] is < 'a' or > 'z'
            || name.AsSpan().IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyz0123456789_") >= 0)
            return $"'{name}' is not a tenant name: 1 to {MaxNameLength.ToString(CultureInfo.InvariantCulture)} lower-case letters, digits " +
                "or underscores, starting with a letter";
        return null;
    }

    /// <summary>Adds the hashes of the keys configured under <paramref name="keys"/>; with <paramref name="check"/>, a key an
    /// earlier owner (the deployment or another tenant) has is an error naming both settings.</summary>
    private static void AddKeys(IConfigurationSection keys, List<(byte[] Hash, string Path, string Name)> owners, bool check, int firstOfThisOwner = 0)
    {
        int n = 0;
        foreach (var child in keys.GetChildren())
        {
            n++;
            if (child.Get<ApiKeyOptions>() is not { } k) continue;
            byte[]? hash = !string.IsNullOrEmpty(k.Key) ? ApiKeyStore.Hash(k.Key)
                : k.KeyHash is { Length: 64 } hex ? Convert.FromHexString(hex) : null;
            if (hash is null) continue; // the deployment's ApiKeyStore has refused it already
            string name = k.Name ?? $"key{n.ToString(CultureInfo.InvariantCulture)}";
            if (check)
            {
                for (int i = 0; i < firstOfThisOwner; i++)
                {
                    if (owners[i].Hash.AsSpan().SequenceEqual(hash))
                        throw new AttuneStartException($"{child.Path} (key '{name}') is the same key as {owners[i].Path} (key '{owners[i].Name}'): " +
                            "a key chooses the tenant its requests go to, so it belongs to one tenant only");
                }
            }
            owners.Add((hash, child.Path, name));
        }
    }
}
