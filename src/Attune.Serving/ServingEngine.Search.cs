using Attune.Serving.Pipeline;
using Attune.Serving.Search;
using Microsoft.Extensions.Logging;

namespace Attune.Serving;

/// <summary>Search suggestions (autocomplete): the past queries read at start, and the person a suggestion is for.</summary>
public sealed partial class ServingEngine
{
    /// <summary>Autocomplete from the catalog and past queries (<c>GET /v1/search/suggest</c>).</summary>
    public SearchSuggestions Suggestions { get; }

    /// <summary>Synonyms learned from people's rewordings of searches that found nothing.</summary>
    public Reformulations Reformulations { get; }

    /// <summary>Reads <see cref="ServingOptions.SynonymsFile"/>; a missing or malformed file stops the start, naming the line.</summary>
    private void LoadSynonyms()
    {
        if (Options.SynonymsFile is not { Length: > 0 } path) return;
        try
        {
            Search.LoadSynonyms(Path.GetFullPath(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            throw new InvalidOperationException($"Attune:Serving:SynonymsFile: {e.Message}", e);
        }
        _log.LogInformation("Search synonyms read from {File}: {Count} phrases", path, Search.Synonyms.Configured.Count);
    }

    /// <summary>Categories and brands of a person's history offered first, at most.</summary>
    private const int FavouredKinds = 5;

    private readonly CancellationTokenSource _stopping = new();
    private Task? _suggestionsLoad;
    private ServingState? _suggestionWeightsOf;

    /// <summary>Completes when the past queries have been read (tests; a failure was logged).</summary>
    public Task SuggestionsLoaded => _suggestionsLoad ?? Task.CompletedTask;

    private async Task LoadSuggestionsAsync()
    {
        await Task.Yield();
        try
        {
            await Suggestions.LoadAsync(_store, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested) { }
        catch (Exception e)
        {
            _log.LogWarning(e, "Past search queries could not be read: suggestions offer the catalog and new queries only");
        }
    }

    /// <summary>Completions of what <paramref name="request"/>'s person is typing, theirs first.</summary>
    public SuggestAnswer Suggest(SuggestRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var state = _models.Active;
        if (state is not null && !ReferenceEquals(state, _suggestionWeightsOf))
        {
            // Items are ranked by the model's popularity (decayed interactions).
            _suggestionWeightsOf = state;
            var popularity = state.Bundle.Popularity;
            var ids = state.Catalog.Columns.Ids;
            var weights = new List<KeyValuePair<string, double>>(popularity.Length);
            for (int j = 0; j < popularity.Length && j < ids.Length; j++)
                if (ids[j] is { } id) weights.Add(new(id, popularity[j]));
            Suggestions.Index.SetItemWeights(weights);
        }
        return Suggestions.Suggest(request, SuggestPersonOf(request, state));
    }

    private SuggestPerson SuggestPersonOf(SuggestRequest request, ServingState? state)
    {
        if (request.UserId is null && request.AnonymousId is null) return SuggestPerson.Nobody;
        var (id, anonymous) = _live.Profiles.Owner(request.UserId, request.AnonymousId);
        bool personalized = _context.ConsentOf(anonymous ? null : id).Personalization;
        if (!personalized) return SuggestPerson.Nobody;
        var categories = new HashSet<string>(StringComparer.Ordinal);
        var brands = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (state is not null)
        {
            var person = new PersonView();
            person.Load(state, _live.Profiles, id, anonymous, personalized, 0);
            var categoryCounts = new Dictionary<string, int>(StringComparer.Ordinal);
            var brandCounts = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            var items = state.Catalog.Columns.Items;
            foreach (int j in person.History)
            {
                if ((uint)j >= (uint)items.Length || items[j] is not { } item) continue;
                if (item.Categories is [var c, ..]) categoryCounts[c] = categoryCounts.GetValueOrDefault(c) + 1;
                if (item.Brand is { } b) brandCounts[b] = brandCounts.GetValueOrDefault(b) + 1;
            }
            foreach (var (c, _) in categoryCounts.OrderByDescending(kv => kv.Value).Take(FavouredKinds)) categories.Add(c);
            foreach (var (b, _) in brandCounts.OrderByDescending(kv => kv.Value).Take(FavouredKinds)) brands.Add(b);
        }
        return new SuggestPerson(id, true, categories, brands);
    }
}
