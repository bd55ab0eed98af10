using System.Globalization;
using System.Text;
using System.Text.Json;
using Attune.Decisions.Learning;
using Attune.Decisions.Points;
using Attune.Decisions.Service;
using Attune.Model;
using Attune.Storage;

namespace Attune.Decisions.Prices;

/// <summary>A personal price: the price to show, the list price, the day's bounds and points, and the decision's event id.</summary>
public sealed record PriceDecision(string EventId, string ItemId, double Price, double ListPrice, double Level, IReadOnlyList<double> Points,
    double Probability, string Rule)
{
    /// <summary>The experiment (or <c>holdout</c>) the person is in at the price point, and their variant; null when none.</summary>
    public string? Experiment { get; init; }
    public string? Variant { get; init; }
}

/// <summary>One audited price decision: who saw which price, when, with what probability, by which policy, and what happened.</summary>
public sealed record PriceAudit(string EventId, string? Person, bool Anonymous, DateTimeOffset At, string ItemId, double Price, double ListPrice,
    double Level, double Probability, string? Policy, double? Reward, string? Outcome);

/// <summary>
/// Personal prices within guardrails (docs/decisions.md, "Prices"): the item's rule (<see cref="PriceRule"/>), its price
/// level for the day (moved from the day before towards the point that earned most, by at most the daily change; kept as a
/// document of kind <see cref="LevelKind"/>), the day's points from <see cref="PriceGuard"/>, and the <see cref="Point"/>
/// decision point choosing among them (Thompson sampling by default). Every price decision is in the decision log: the audit.
/// </summary>
public sealed class PriceDesk(IAttuneStore store, DecisionService decisions, TimeProvider time, IReadOnlySet<string>? protectedAttributes = null)
{
    public const string Point = "price";
    public const string LevelKind = "price-level";

    private readonly IReadOnlySet<string> _protected = protectedAttributes ?? new HashSet<string>(StringComparer.Ordinal);
    private readonly SemaphoreSlim _levels = new(1, 1);

    /// <summary>The rules by id, loaded at start and after every change (<see cref="LoadRulesAsync"/>), not per decision.</summary>
    private volatile IReadOnlyDictionary<string, PriceRule> _rules = new Dictionary<string, PriceRule>();
    /// <summary>Each item's level for the day it was computed on: read from the store once per item and day.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, StoredLevel> _today = new(StringComparer.Ordinal);

    public IReadOnlyList<PriceRule> Rules => [.. _rules.Values.OrderBy(r => r.Id, StringComparer.Ordinal)];

    /// <summary>(Re)reads the rules (at start, after a change here, and when another writer changes them: the change feed).</summary>
    public async Task LoadRulesAsync(CancellationToken ct = default)
    {
        var rules = new Dictionary<string, PriceRule>(StringComparer.Ordinal);
        foreach (var doc in await store.ListDocumentsAsync(PriceRule.DocumentKind, ct).ConfigureAwait(false))
            if (JsonSerializer.Deserialize<PriceRule>(doc.Json, AttuneJson.Options) is { } r) rules[r.Id] = r;
        _rules = rules;
    }

    public async Task<PriceRule> PutRuleAsync(PriceRule rule, CancellationToken ct = default)
    {
        var stored = rule with { Version = (_rules.GetValueOrDefault(rule.Id)?.Version ?? 0) + 1, UpdatedAt = time.GetUtcNow() };
        await store.PutDocumentAsync(PriceRule.DocumentKind, rule.Id, JsonSerializer.Serialize(stored, AttuneJson.Options), ct).ConfigureAwait(false);
        await LoadRulesAsync(ct).ConfigureAwait(false);
        return stored;
    }

    public async Task<bool> DeleteRuleAsync(string id, CancellationToken ct = default)
    {
        bool deleted = await store.DeleteDocumentAsync(PriceRule.DocumentKind, id, ct).ConfigureAwait(false);
        await LoadRulesAsync(ct).ConfigureAwait(false);
        return deleted;
    }

