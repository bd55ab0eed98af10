using Attune.Serving.Recipes;
using Attune.Serving.Sources;

namespace Attune.Serving.Pipeline;

/// <summary>
/// One answer in the making, as the ranking stages see it: the blended score of every item in scope (−∞ = must not be
/// shown), then the best candidates, the chosen list and its reasons. One per thread, reused by every request on it.
/// </summary>
public sealed class RankingContext
{
    internal const byte NoSource = 255;

    internal RankingContext() { }

    public SourceContext Sources { get; } = new();
    public ServingState State => Sources.State;
    public RecommendationRequest Request => Sources.Request;
    public PersonView Person => Sources.Person;
    public CompiledScenario Scenario => Sources.Scenario;
    public int ItemCount => Sources.ItemCount;
    internal ServingContext Serving { get; set; } = null!;
    internal SourceRegistry Registry { get; set; } = null!;

    /// <summary>Blended score per item; only entries in <see cref="Scope"/> are meaningful.</summary>
    public float[] Blend { get; private set; } = [];

    /// <summary>Marks per item for restricted scenarios and rankings (allowed candidates).</summary>
    internal bool[] Allowed { get; private set; } = [];

    /// <summary>The items this answer considers: the whole catalog, or a large catalog's candidate pool.</summary>
    public ReadOnlySpan<int> Scope => Sparse ? Pool.Items : _identity.AsSpan(0, ItemCount);

    internal bool Sparse { get; set; }
    internal CandidatePool Pool { get; } = new();
    private int[] _identity = [];

    /// <summary>How many items the answer should hold.</summary>
    public int Count { get; internal set; }

    /// <summary>A ranking of the caller's candidates (<c>/v1/rank</c>): nothing else may be shown.</summary>
    public bool CandidatesOnly { get; internal set; }

    /// <summary>Items another row of the same page already shows.</summary>
    public IReadOnlySet<int>? AlsoExclude { get; internal set; }

    /// <summary>A department row: only items of this department.</summary>
    public int? Department { get; internal set; }

    /// <summary>The best candidates that passed the filter, best first (the filter + top-k stage fills it).</summary>
    public List<(int Item, float Score)> Candidates { get; } = new(256);

    /// <summary>The answer in order (diversity and pins fill it).</summary>
    public List<int> Chosen { get; } = new(64);

    /// <summary>Items placed by a pin rule.</summary>
    public HashSet<int> Pinned { get; } = [];

    /// <summary>Scratch for the guardrails: the anchors' categories.</summary>
    internal HashSet<int> AnchorCategories { get; } = [];

    /// <summary>Reasons per chosen item, in order (the explanations stage fills it; empty when not asked).</summary>
    public List<string[]> Reasons { get; } = new(64);

    /// <summary>Per chosen item, the ids of the items its reasons name (the explanations stage fills it).</summary>
    public List<string[]> ReasonItems { get; } = new(64);

    // What each source contributed: the array it scored (its buffer or a shared one), how many leading items it covers, and
    // its scale (weight / max; 0 when it said nothing).
    internal float[][] Buffers = [];
    internal float[]?[] Scored = [];
    internal int[] ScoredLength = [];
    internal float[] Scale = [];
    /// <summary>Per source index: its largest score in scope this answer (the features of a learned ranker are score / max).</summary>
    internal float[] Max = [];

    internal void Ensure(int items, int sources)
    {
        if (Scored.Length < sources)
        {
            Buffers = new float[sources][];
            Scored = new float[sources][];
            ScoredLength = new int[sources];
            Scale = new float[sources];
            Max = new float[sources];
            for (int s = 0; s < sources; s++) Buffers[s] = new float[Blend.Length];
        }
        if (Blend.Length < items)
        {
            int size = Math.Max(items, Blend.Length * 2);
            Blend = new float[size];
            Allowed = new bool[size];
            for (int s = 0; s < Buffers.Length; s++) Buffers[s] = new float[size];
        }
        if (_identity.Length < items)
        {
            _identity = new int[Math.Max(items, _identity.Length * 2)];
            for (int j = 0; j < _identity.Length; j++) _identity[j] = j;
        }
    }

    internal void Reset()
    {
        Array.Clear(Scored);
        Array.Clear(Scale);
        Array.Clear(Max);
        Array.Clear(ScoredLength);
        Candidates.Clear();
        Chosen.Clear();
        Pinned.Clear();
        Reasons.Clear();
        ReasonItems.Clear();
    }

    /// <summary>
    /// The sources that contributed most to <paramref name="item"/>'s score (registry indexes): the first, and the second when
    /// it gave at least half as much; <see cref="NoSource"/> when none did.
    /// </summary>
    public (byte First, byte Second) TopSources(int item, float secondShare = 0.5f)
    {
        byte first = NoSource, second = NoSource;
        float best = 0, next = 0;
        for (int s = 0; s < Scored.Length; s++)
        {
            if (Scored[s] is not { } values || item >= ScoredLength[s]) continue;
            float c = values[item] * Scale[s];
            if (!(c > 0)) continue;
            if (c > best) { next = best; second = first; best = c; first = (byte)s; }
            else if (c > next) { next = c; second = (byte)s; }
        }
        return (first, next >= secondShare * best ? second : NoSource);
    }
}
