using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Attune.Decisions.Points;
using Attune.Decisions.Service;
using Attune.Experiments.Assignment;
using Attune.Model;
using Attune.Storage;

namespace Attune.Decisions.Offers;

/// <summary>Why an offer was not among the actions of a decision.</summary>
public readonly record struct OfferExclusion(string Offer, string Reason);

/// <summary>An offer decision: the offer to show (null: none), its probability, the ranking, and why others were left out.</summary>
public sealed record OfferDecision(string EventId, Offer? Offer, double Probability, IReadOnlyList<RankedAction> Ranking, IReadOnlyList<OfferExclusion> Excluded)
{
    /// <summary>The experiment (or <c>holdout</c>) the person is in at the offer point, and their variant; null when none.</summary>
    public string? Experiment { get; init; }
    public string? Variant { get; init; }
}

/// <summary>What a purchase (or none) after an offer decision earned.</summary>
public sealed record OfferOutcome(bool Purchased, double Revenue, double Margin, string? Offer, double Cost, double Reward, bool Redeemed);

/// <summary>
/// Offers and promotions: the offers (documents), their budgets and per-person caps, and the <see cref="Point"/> decision
/// point that chooses among the eligible ones and <c>no-offer</c> with a margin-aware reward (<see cref="OfferReward"/>).
/// Redemptions are the decision log's rewards with <c>redeemed</c> in their detail: budgets are counted from the log at start
/// and from the change feed after, whichever node recorded them; per-person caps read the person's decisions.
/// </summary>
public sealed class OfferDesk
{
    /// <summary>The decision point of offers (created on first use: reward wait 3 days, default reward 0).</summary>
    public const string Point = "offer";

    /// <summary>The action that shows nothing: always there.</summary>
    public const string NoOffer = "no-offer";

    private readonly IAttuneStore _store;
    private readonly DecisionService _decisions;
    private readonly TimeProvider _time;
    private volatile IReadOnlyDictionary<string, Offer> _offers = new Dictionary<string, Offer>();
    /// <summary>Each offer's eligibility, compiled when the offers are loaded (not per decision).</summary>
    private volatile IReadOnlyDictionary<string, Condition> _eligibility = new Dictionary<string, Condition>();
    private readonly ConcurrentDictionary<string, (long Redemptions, double Spend)> _spent = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _counted = new(StringComparer.Ordinal);

    public OfferDesk(IAttuneStore store, DecisionService decisions, TimeProvider time, IReadOnlySet<string>? protectedAttributes = null)
    {
        _store = store;
        _decisions = decisions;
        _time = time;
        Protected = protectedAttributes ?? new HashSet<string>(StringComparer.Ordinal);
        decisions.RewardLearned += Count;
    }

    /// <summary>Attributes that never become features of offer decisions (the user record's and the context's top-level names).</summary>
    public IReadOnlySet<string> Protected { get; }

    public IReadOnlyCollection<Offer> Offers => [.. _offers.Values.OrderBy(o => o.Id, StringComparer.Ordinal)];

    public bool TryGet(string id, out Offer offer) => _offers.TryGetValue(id, out offer!);

    /// <summary>Redemptions and spend of an offer so far.</summary>
    public (long Redemptions, double Spend) Spent(string id) => _spent.GetValueOrDefault(id);

    /// <summary>Loads the offers and counts every redemption in the log.</summary>
    public async Task StartAsync(CancellationToken ct = default)
    {
        await LoadAsync(ct).ConfigureAwait(false);
        await foreach (var d in _store.ReadDecisionsAsync(Point, 0, long.MaxValue, ct).ConfigureAwait(false))
            if (d.Details.TryGetValue("", out var detail)) Count(d.Decision.EventId, detail);
    }

