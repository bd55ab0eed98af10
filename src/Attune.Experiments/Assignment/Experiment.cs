namespace Attune.Experiments.Assignment;

/// <summary>
/// An experiment as the GrowthBook SDKs run it (<c>growthbook.run(experiment)</c>): who may enter (condition, prerequisites,
/// namespace or filters, coverage), how they are split (weights or explicit ranges, hash attribute, seed, hash version) and
/// how assignments stick (bucket versions). Immutable; the bucket ranges are computed once, on first use.
/// </summary>
public sealed record Experiment
{
    /// <summary>The experiment key: the default hash seed, the sticky-bucket key and what exposures are logged under.</summary>
    public required string Key { get; init; }
    /// <summary>The variation values (two or more; fewer means nobody is in the experiment).</summary>
    public required IReadOnlyList<AttributeValue> Variations { get; init; }
    /// <summary>Share of each variation, summing to 1 (±0.01); null or invalid = equal weights.</summary>
    public IReadOnlyList<double>? Weights { get; init; }
    /// <summary>Share of eligible people included, in [0, 1]. The default value is 1.</summary>
    public double? Coverage { get; init; }
    /// <summary>Targeting: only people whose attributes pass take part.</summary>
    public Condition? Condition { get; init; }
    /// <summary>Prerequisite features whose values must pass a condition.</summary>
    public IReadOnlyList<ParentCondition>? ParentConditions { get; init; }
    /// <summary>The attribute hashed into a bucket. The default value is <c>id</c>.</summary>
    public string? HashAttribute { get; init; }
    /// <summary>
    /// With sticky bucketing on: the attribute hashed when <see cref="HashAttribute"/> is empty (e.g. <c>anonymousId</c> for
    /// <c>id</c>), so the assignment made before sign-in is kept after it.
    /// </summary>
    public string? FallbackAttribute { get; init; }
    public bool DisableStickyBucketing { get; init; }
    /// <summary>Sticky assignments are kept per bucket version; raising it re-buckets everyone. The default value is 0.</summary>
    public int? BucketVersion { get; init; }
    /// <summary>People with a sticky assignment from an older bucket version than this are excluded.</summary>
    public int? MinBucketVersion { get; init; }
    /// <summary>Mutually exclusive experiments share a namespace and take disjoint slices of it. Ignored when <see cref="Filters"/> is set.</summary>
    public Namespace? Namespace { get; init; }
    /// <summary>Hash-range filters every person must pass (the newer form of namespaces).</summary>
    public IReadOnlyList<HashFilter>? Filters { get; init; }
    /// <summary>Explicit bucket ranges per variation; overrides weights and coverage.</summary>
    public IReadOnlyList<BucketRange>? Ranges { get; init; }
    /// <summary>Per variation: key (what is logged and stuck; default its index), name, passthrough.</summary>
    public IReadOnlyList<VariationMeta>? Meta { get; init; }
    public string? Name { get; init; }
    public string? Phase { get; init; }
    /// <summary>The hash seed. The default value is <see cref="Key"/>.</summary>
    public string? Seed { get; init; }
    /// <summary>1 (the original, biased) or 2. The default value is 1, as in the SDKs; new experiments should use 2.</summary>
    public int? HashVersion { get; init; }
    /// <summary>false = nobody enters (unless forced).</summary>
    public bool? Active { get; init; }
    /// <summary>Everyone included gets this variation (not hashed).</summary>
    public int? Force { get; init; }
    /// <summary>Set for a contextual-bandit rule: the leaf chosen and its weights.</summary>
    public ContextualBanditAssignment? ContextualBandit { get; init; }

    private Derived? _derived;

    /// <summary>Bucket ranges and variation keys, computed once (and again if a <c>with</c> copy changed what they depend on).</summary>
    internal Derived Computed
    {
        get
        {
            var d = _derived;
            if (d is null || !d.IsFor(this)) _derived = d = new Derived(this);
            return d;
        }
    }