    /// <summary>Chooses the price of <paramref name="itemId"/> for a person: one of the day's points, all inside the guardrails.</summary>
    /// <exception cref="DecisionException">The item has no list price (400, <c>itemId</c>).</exception>
    public async Task<PriceDecision> DecideAsync(string itemId, string? userId, string? anonymousId, JsonElement context, string? eventId, CancellationToken ct = default)
    {
        var rules = _rules;
        var rule = rules.GetValueOrDefault(itemId) ?? rules.GetValueOrDefault(PriceRule.Default) ?? new PriceRule { Id = PriceRule.Default };
        var item = await store.GetItemAsync(itemId, ct).ConfigureAwait(false);
        double list = rule.ListPrice ?? item?.Price ?? throw new DecisionException("itemId",
            $"item '{itemId}' has no list price: give the catalog item a price, or its price rule a listPrice");
        if (list <= 0) throw new DecisionException("itemId", $"item '{itemId}' has no positive list price");
        double level = await LevelAsync(itemId, rule, list, ct).ConfigureAwait(false);
        var points = PriceGuard.Points(rule, list, level);
        await EnsurePointAsync(ct).ConfigureAwait(false);

        var actions = new List<DecisionAction>(points.Length);
        for (int i = 0; i < points.Length; i++)
            actions.Add(new DecisionAction("level-" + i.ToString(CultureInfo.InvariantCulture), JsonSerializer.SerializeToElement(PriceFeatures.Json(points[i], list)),
                Worth: Math.Clamp(Math.Round(points[i] / list, 6), 1e-6, 1)));
        using var doc = JsonDocument.Parse(DecisionContext(context, itemId, item?.Categories, list, level, points, rule.Id));
        // The control (an experiment's control variant, the global holdout) sees the day's level: the point nearest to it,
        // the same for everyone, inside every guardrail.
        int nearest = 0;
        for (int i = 1; i < points.Length; i++) if (Math.Abs(points[i] - level) < Math.Abs(points[nearest] - level)) nearest = i;
        var result = await decisions.RankAsync(new RankInput(Point, doc.RootElement, userId, anonymousId, actions, new HashSet<string>(), eventId,
            DeferActivation: false, Protected: _protected, ControlAction: "level-" + nearest.ToString(CultureInfo.InvariantCulture)), ct).ConfigureAwait(false);
        var slot = result.Slots[0];
        int chosen = int.Parse(slot.ChosenId.AsSpan("level-".Length), CultureInfo.InvariantCulture);
        return new PriceDecision(result.EventId, itemId, points[chosen], list, level, points, slot.Ranking[0].Probability, rule.Id)
        {
            Experiment = result.Experiment,
            Variant = result.Variant,
        };
    }

    /// <summary>Records whether the person bought at the price: the reward is the revenue as a share of the list price.</summary>
    public async Task<(double? Reward, RewardOutcome Result)> RecordOutcomeAsync(string eventId, bool purchased, CancellationToken ct = default)
    {
        var logged = await store.GetDecisionAsync(eventId, ct).ConfigureAwait(false);
        if (logged is null || logged.Decision.Point != Point) return (null, RewardOutcome.UnknownEvent);
        var (price, list, _, _) = Read(logged.Decision);
        double reward = purchased ? Math.Clamp(price / list, 0, 1) : 0;
        string detail = JsonSerializer.Serialize(new { purchased, price, listPrice = list }, AttuneJson.Options);
        var result = await decisions.RewardAsync([new DecisionReward(eventId, "", reward, detail)], ct).ConfigureAwait(false);
        return (reward, result[0]);
    }

    /// <summary>Every price decision of an item in the window: who saw which price, when, why (probability, policy), what happened.</summary>
    public async Task<IReadOnlyList<PriceAudit>> AuditAsync(string itemId, long fromMs, long toMs, CancellationToken ct = default)
    {
        var audit = new List<PriceAudit>();
        await foreach (var d in store.ReadDecisionsAsync(Point, fromMs, toMs, ct).ConfigureAwait(false))
        {
            var (price, list, level, item) = Read(d.Decision);
            if (item != itemId) continue;
            double probability;
            using (var slots = JsonDocument.Parse(d.Decision.Slots))
            {
                var slot = slots.RootElement[0];
                probability = slot.GetProperty("probabilities")[slot.GetProperty("chosen").GetInt32()].GetDouble();
            }
            audit.Add(new PriceAudit(d.Decision.EventId, d.Decision.PersonId, d.Decision.Anonymous, DateTimeOffset.FromUnixTimeMilliseconds(d.Decision.TimestampMs),
                item, price, list, level, probability, d.Decision.Policy, d.Rewards.TryGetValue("", out var r) ? r.Value : null, d.Details.GetValueOrDefault("")));
        }
        return audit;
    }

    /// <summary>The price, list price, level and item of a logged price decision (from its <c>_price</c> context).</summary>
    private static (double Price, double List, double Level, string Item) Read(DecisionRecord d)
    {
        using var context = JsonDocument.Parse(d.Context);
        using var slots = JsonDocument.Parse(d.Slots);
        var p = context.RootElement.GetProperty("context").GetProperty("_price");
        int chosen = slots.RootElement[0].GetProperty("chosen").GetInt32();
        return (p.GetProperty("points")[chosen].GetDouble(), p.GetProperty("list").GetDouble(), p.GetProperty("level").GetDouble(), p.GetProperty("item").GetString()!);
    }