    public async Task LoadAsync(CancellationToken ct = default)
    {
        var offers = new Dictionary<string, Offer>(StringComparer.Ordinal);
        var eligibility = new Dictionary<string, Condition>(StringComparer.Ordinal);
        foreach (var doc in await _store.ListDocumentsAsync(Offer.DocumentKind, ct).ConfigureAwait(false))
        {
            if (JsonSerializer.Deserialize<Offer>(doc.Json, AttuneJson.Options) is not { } o) continue;
            offers[o.Id] = o;
            if (o.Eligibility is { } condition) eligibility[o.Id] = Condition.Compile(AttributeJson.FromElement(condition));
        }
        (_offers, _eligibility) = (offers, eligibility);
    }

    public async Task<Offer> PutAsync(Offer offer, CancellationToken ct = default)
    {
        var stored = offer with
        {
            Version = _offers.TryGetValue(offer.Id, out var old) ? old.Version + 1 : 1,
            UpdatedAt = _time.GetUtcNow(),
        };
        await _store.PutDocumentAsync(Offer.DocumentKind, offer.Id, JsonSerializer.Serialize(stored, AttuneJson.Options), ct).ConfigureAwait(false);
        await LoadAsync(ct).ConfigureAwait(false);
        return stored;
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken ct = default)
    {
        bool deleted = await _store.DeleteDocumentAsync(Offer.DocumentKind, id, ct).ConfigureAwait(false);
        await LoadAsync(ct).ConfigureAwait(false);
        return deleted;
    }

    // ---------------------------------------------------------------- deciding

    /// <summary>
    /// Chooses an offer (or none) for a person and cart: the eligible offers (active, in their time window, eligibility true,
    /// budget and per-person cap left, margin floor kept, stacking allowed) and <see cref="NoOffer"/> are ranked by the
    /// <see cref="Point"/> learner. The cart's figures are logged (not as features) so the outcome's reward can be computed.
    /// </summary>
    public async Task<OfferDecision> DecideAsync(string? userId, string? anonymousId, Cart cart, JsonElement context, string? eventId, CancellationToken ct = default)
    {
        await EnsurePointAsync(ct).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var excluded = new List<OfferExclusion>();
        var eligible = new List<Offer>();
        AttributeValue? attributes = null;
        Dictionary<string, int>? redeemedByPerson = null;
        foreach (var offer in Offers)
        {
            string? reason = null;
            var spent = Spent(offer.Id);
            double cost = offer.CostFor(cart.Value, cart.ShippingCost);
            if (offer.Paused) reason = "paused";
            else if (offer.StartsAt is { } s && now < s) reason = "not started";
            else if (offer.EndsAt is { } e && now >= e) reason = "ended";
            else if (offer.BudgetRedemptions is { } br && spent.Redemptions >= br) reason = "redemption budget spent";
            else if (offer.BudgetSpend is { } bs && spent.Spend + cost > bs) reason = "spend budget spent";
            else if (offer.MarginFloor is { } floor && (cart.Value <= 0 || (cart.Margin - cost) / cart.Value < floor)) reason = "below the margin floor";
            else if (StackingConflict(offer, cart) is { } conflict) reason = conflict;
            else if (_eligibility.TryGetValue(offer.Id, out var condition))
            {
                attributes ??= await AttributesAsync(userId, anonymousId, cart, context, ct).ConfigureAwait(false);
                if (!condition.Evaluate(attributes.Value)) reason = "not eligible";
            }
            if (reason is null && offer.PerPersonCap is { } cap && (userId ?? anonymousId) is { } person)
            {
                redeemedByPerson ??= await RedeemedByAsync(person, userId is null, ct).ConfigureAwait(false);
                if (redeemedByPerson.GetValueOrDefault(offer.Id) >= cap) reason = "per-person cap reached";
            }
            if (reason is null) eligible.Add(offer);
            else excluded.Add(new OfferExclusion(offer.Id, reason));
        }

        var actions = new List<DecisionAction> { new(NoOffer, JsonSerializer.SerializeToElement(new { kind = "none" })) };
        foreach (var o in eligible)
        {
            double depth = cart.Value > 0 ? o.CostFor(cart.Value, cart.ShippingCost) / cart.Value : 0;
            var features = new Dictionary<string, object> { ["kind"] = JsonNamingPolicy.KebabCaseLower.ConvertName(o.Kind.ToString()), ["depth"] = Math.Round(depth, 4) };
            if (o.Features is { } f && f.ValueKind == JsonValueKind.Object) features["offer"] = f;
            actions.Add(new DecisionAction(o.Id, JsonSerializer.SerializeToElement(features), o.Text));
        }

        using var contextDoc = JsonDocument.Parse(DecisionContext(context, cart));
        var result = await _decisions.RankAsync(new RankInput(Point, contextDoc.RootElement, userId, anonymousId, actions, new HashSet<string>(),
            eventId, DeferActivation: false, Protected: Protected), ct).ConfigureAwait(false);
        var slot = result.Slots[0];
        var chosen = slot.ChosenId == NoOffer ? null : _offers.GetValueOrDefault(slot.ChosenId);
        return new OfferDecision(result.EventId, chosen, slot.Ranking[0].Probability, slot.Ranking, excluded)
        {
            Experiment = result.Experiment,
            Variant = result.Variant,
        };
    }

