using System.Net;
using Attune.Dashboard;
using Attune.Server.Apis;
using Attune.Server.Security;
using Attune.Serving;
using Attune.Serving.Sources;
using Attune.Security;
using Attune.Storage;
using Attune.Storage.Sqlite;
using Attune.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Scope = Attune.Server.Security.Scope;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Scalar.AspNetCore;

namespace Attune.Server.Hosting;

/// <summary>Builds the Attune web application: store, validation, API keys, routes, OpenAPI.</summary>
public static class AttuneHost
{
    public const string DefaultUrls = "http://127.0.0.1:5080";

    /// <summary>The name of the OpenAPI security scheme every operation that needs a key refers to.</summary>
    public const string BearerScheme = "Bearer";

    /// <summary>The standard OpenTelemetry variable: when set (e.g. <c>http://collector:4317</c>), traces are exported by OTLP
    /// (the exporter reads the other <c>OTEL_EXPORTER_OTLP_*</c> variables, e.g. the protocol, itself).</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// Opens the PostgreSQL store, waiting (with backoff, each attempt logged) for a database that is not reachable yet, while
    /// listening on <paramref name="listenWhileWaiting"/> with <c>/ready</c> 503 (<see cref="DatabaseWait"/>; a tenant's app,
    /// served in-process, passes none). The start fails with one clear line when it stays unreachable, its credentials are
    /// refused, or its schema is from a newer Attune.
    /// </summary>
    private static IAttuneStore OpenPostgres(string connection, StoreOptions store, FieldCipher? cipher, TimeProvider time, ILogger log,
        string[]? listenWhileWaiting)
    {
        try
        {
            if (listenWhileWaiting is not null)
                DatabaseWait.WaitAsync(connection, listenWhileWaiting, TimeSpan.FromSeconds(Math.Max(1, store.ConnectTimeoutSeconds)), time, log)
                    .GetAwaiter().GetResult();
            return Attune.Storage.Postgres.PostgresStore.OpenAsync(new Attune.Storage.Postgres.PostgresStoreOptions
            {
                ConnectionString = connection,
                Schema = store.Schema,
                ConnectTimeout = TimeSpan.FromSeconds(Math.Max(1, store.ConnectTimeoutSeconds)),
            }, time, log, cipher).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException or Npgsql.NpgsqlException)
        {
            throw new AttuneStartException($"Attune:Store:Postgres: {e.Message}", e);
        }
    }

    /// <summary>
    /// Creates the application. <paramref name="urls"/> and <paramref name="dataDirectory"/> override configuration when given.
    /// Throws <see cref="AttuneStartException"/> when the configuration is unsafe (no keys on a public address) or invalid, or
    /// when another process owns the data folder.
    /// </summary>
    public static WebApplication Build(string[] args, string? urls = null, string? dataDirectory = null,
        IEnumerable<KeyValuePair<string, string?>>? settings = null, Action<WebApplicationBuilder>? configure = null) =>
        Build(args, urls, dataDirectory, settings, configure, tenant: null);

