namespace Attune.Serving.Sources;

/// <summary>
/// The candidate sources an engine serves, by name. Recipes refer to sources by name; the pipeline by their index here
/// (per-source buffers, the two strongest sources of an item for its reasons).
/// </summary>
/// <remarks>
/// Built once before the engine starts and read-only afterwards. <see cref="CreateDefault"/> holds the shipped sources; a
/// host adds its own with <see cref="Add"/> (or, in <c>Attune.Server</c>, by registering an <see cref="ICandidateSource"/>
/// service).
/// </remarks>
public sealed class SourceRegistry
{
    /// <summary>At most this many sources (an item's strongest sources are kept as bytes).</summary>
    public const int MaxSources = 250;

    private readonly List<ICandidateSource> _sources = [];
    private readonly Dictionary<string, int> _byName = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The shipped sources: als, viewed, bought, sequence, sasrec, content, popularity, trending, new, cart, search.</summary>
    public static SourceRegistry CreateDefault() => new SourceRegistry()
        .Add(new AlsSource())
        .Add(new ViewedTogetherSource())
        .Add(new BoughtTogetherSource())
        .Add(new SequenceSource())
        .Add(new SasRecSource())
        .Add(new ContentSource())
        .Add(new PopularitySource())
        .Add(new TrendingSource())
        .Add(new NewArrivalsSource())
        .Add(new CartSource())
        .Add(new TasteSource())
        .Add(new SearchSource("search", Attune.Search.SearchMode.Hybrid))
        .Add(new SearchSource("lexical", Attune.Search.SearchMode.Lexical))
        .Add(new SearchSource("semantic", Attune.Search.SearchMode.Semantic));

    /// <summary>Registers a source; its name must be new, lower-case letters, digits, '-' or '_'.</summary>
    public SourceRegistry Add(ICandidateSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        string name = source.Name;
        if (string.IsNullOrEmpty(name) || name.Length > 64 || name.AsSpan().IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyz0123456789-_") >= 0)
            throw new ArgumentException($"source name '{name}' must be 1 to 64 lower-case letters, digits, '-' or '_'");
        if (_byName.ContainsKey(name)) throw new ArgumentException($"a source named '{name}' is already registered");
        if (_sources.Count == MaxSources) throw new ArgumentException($"at most {MaxSources} sources");
        _byName[name] = _sources.Count;
        _sources.Add(source);
        return this;
    }

    public int Count => _sources.Count;

    public ICandidateSource this[int index] => _sources[index];

    public IReadOnlyList<ICandidateSource> All => _sources;

    public IEnumerable<string> Names => _sources.Select(s => s.Name);

    /// <summary>The index of a source by name (case-insensitive), or -1.</summary>
    public int IndexOf(string name) => _byName.TryGetValue(name, out int i) ? i : -1;
}