    private static string? StackingConflict(Offer offer, Cart cart)
    {
        if (cart.AppliedOffers.Count == 0) return null;
        if (cart.AppliedOffers.Contains(offer.Id)) return "already in the cart";
        if (!offer.Stackable) return "does not stack with the cart's offers";
        return null;
    }

    /// <summary>The context ranked with: the request's (protected names removed), the cart as features (log value, items,
    /// margin rate) and the cart's figures under <c>_cart</c> (logged for the reward, not a feature).</summary>
    private string DecisionContext(JsonElement context, Cart cart)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (context.ValueKind == JsonValueKind.Object)
                foreach (var p in context.EnumerateObject())
                    if (!Protected.Contains(p.Name) && p.Name is not ("cart" or "_cart")) p.WriteTo(w);
            w.WriteStartObject("cart");
            w.WriteNumber("valueLog", Math.Round(Math.Log(1 + cart.Value), 4));
            w.WriteNumber("items", cart.Items);
            w.WriteNumber("marginRate", cart.Value > 0 ? Math.Round(cart.Margin / cart.Value, 4) : 0);
            w.WriteEndObject();
            w.WriteStartObject("_cart");
            w.WriteNumber("value", cart.Value);
            w.WriteNumber("margin", cart.Margin);
            w.WriteNumber("shippingCost", cart.ShippingCost);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private async Task<AttributeValue> AttributesAsync(string? userId, string? anonymousId, Cart cart, JsonElement context, CancellationToken ct)
    {
        var a = new Attributes(6);
        if (userId is not null) a.Set("userId", userId);
        if (anonymousId is not null) a.Set("anonymousId", anonymousId);
        var user = new Attributes();
        if (userId is not null && await _store.GetUserAsync(userId, ct).ConfigureAwait(false) is { } record)
            foreach (var (name, value) in record.Attributes) user.Set(name, value);
        a.Set("user", user);
        var c = new Attributes();
        c.Set("value", AttributeValue.FromNumber(cart.Value));
        c.Set("margin", AttributeValue.FromNumber(cart.Margin));
        c.Set("items", AttributeValue.FromNumber(cart.Items));
        a.Set("cart", c);
        a.Set("context", context.ValueKind == JsonValueKind.Object ? AttributeJson.FromElement(context) : AttributeValue.FromObject(new Attributes()));
        return AttributeValue.FromObject(a);
    }

