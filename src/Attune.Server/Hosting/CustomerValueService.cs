using System.Text.Json;
using Attune.Model;
using Attune.Predictions.Clv;
using Attune.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Attune.Server.Hosting;

/// <summary>
/// Customer lifetime value for the shop: fits BG/NBD and Gamma-Gamma on every buyer's purchases (read from the store) shortly
/// after start and then every <see cref="RefitInterval"/>, and forecasts one person from their own purchases on demand (their
/// newest purchase counts at once: the person's summary is read when asked, only the parameters come from the last fit).
/// On a store several nodes share, only the trainer node fits; it publishes the fit (a document) and the others use it.
/// </summary>
public sealed class CustomerValueService(IAttuneStore store, TimeProvider time, ILogger<CustomerValueService> log) : BackgroundService
{
    public const double HorizonDays = 90;
    private static readonly int[] s_purchase = [(int)EventType.Purchase];
    private readonly SemaphoreSlim _fitting = new(1, 1);

    public TimeSpan RefitInterval { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The fit the trainer published, on a shared store (one document, <see cref="PublishedId"/>).</summary>
    public const string DocumentKind = "customer-value-model";
    public const string PublishedId = "active";
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Whether this node fits on schedule (the trainer node of a shared store; always on the embedded one).</summary>
    public Func<bool> MayTrain { get; set; } = static () => true;

    /// <summary>How often the schedule is looked at.</summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The newest fit; null until the first one (or while the shop has no buyer).</summary>
    public CustomerValueModel? Model { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try { await Task.Delay(TimeSpan.FromSeconds(5), time, stoppingToken).ConfigureAwait(false); }
        catch (OperationCanceledException) { return; }
        await TrainerSchedule.RunAsync("Fitting the customer lifetime value models", CheckInterval, RefitInterval, () => MayTrain(),
            () => Model?.FittedAt, FitAsync, LoadPublishedAsync, time, log, stoppingToken).ConfigureAwait(false);
    }

    /// <summary>Fits now on every purchase in the store (one pass over the events); null when nobody has bought yet.</summary>
    public async Task<CustomerValueModel?> FitAsync(CancellationToken ct = default)
    {
        await _fitting.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var buyers = new PurchaseSummaries();
            await foreach (var e in store.ReadEventsAsync(ct).ConfigureAwait(false))
                if (e.TypeCode == (int)EventType.Purchase) buyers.Add(e.ProfileId, e.Anonymous, e.TimestampMs, e.Value ?? 0);
            if (buyers.People == 0) return Model = null;
            var now = time.GetUtcNow();
            var model = CustomerValueModel.Fit(buyers.Build(now.ToUnixTimeMilliseconds()), now, CustomerValueModel.Holdout(buyers, now));
            log.LogInformation("Customer value fitted on {Buyers} buyers: BG/NBD {Converged}{Reason}", model.Customers,
                model.Purchases.Converged ? "converged" : "did not converge", model.Purchases.Reason is { } r ? $" ({r})" : "");
            Model = model;
            if (store is ISharedStore)
                await store.PutDocumentAsync(DocumentKind, PublishedId, JsonSerializer.Serialize(model.ToSnapshot(), s_json), ct).ConfigureAwait(false);
            return model;
        }
        finally { _fitting.Release(); }
    }

    /// <summary>Uses the fit the trainer published when it is not the one in use (the change feed calls this when it changes).</summary>
    public async Task LoadPublishedAsync(CancellationToken ct = default)
    {
        foreach (var doc in await store.ListDocumentsAsync(DocumentKind, ct).ConfigureAwait(false))
        {
            if (doc.Id != PublishedId) continue;
            try
            {
                var snapshot = JsonSerializer.Deserialize<CustomerValueModel.Snapshot>(doc.Json, s_json);
                if (snapshot is not null && snapshot.FittedAt != Model?.FittedAt) Model = CustomerValueModel.FromSnapshot(snapshot);
            }
            catch (Exception e) when (e is JsonException or FormatException)
            {
                log.LogWarning("The published customer value fit could not be read: {Message}", e.Message);
            }
        }
    }

    /// <summary>A person's forecast over the next 90 days from their purchases so far; null without a fit or a purchase.</summary>
    public async Task<CustomerForecast?> ForecastAsync(string id, bool anonymous, CancellationToken ct = default)
    {
        if (Model is not { } model) return null;
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var purchases = new List<(long, double)>();
        await foreach (var e in store.ReadProfileEventsAsync(id, anonymous, 0, now + 1, s_purchase, ct).ConfigureAwait(false))
            purchases.Add((e.TimestampMs, e.Value ?? 0));
        return PurchaseSummaries.Of(id, purchases, now) is { } summary ? model.Forecast(summary, HorizonDays) : null;
    }
}
