using System.Collections.Concurrent;
using Attune.Model;
using Attune.Serving.Stages;

namespace Attune.Serving.Pipeline;

/// <summary>What the pipeline needs besides the state: settings, consent, repeat-buy categories, context lookups.</summary>
internal sealed class ServingContext(ServingOptions options)
{
    private readonly ConcurrentDictionary<string, Consent> _stated = new(StringComparer.Ordinal);
    private readonly string[] _repeatBuy = options.RepeatBuyCategories.Select(c => c.Trim('/')).Where(c => c.Length > 0).ToArray();

    public ServingOptions Options { get; } = options;

    /// <summary>The segments a person is in (user id or anonymous id, anonymous?); set by the host, null without segments.</summary>
    public Func<string, bool, IReadOnlyList<string>>? PersonSegments { get; set; }

    /// <summary>The catalog search the <c>search</c> source reads (set by the engine).</summary>
    public Search.CatalogSearch? Search { get; set; }

    /// <summary>The learned rankers by name (set by the host); a recipe naming one that is missing serves the blend's order.</summary>
    public Func<string, IItemRanker?>? Rankers { get; set; }

    /// <summary>The recipe that serves a person by their segments (id, anonymous?), or null; set by the host.</summary>
    public Func<string, bool, string?>? SegmentRecipe { get; set; }

    /// <summary>Whether the requesting person is in <paramref name="segment"/> (a rule scoped to a segment applies only then).</summary>
    public bool InSegment(RecommendationRequest request, string segment)
    {
        if (PersonSegments is not { } of) return false;
        var segments = request.UserId is { } user ? of(user, false) : request.AnonymousId is { } anon ? of(anon, true) : [];
        foreach (var s in segments) if (string.Equals(s, segment, StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary>How many users turned personalization off (among those whose consent differs from the default).</summary>
    public int OptedOutCount
    {
        get
        {
            int n = 0;
            foreach (var (_, consent) in _stated) if (!consent.Personalization) n++;
            return n;
        }
    }

    /// <summary>A person's consent: what their record states, else the deployment's default (anonymous visitors: the default).</summary>
    public Consent ConsentOf(string? userId) =>
        userId is not null && !_stated.IsEmpty && _stated.TryGetValue(userId, out var consent) ? consent : Options.DefaultConsent;

    public bool IsOptedOut(string userId) => !ConsentOf(userId).Personalization;

    /// <summary>Remembers a user's stated consent (null: none stated, the default applies); only those that differ from the default are kept.</summary>
    public void SetConsent(string userId, Consent? consent)
    {
        if (consent is null || consent == Options.DefaultConsent) _stated.TryRemove(userId, out _);
        else _stated[userId] = consent;
    }

    /// <summary>Whether an item belongs to a category people buy again (its purchase does not exclude it).</summary>
    public bool IsRepeatBuy(Item? item)
    {
        if (item is null || _repeatBuy.Length == 0) return false;
        foreach (string category in item.Categories)
        {
            foreach (string prefix in _repeatBuy)
            {
                if (category.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
                    && (category.Length == prefix.Length || category[prefix.Length] == '/'))
                    return true;
            }
        }
        return false;
    }
}