    internal sealed class Derived
    {
        private readonly IReadOnlyList<AttributeValue> _variations;
        private readonly IReadOnlyList<double>? _weights;
        private readonly double? _coverage;
        private readonly IReadOnlyList<BucketRange>? _explicit;
        private readonly IReadOnlyList<VariationMeta>? _meta;
        private readonly string _key;
        private readonly int? _bucketVersion, _minBucketVersion;

        public Derived(Experiment e)
        {
            _variations = e.Variations;
            _weights = e.Weights;
            _coverage = e.Coverage;
            _explicit = e.Ranges;
            _meta = e.Meta;
            _key = e.Key;
            _bucketVersion = e.BucketVersion;
            _minBucketVersion = e.MinBucketVersion;
            StickyKey = StickyBucketing.ExperimentKey(e.Key, e.BucketVersion ?? 0);
            BlockedStickyKeys = new string[Math.Max(0, e.MinBucketVersion ?? 0)];
            for (int i = 0; i < BlockedStickyKeys.Length; i++) BlockedStickyKeys[i] = StickyBucketing.ExperimentKey(e.Key, i);
            Ranges = e.Ranges is { } r ? [.. r] : Bucketing.GetBucketRanges(e.Variations.Count, e.Coverage ?? 1, e.Weights);
            Keys = new string[e.Variations.Count];
            for (int i = 0; i < Keys.Length; i++)
            {
                string? key = e.Meta is { } m && i < m.Count ? m[i].Key : null;
                Keys[i] = string.IsNullOrEmpty(key) ? i.ToString(System.Globalization.CultureInfo.InvariantCulture) : key;
            }
        }

        public BucketRange[] Ranges { get; }
        /// <summary>Per variation: its meta key, or its index as text.</summary>
        public string[] Keys { get; }
        /// <summary>The sticky-bucket key of this bucket version (<c>key__version</c>).</summary>
        public string StickyKey { get; }
        /// <summary>The keys of the bucket versions below the minimum.</summary>
        public string[] BlockedStickyKeys { get; }

        public bool IsFor(Experiment e) => ReferenceEquals(_variations, e.Variations) && ReferenceEquals(_weights, e.Weights) &&
            _coverage == e.Coverage && ReferenceEquals(_explicit, e.Ranges) && ReferenceEquals(_meta, e.Meta) &&
            ReferenceEquals(_key, e.Key) && _bucketVersion == e.BucketVersion && _minBucketVersion == e.MinBucketVersion;
    }
}

/// <summary>What the SDK knows of one variation.</summary>
/// <param name="Key">Logged and stuck instead of the index (e.g. "control").</param>
/// <param name="Passthrough">A holdout's "let through" arm: people in it are counted but fall through to the next rule.</param>
public sealed record VariationMeta(string? Key = null, string? Name = null, bool Passthrough = false);

/// <summary>A hash-range filter: the value of <see cref="Attribute"/>, hashed with <see cref="Seed"/>, must fall in one of the ranges.</summary>
public sealed record HashFilter
{
    /// <summary>The default value is <c>id</c>.</summary>
    public string? Attribute { get; init; }
    public required string Seed { get; init; }
    public required IReadOnlyList<BucketRange> Ranges { get; init; }
    /// <summary>The default value is 2.</summary>
    public int? HashVersion { get; init; }
}

/// <summary>A prerequisite: the feature <see cref="Id"/>, evaluated for the same person, must pass <see cref="Condition"/> (over <c>{"value": …}</c>).</summary>
/// <param name="Gate">true: failing blocks the whole feature (source "prerequisite"); false: only this rule is skipped.</param>
public sealed record ParentCondition(string Id, Condition Condition, bool Gate = false);

/// <summary>The contextual-bandit leaf a person was routed to (-1 = no leaf matched: the rule's own weights).</summary>
public sealed record ContextualBanditAssignment(int LeafId, IReadOnlyList<double> VariationWeights, AttributeValue? BanditVersion);