    /// <summary>
    /// Creates the deployment's application (<paramref name="tenant"/> null) with its tenants (<c>Attune:Tenants</c>, see
    /// <see cref="Tenants"/>), or one tenant's: the same application over the same configuration, with the tenant's keys,
    /// folder, schema and user-token secrets, served in-process behind the deployment's listener.
    /// </summary>
    internal static WebApplication Build(string[] args, string? urls, string? dataDirectory,
        IEnumerable<KeyValuePair<string, string?>>? settings, Action<WebApplicationBuilder>? configure, TenantOptions? tenant)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args });
        builder.Configuration.AddEnvironmentVariables();
        var settingList = settings?.ToList(); // read again for each tenant
        if (settingList is not null) builder.Configuration.AddInMemoryCollection(settingList);
        urls ??= builder.Configuration["urls"] ?? DefaultUrls;
        string[] addresses = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        builder.WebHost.UseUrls(addresses);
        builder.Logging.SetMinimumLevel(LogLevel.Warning).AddFilter("Attune", LogLevel.Information)
            .AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);

        var options = builder.Configuration.GetSection(AttuneOptions.Section).Get<AttuneOptions>() ?? new AttuneOptions();
        if (dataDirectory is not null) options.DataDirectory = dataDirectory;
        tenant?.ApplyTo(options);
        if (options.MaxRequestBodyBytes < 1024) throw new AttuneStartException("Attune:MaxRequestBodyBytes must be at least 1024");

        ApiKeyStore keys;
        IReadOnlyList<string> tokenSecrets;
        try
        {
            keys = new ApiKeyStore(options.ApiKeys);
            tokenSecrets = UserTokens.FromSettings(options.UserTokenSecrets, options.UserTokenSecret);
            _ = new UserTokens(tokenSecrets, TimeProvider.System); // checks them now: a bad secret stops the start
        }
        catch (InvalidOperationException e) { throw new AttuneStartException(e.Message); }
        // The deployment's tenants, checked before anything is opened (a tenant's own app has none).
        var tenants = tenant is null ? TenantOptions.Read(builder.Configuration, options) : [];
        FieldCipher? cipher;
        try { cipher = FieldCipher.FromOptions(options.Encryption); }
        catch (EncryptionKeyException e) { throw new AttuneStartException(e.Message, e); }

        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes + 1);
        builder.Services.AddSingleton(Options.Create(options));
        builder.Services.AddSingleton(keys);
        builder.Services.AddSingleton(sp => new UserTokens(tokenSecrets, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<KeyBook>();
        builder.Services.AddSingleton<Tenants>(); // empty without tenants: /ready asks it
        if (tenants.Count > 0) builder.Services.AddHostedService(sp => sp.GetRequiredService<Tenants>());
        builder.Services.AddSingleton(_ => new AuthLimits(options)); // made by the container, so disposed with it (timers)
        builder.Services.AddSingleton<LoopbackGuard>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LoopbackGuard>());
        builder.Services.AddSingleton<CustomerValueService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CustomerValueService>());
        builder.Services.AddSingleton(builder.Configuration.GetSection(PredictionOptions.Section).Get<PredictionOptions>() ?? new PredictionOptions());
        builder.Services.AddSingleton<PropensityService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PropensityService>());
        builder.Services.AddSingleton<SegmentService>();
        builder.Services.AddSingleton<RankerService>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => new RecordReader(sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<IAttuneStore>(sp => options.Store.Postgres is { Length: > 0 } postgres
            ? OpenPostgres(postgres, options.Store, cipher, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("Attune.Storage"),
                tenant is null ? addresses : null)
            : SqliteStore.Open(
                new SqliteStoreOptions { DataDirectory = options.DataDirectory, FullSync = options.FullSync, Owner = "attune serve", OwnerUrl = urls, Cipher = cipher },
                sp.GetRequiredService<TimeProvider>()));
        // Encryption at rest: says at start whether it is on, and moves values to the active key in the background (rotation).
        builder.Services.AddHostedService(sp => new EncryptionRotation(sp.GetRequiredService<IAttuneStore>() as SqliteStore, cipher,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("Attune.Encryption")));
        var serving = builder.Configuration.GetSection(ServingOptions.Section).Get<ServingOptions>() ?? new ServingOptions();
        // Each tenant's engine has its own meter, so each app's /metrics shows its own numbers (exporters listen by name).
        string meterName = tenant?.MeterName ?? ServingEngine.MeterName;
        builder.Services.AddSingleton(serving);
        // Candidate sources: the shipped ones, then any ICandidateSource a host registers (one class, one registration).
        builder.Services.AddSingleton(sp =>
        {
            var registry = SourceRegistry.CreateDefault();
            foreach (var source in sp.GetServices<ICandidateSource>()) registry.Add(source);
            return registry;
        });
        builder.Services.AddSingleton(sp => new ServingEngine(sp.GetRequiredService<IAttuneStore>(), serving, options.DataDirectory,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("Attune.Serving"), sp.GetRequiredService<SourceRegistry>(),
            time: sp.GetRequiredService<TimeProvider>(), meterName: meterName));
        builder.Services.AddSingleton<AttuneServices>();
        builder.Services.AddSingleton(_ => VariantModel.Create(options.Variants));
        builder.Services.AddSingleton(sp => new Attune.Decisions.Prices.PriceDesk(sp.GetRequiredService<IAttuneStore>(),
            sp.GetRequiredService<Attune.Decisions.Service.DecisionService>(), sp.GetRequiredService<TimeProvider>(),
            new HashSet<string>(options.ProtectedAttributes, StringComparer.Ordinal)));
        builder.Services.AddSingleton(sp => new Attune.Decisions.Offers.OfferDesk(sp.GetRequiredService<IAttuneStore>(),
            sp.GetRequiredService<Attune.Decisions.Service.DecisionService>(), sp.GetRequiredService<TimeProvider>(),
            new HashSet<string>(options.ProtectedAttributes, StringComparer.Ordinal)));
        builder.Services.AddSingleton(sp =>
        {
            var store = sp.GetRequiredService<IAttuneStore>();
            Attune.Experiments.Running.ExperimentRouter? router = null;
            return new Attune.Decisions.Service.DecisionService(store, Path.Combine(options.DataDirectory, "decisions"),
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("Attune.Decisions"))
            {
                // A user's record joins the context when their consent allows personalization; without analytics consent their
                // decisions are logged under no id.
                People = async (id, ct) => await store.GetUserAsync(id, ct) is { } user
                    ? new Attune.Decisions.Service.PersonFacts(user.Attributes, user.Consent?.Personalization ?? true, user.Consent?.Analytics ?? true)
                    : null,
                // Customer value as numeric features (log(1 + x) for the unbounded ones), for people who have bought.
                // Customer value as numeric features (log(1 + x) for the unbounded ones), for people who have bought; the
                // propensity models' probabilities (predictions.purchase7d …) for the people each model speaks about.
                Predictions = async (id, anonymous, ct) =>
                {
                    var features = new List<Attune.Decisions.Service.Prediction>();
                    if (await sp.GetRequiredService<CustomerValueService>().ForecastAsync(id, anonymous, ct) is { } f)
                        features.AddRange([new("clv.palive", f.ProbabilityAlive), new("clv.purchases90d", Math.Log(1 + f.ExpectedPurchases)),
                            new("clv.value90d", Math.Log(1 + f.ExpectedValue))]);
                    var propensity = sp.GetRequiredService<PropensityService>();
                    if (await propensity.GetAsync(id, anonymous, ct) is { } scores)
                        foreach (var (name, probability) in propensity.Named(scores)) features.Add(new(name, probability));
                    foreach (var segment in sp.GetRequiredService<SegmentService>().SegmentsOf(id, anonymous)) features.Add(new("segment." + segment, 1));
                    return features.Count > 0 ? features : null;
                },
                // Experiments on decision points and the global holdout: the same router (and sticky assignments) as answers.
                Route = request => (router ??= sp.GetRequiredService<Attune.Serving.ServingEngine>().Router).Route(request),
            };
        });
        builder.Services.ConfigureHttpJsonOptions(j =>
        {
            j.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
            j.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        });
        builder.Services.AddProblemDetails();
        // The console (server-side Blazor): its assets come from the packages' static web assets (the build's manifest;
        // a published app has them under wwwroot).
        builder.WebHost.UseStaticWebAssets();
        builder.Services.AddAttuneConsole();
        builder.Services.AddSingleton<ConsoleKeys>();
        builder.Services.AddSingleton<Attune.Dashboard.Access.IConsoleKeys>(sp => sp.GetRequiredService<ConsoleKeys>());
        builder.Services.AddSingleton<Attune.Dashboard.Access.IConsoleKeyBook>(sp => sp.GetRequiredService<ConsoleKeys>());
        // Metrics: the engine's meter (answers per scenario, training, model quality, feed lag, log drops), ASP.NET Core's
        // (request rate and latency per route) and the runtime's, scraped by Prometheus at /metrics.
        var telemetry = builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(meterName)
            .AddAspNetCoreInstrumentation()
            .AddRuntimeInstrumentation()
            .AddPrometheusExporter());
        // Traces: the engine's spans (answers with scenario, recipe, count and model version; training) under ASP.NET Core's
        // request spans, exported by OTLP, and only when an endpoint is configured: without a tracer nothing listens to the
        // sources, so each request pays a null check and no span is made.
        // A tenant's app adds none: the sources are the process's, so the default app's tracer already sees the tenants' spans.
        if (tenant is null && !string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointVariable]))
        {
            telemetry.WithTracing(t => t
                .AddSource(ServingEngine.ActivitySourceName)
                .AddAspNetCoreInstrumentation(o => o.Filter = c => !c.Request.Path.StartsWithSegments("/metrics"))
                .AddOtlpExporter());
        }
        builder.Services.AddOpenApi(o => o
            .AddDocumentTransformer((doc, _, _) =>
            {
                doc.Info.Title = "Attune API";
                doc.Info.Description = "Events, catalog, users and unified profiles. Authenticate with 'Authorization: Bearer KEY'.";
                // The Bearer scheme, so the explorer (/scalar/v1) can send a key; each operation that needs one says so below.
                doc.Components ??= new OpenApiComponents();
                doc.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                doc.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "An Attune API key (Attune:ApiKeys, POST /v1/keys or the console's Settings). A server with no key " +
                        "(loopback only) needs none.",
                };
                return Task.CompletedTask;
            })
            .AddOperationTransformer((operation, context, _) =>
            {
                if (context.Description.ActionDescriptor.EndpointMetadata.OfType<RequiredScope>().LastOrDefault() is { } required)
                {
                    operation.Security ??= [];
                    operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] });
                    operation.Description = (operation.Description is { Length: > 0 } d ? d + " " : "") +
                        $"Needs a key with the {required.Describe()}.";
                }
                return Task.CompletedTask;
            }));
        configure?.Invoke(builder);

        var app = builder.Build();
        // Open the store now: a folder another process owns must stop the start here, with its owner named, not fail later.
        try { app.Services.GetRequiredService<IAttuneStore>(); }
        catch (AttuneStartException)
        {
            // The PostgreSQL store said why (unreachable, refused, newer schema) in one line already.
            app.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
        catch (DataFolderInUseException e)
        {
            app.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw new AttuneStartException(e.Message, e);
        }
        catch (EncryptionKeyException e)
        {
            // Values under a key the configuration lacks: name the key, no stack trace.
            app.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw new AttuneStartException(e.Message, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Data.Common.DbException or InvalidOperationException)
        {
            // A --data that is a file, unwritable, or holds something that is not an Attune store: one line, not a stack trace.
            app.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw new AttuneStartException(File.Exists(options.DataDirectory)
                ? $"--data {options.DataDirectory} is a file; give a folder (it is created when missing)"
                : $"--data {options.DataDirectory}: {e.Message}", e);
        }
        // Keys stored in the database count as much as configured ones: with none of either, serve on loopback only.
        var keyBook = app.Services.GetRequiredService<KeyBook>();
        keyBook.LoadAsync().GetAwaiter().GetResult();
        app.Services.GetRequiredService<UserTokens>().LoadAsync(app.Services.GetRequiredService<IAttuneStore>(), app.Logger).GetAwaiter().GetResult();
        // A first check on the configured URLs stops the plain case before binding; LoopbackGuard checks what was actually bound
        // (Kestrel:Endpoints in configuration overrides these URLs).
        if (keys.IsEmpty && !AllLoopback(urls))
        {
            app.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw new AttuneStartException(
                $"refusing to serve {urls} without API keys: anyone on the network could read and write. Configure keys " +
                "(Attune:ApiKeys, or ATTUNE__APIKEYS__0__KEY and ATTUNE__APIKEYS__0__SCOPES__0=admin), create one on loopback " +
                "(POST /v1/keys or the console's Settings), or bind to 127.0.0.1.");
        }
        // The engine compiles the configured scenarios into the default recipe: a bad one stops the start, naming the setting.
        ServingEngine engine;
        try { engine = app.Services.GetRequiredService<ServingEngine>(); }
        catch (ArgumentException e)
        {
            app.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw new AttuneStartException($"{ServingOptions.Section}:Scenarios: {e.Message}", e);
        }
        // Keys written by anyone else (later another node) reach this one through the store's change feed.
        engine.FollowDocuments(KeyBook.Kind, keyBook.LoadAsync);
        // Decision points and their learners (newest checkpoint + the rewards logged after it) before the first request.
        var decisions = app.Services.GetRequiredService<Attune.Decisions.Service.DecisionService>();
        var offers = app.Services.GetRequiredService<Attune.Decisions.Offers.OfferDesk>();
        offers.StartAsync().GetAwaiter().GetResult(); // subscribes to learned rewards before the decisions replay them
        decisions.StartAsync().GetAwaiter().GetResult();
        // A user's consent or record changed, or they were erased: what ranks cached of them goes before the write's answer.
        engine.UserChanged += decisions.ForgetPerson;
        // Experiments' targeting sees a buyer's customer value (clv.palive, clv.purchases90d, clv.value90d).
        var customerValue = app.Services.GetRequiredService<CustomerValueService>();
        customerValue.MayTrain = () => engine.IsTrainer; // the other nodes use the trainer's fit (followed across nodes)
        engine.FollowDocuments(CustomerValueService.DocumentKind, customerValue.LoadPublishedAsync);
        // Experiments' targeting sees the propensity scores held for the person (predictions.purchase7d …; no I/O).
        var propensityScores = app.Services.GetRequiredService<PropensityService>();
        engine.PersonPredictions = user =>
        {
            var values = new Dictionary<string, double>(StringComparer.Ordinal);
            if (customerValue.ForecastAsync(user, anonymous: false).GetAwaiter().GetResult() is { } f)
            {
                values["clv.palive"] = f.ProbabilityAlive;
                values["clv.purchases90d"] = f.ExpectedPurchases;
                values["clv.value90d"] = f.ExpectedValue;
            }
            if (propensityScores.Peek(user, anonymous: false) is { } scores)
                foreach (var (name, probability) in propensityScores.Named(scores)) values[name] = probability;
            return values.Count > 0 ? values : null;
        };
        // Propensity scores follow each person's new events (from the change feed, whoever wrote them).
        var propensity = app.Services.GetRequiredService<PropensityService>();
        engine.EventApplied += propensity.Observe;
        engine.Linked += propensity.Linked;
        engine.UserErased += propensity.Forget;
        // Only the trainer node trains them on schedule; the others serve the models it publishes (followed across nodes).
        propensity.MayTrain = () => engine.IsTrainer;
        engine.FollowDocuments(PropensityService.ScorerDocumentKind, propensity.LoadPublishedAsync);
        // Segments: stored definitions (followed across nodes), memberships from the held scores, clusters after a new model.
        var segments = app.Services.GetRequiredService<SegmentService>();
        segments.LoadAsync().GetAwaiter().GetResult();
        engine.FollowDocuments(SegmentService.DocumentKind, segments.LoadAsync);
        engine.PersonSegments = segments.SegmentsOf;
        engine.SegmentRecipe = segments.RecipeOf;
        // Learned rankers (trained from the recommendation log) that recipes name, followed across nodes.
        var rankers = app.Services.GetRequiredService<RankerService>();
        rankers.LoadAsync().GetAwaiter().GetResult();
        engine.FollowDocuments(RankerService.DocumentKind, rankers.LoadAsync);
        engine.Rankers = rankers.Ranker;
        propensity.ScoredEveryone += () =>
        {
            if (segments.ClustersStale(engine.ActiveVersion))
                _ = Task.Run(async () =>
                {
                    try { await segments.ClusterAsync(); }
                    catch (Exception e) { app.Logger.LogWarning(e, "Clustering people by taste failed"); }
                });
        };
        engine.FollowDocuments(Attune.Decisions.Offers.Offer.DocumentKind, offers.LoadAsync);
        var prices = app.Services.GetRequiredService<Attune.Decisions.Prices.PriceDesk>();
        prices.LoadRulesAsync().GetAwaiter().GetResult();
        engine.FollowDocuments(Attune.Decisions.Prices.PriceRule.DocumentKind, prices.LoadRulesAsync);
        app.Lifetime.ApplicationStopping.Register(decisions.Stop);
        if (tenants.Count > 0)
        {
            // Each tenant: this same application over the same settings, its own keys, folder and schema; served in-process.
            var logs = app.Services.GetRequiredService<ILoggerFactory>();
            try
            {
                app.Services.GetRequiredService<Tenants>().Open(tenants, t => Build(args, urls, t.DataDirectory, settingList, b =>
                {
                    configure?.Invoke(b);
                    Tenants.Configure(b, t, logs);
                }, t));
            }
            catch (AttuneStartException)
            {
                app.DisposeAsync().AsTask().GetAwaiter().GetResult();
                throw;
            }
            // First: a tenant's request must not meet the default app's limits, CORS or key check.
            app.UseMiddleware<TenantRouter>();
        }
        app.UseExceptionHandler(e => e.Run(context =>
        {
            var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            if (error is BadHttpRequestException bad)
                return Problems.Write(context, bad.StatusCode, "Bad request", bad.Message);
            if (error is Attune.Storage.StoreUnavailableException or System.Data.Common.DbException { IsTransient: true })
            {
                // The database is away (PostgreSQL restarting): nothing of the request was stored; the client tries again.
                app.Logger.LogWarning("{Path}: {Message}", context.Request.Path, error.Message);
                context.Response.Headers.RetryAfter = "5";
                return Problems.Write(context, StatusCodes.Status503ServiceUnavailable, "Store unavailable",
                    "The database cannot be reached; nothing of this request was stored. Try again in a few seconds.");
            }
            app.Logger.LogError(error, "Unhandled error on {Path}", context.Request.Path);
            return Problems.Write(context, StatusCodes.Status500InternalServerError, "Internal error", "The error was logged.");
        }));
        app.UseStatusCodePages(async ctx =>
        {
            var r = ctx.HttpContext.Response;
            if (r.ContentType is null)
                await Problems.Write(ctx.HttpContext, r.StatusCode, ReasonPhrases(r.StatusCode), $"{ctx.HttpContext.Request.Method} {ctx.HttpContext.Request.Path}");
        });
        app.UseMiddleware<KeyCorsMiddleware>();
        app.UseMiddleware<ApiKeyMiddleware>();
        app.MapOpenApi();
        app.MapScalarApiReference(o => o.WithTitle("Attune API"));
        app.MapSystemApi();
        app.MapEventsApi();
        app.MapItemsApi();
        app.MapUsersApi();
        app.MapRecommendationsApi();
        app.MapSearchApi();
        app.MapSuggestApi();
        app.MapModelsApi();
        app.MapRulesApi();
        app.MapRecipesApi();
        app.MapExperimentsApi();
        app.MapFlagsApi();
        app.MapRolloutsApi();
        app.MapStatsAnalyzeApi();
        app.MapKeysApi();
        app.MapUserTokensApi();
        app.MapDecisionsApi();
        app.MapPersonalizerApi();
        app.MapOffersApi();
        app.MapPricesApi();
        app.MapPredictionsApi();
        app.MapSegmentsApi();
        app.MapRankersApi();
        app.MapSdkApi();
        app.MapPrometheusScrapingEndpoint("/metrics").WithMetadata(new RequiredScope(Scope.Viewer)).ExcludeFromDescription();
        app.UseAttuneConsole();

        var log = app.Logger;
        var guard = app.Services.GetRequiredService<LoopbackGuard>();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            if (guard.Refusal is not null) return;
            if (keys.IsEmpty)
                log.LogWarning("No API keys configured or stored: serving openly on loopback only ({Urls}). Configure Attune:ApiKeys or " +
                    "create an admin key (POST /v1/keys, or the console's Settings) before exposing it.", string.Join(";", guard.Addresses));
            else
                log.LogInformation("{Configured} API key(s) configured, {Stored} stored in the database and active", keys.Configured.Count,
                    keys.Count - keys.Configured.Count);
        });
        // Serving starts once the server listens: it may train the first model, and /ready says when it is done.
        app.Lifetime.ApplicationStarted.Register(() => _ = Task.Run(async () =>
        {
            if (guard.Refusal is not null) return;
            try { await engine.StartAsync(app.Lifetime.ApplicationStopping); }
            catch (OperationCanceledException) { }
            catch (Exception e) { log.LogError(e, "Serving could not start: recommendations stay unavailable"); }
        }));
        app.Lifetime.ApplicationStopping.Register(() => engine.DisposeAsync().AsTask().GetAwaiter().GetResult());
        app.Lifetime.ApplicationStopped.Register(() =>
            app.Services.GetRequiredService<IAttuneStore>().DisposeAsync().AsTask().GetAwaiter().GetResult());
        return app;
    }

    /// <summary>Whether every URL binds only a loopback address.</summary>
    public static bool AllLoopback(string urls)
    {
        foreach (string url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0").Replace("://+", "://0.0.0.0"), UriKind.Absolute, out var uri)) return false;
            string host = uri.Host.Trim('[', ']');
            if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) continue;
            if (!IPAddress.TryParse(host, out var ip) || !IPAddress.IsLoopback(ip)) return false;
        }
        return true;
    }

    private static string ReasonPhrases(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);
}

/// <summary>The server cannot start with this configuration; the message says why.</summary>
public sealed class AttuneStartException(string message, Exception? inner = null) : Exception(message, inner);