    private async Task<Dictionary<string, int>> RedeemedByAsync(string person, bool anonymous, CancellationToken ct)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        await foreach (var d in _store.ReadPersonDecisionsAsync(Point, person, anonymous, ct).ConfigureAwait(false))
            if (d.Details.TryGetValue("", out var detail) && Redemption(detail) is { } r) counts[r.Offer] = counts.GetValueOrDefault(r.Offer) + 1;
        return counts;
    }

    private async Task EnsurePointAsync(CancellationToken ct)
    {
        if (_decisions.TryGet(Point, out _)) return;
        await _decisions.PutAsync(new DecisionPoint
        {
            Id = Point,
            Description = "Which offer to show, or none (managed by /v1/offers)",
            // No offer is what an experiment's control and the global holdout get.
            Settings = new DecisionSettings { RewardWaitSeconds = 3 * 86400, DefaultReward = 0, ControlAction = NoOffer },
        }, ct).ConfigureAwait(false);
    }

    // ---------------------------------------------------------------- outcomes

    /// <summary>
    /// Records what happened after an offer decision: the margin-aware reward (<see cref="OfferReward"/>) with the outcome as
    /// its detail; a purchase with an offer is a redemption (counted against the offer's budgets and the person's cap).
    /// Revenue and margin default to the cart's at the decision.
    /// </summary>
    public async Task<(OfferOutcome? Outcome, RewardOutcome Result)> RecordOutcomeAsync(string eventId, bool purchased, double? revenue, double? margin,
        CancellationToken ct = default)
    {
        var logged = await _store.GetDecisionAsync(eventId, ct).ConfigureAwait(false);
        if (logged is null || logged.Decision.Point != Point) return (null, RewardOutcome.UnknownEvent);
        var d = logged.Decision;
        string chosen;
        using (var slots = JsonDocument.Parse(d.Slots))
        using (var actions = JsonDocument.Parse(d.ActionSet))
            chosen = actions.RootElement[slots.RootElement[0].GetProperty("chosen").GetInt32()].GetProperty("id").GetString()!;
        double value = 0, cartMargin = 0, shipping = 0;
        using (var context = JsonDocument.Parse(d.Context))
        {
            if (context.RootElement.TryGetProperty("context", out var c) && c.TryGetProperty("_cart", out var cart))
            {
                value = cart.GetProperty("value").GetDouble();
                cartMargin = cart.GetProperty("margin").GetDouble();
                shipping = cart.GetProperty("shippingCost").GetDouble();
            }
        }
        double paid = revenue ?? value;
        double kept = margin ?? (value > 0 ? cartMargin * paid / value : 0);
        var offer = chosen == NoOffer ? null : _offers.GetValueOrDefault(chosen);
        double cost = purchased && offer is not null ? offer.CostFor(paid, shipping) : 0;
        double reward = OfferReward.Of(purchased, kept, cost, value);
        var outcome = new OfferOutcome(purchased, paid, kept, chosen == NoOffer ? null : chosen, cost, reward, purchased && chosen != NoOffer);
        string detail = JsonSerializer.Serialize(outcome, AttuneJson.Options);
        var result = await _decisions.RewardAsync([new DecisionReward(eventId, "", reward, detail)], ct).ConfigureAwait(false);
        if (result[0] == RewardOutcome.Recorded) Count(eventId, detail); // at once here; the feed brings other nodes' (counted once)
        return (outcome, result[0]);
    }

    private void Count(RewardedDecision r)
    {
        if (r.Decision.Point == Point && r.Detail is { } detail) Count(r.Decision.EventId, detail);
    }

    private void Count(string eventId, string detail)
    {
        if (Redemption(detail) is not { } r || !_counted.TryAdd(eventId, 0)) return;
        _spent.AddOrUpdate(r.Offer, (1, r.Cost), (_, s) => (s.Redemptions + 1, s.Spend + r.Cost));
    }

    private static (string Offer, double Cost)? Redemption(string detail)
    {
        using var doc = JsonDocument.Parse(detail);
        var root = doc.RootElement;
        return root.TryGetProperty("redeemed", out var redeemed) && redeemed.ValueKind == JsonValueKind.True && root.TryGetProperty("offer", out var offer)
            ? (offer.GetString()!, root.GetProperty("cost").GetDouble())
            : null;
    }
}