    /// <summary>
    /// The item's price level today: the stored one when it is today's; else yesterday's moved towards the point that earned
    /// most per showing yesterday (at most the daily change), or the highest allowed price for an item never priced.
    /// </summary>
    private async Task<double> LevelAsync(string itemId, PriceRule rule, double list, CancellationToken ct)
    {
        string today = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        if (_today.TryGetValue(itemId, out var known) && known.Day == today) return known.Level;
        await _levels.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_today.TryGetValue(itemId, out known) && known.Day == today) return known.Level;
            var docs = await store.ListDocumentsAsync(LevelKind, ct).ConfigureAwait(false);
            var stored = docs.FirstOrDefault(d => d.Id == itemId) is { } doc ? JsonSerializer.Deserialize<StoredLevel>(doc.Json, AttuneJson.Options) : null;
            if (stored is not null && stored.Day == today)
            {
                _today[itemId] = stored;
                return stored.Level;
            }
            var (_, high) = PriceGuard.Bounds(rule, list);
            double level = high;
            if (stored is not null)
            {
                var start = DateTimeOffset.Parse(stored.Day, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
                var earned = new Dictionary<double, (double Sum, int Count)>();
                await foreach (var d in store.ReadDecisionsAsync(Point, start.ToUnixTimeMilliseconds(), start.AddDays(1).ToUnixTimeMilliseconds(), ct).ConfigureAwait(false))
                {
                    var (price, _, _, item) = Read(d.Decision);
                    if (item != itemId) continue;
                    double reward = d.Rewards.TryGetValue("", out var r) ? r.Value : 0;
                    var e = earned.GetValueOrDefault(price);
                    earned[price] = (e.Sum + reward, e.Count + 1);
                }
                double target = earned.Count == 0 ? stored.Level : earned.MaxBy(e => e.Value.Sum / e.Value.Count).Key;
                level = PriceGuard.NextAnchor(rule, list, stored.Level, target);
            }
            var next = new StoredLevel(today, level);
            await store.PutDocumentAsync(LevelKind, itemId, JsonSerializer.Serialize(next, AttuneJson.Options), ct).ConfigureAwait(false);
            _today[itemId] = next;
            return level;
        }
        finally { _levels.Release(); }
    }

    private sealed record StoredLevel(string Day, double Level);

    private string DecisionContext(JsonElement context, string itemId, IReadOnlyList<string>? categories, double list, double level, double[] points, string rule)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (context.ValueKind == JsonValueKind.Object)
                foreach (var p in context.EnumerateObject())
                    if (!_protected.Contains(p.Name) && p.Name is not ("item" or "_price")) p.WriteTo(w);
            w.WriteStartObject("item");
            w.WriteString("id", itemId);
            if (categories is { Count: > 0 }) w.WriteString("category", categories[0]);
            w.WriteEndObject();
            w.WriteStartObject("_price");
            w.WriteString("item", itemId);
            w.WriteNumber("list", list);
            w.WriteNumber("level", level);
            w.WriteString("rule", rule);
            w.WriteStartArray("points");
            foreach (double p in points) w.WriteNumberValue(p);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>The price point's learner: conversion (demand) model, otherwise the defaults.</summary>
    public static LearningSettings PriceLearning { get; } = LearningSettings.Default with { RewardModel = RewardModel.Conversion };

    /// <summary>The price point's exploration: Thompson sampling at scale 2 (the conversion model's deviations are in reward units
    /// through the demand curve's slope, smaller than a linear model's; 2 chose itself on simulation seeds 1–40).</summary>
    public static ExplorationSettings PriceExploration { get; } = new() { Algorithm = ExplorationAlgorithm.Thompson, ThompsonScale = 2 };

    private async Task EnsurePointAsync(CancellationToken ct)
    {
        if (decisions.TryGet(Point, out _)) return;
        await decisions.PutAsync(new DecisionPoint
        {
            Id = Point,
            Description = "Personal prices within guardrails (managed by /v1/prices)",
            // A demand model (the probability of buying at each price point; the reward is the price's share of the list price
            // when bought) explored by Thompson sampling measured best on the price simulation (docs/benchmarks.md).
            Settings = new DecisionSettings
            {
                RewardWaitSeconds = 86400,
                DefaultReward = 0,
                Exploration = PriceExploration,
                Learning = PriceLearning,
            },
        }, ct).ConfigureAwait(false);
    }
}
