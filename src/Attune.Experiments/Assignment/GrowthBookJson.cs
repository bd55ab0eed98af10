using Attune.Validation;

namespace Attune.Experiments.Assignment;

/// <summary>
/// Reads the GrowthBook SDK JSON formats (a payload, a feature, a rule, an experiment) into this library's types. Lenient by
/// default, as the SDKs are (what they ignore is ignored); given a problem list, it also reports every field that is wrong or
/// that the SDK would silently ignore, by path (<c>rules[1].weights</c>), so an admin API can refuse it.
/// </summary>
public static class GrowthBookJson
{
    private static readonly HashSet<string> s_featureFields = ["defaultValue", "rules"];
    private static readonly HashSet<string> s_ruleFields =
    [
        "id", "condition", "parentConditions", "filters", "force", "coverage", "range", "variations", "contextualVariations",
        "weights", "key", "hashAttribute", "fallbackAttribute", "disableStickyBucketing", "bucketVersion", "minBucketVersion",
        "ranges", "meta", "namespace", "seed", "name", "phase", "hashVersion", "contextualBanditRef", "type",
    ];
    private static readonly HashSet<string> s_experimentFields =
    [
        "key", "variations", "weights", "coverage", "condition", "parentConditions", "hashAttribute", "fallbackAttribute",
        "disableStickyBucketing", "bucketVersion", "minBucketVersion", "namespace", "filters", "ranges", "meta", "name", "phase",
        "seed", "hashVersion", "active", "force",
    ];

    /// <summary>Attribute names usable as hash attributes: 1 to 64 letters, digits, '_', '-', '.' or '$'.</summary>
    public static bool IsAttributeName(string name) =>
        name.Length is >= 1 and <= 64 && !name.AsSpan().ContainsAnyExcept(s_attributeChars);

    private static readonly System.Buffers.SearchValues<char> s_attributeChars =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.$");

    /// <summary>A payload: <c>{"features": {key: feature}, "savedGroups": {id: [values]}, "contextualBandits": {ref: bandit}}</c>.</summary>
    public static FeatureSet ReadPayload(in AttributeValue json, ICollection<FieldError>? problems = null)
    {
        var obj = json.AsObject ?? Attributes.Empty;
        var features = new Dictionary<string, FeatureDefinition>(StringComparer.Ordinal);
        var bandits = new Dictionary<string, ContextualBanditDefinition>(StringComparer.Ordinal);
        if (obj["contextualBandits"].AsObject is { } cbs)
        {
            foreach (var (key, value) in cbs) bandits[key] = ReadContextualBandit(value, problems, $"contextualBandits.{key}");
        }
        if (obj["features"].AsObject is { } fs)
        {
            foreach (var (key, value) in fs) features[key] = ReadFeature(value, problems, $"features.{key}");
        }
        return new FeatureSet(features, SavedGroups.FromJson(obj["savedGroups"]), bandits);
    }

    /// <summary>A feature: <c>{"defaultValue": …, "rules": [rule…]}</c>.</summary>
    /// <param name="alsoAllowed">Fields the caller reads itself (not reported as unknown).</param>
    public static FeatureDefinition ReadFeature(in AttributeValue json, ICollection<FieldError>? problems = null, string field = "",
        IReadOnlyCollection<string>? alsoAllowed = null)
    {
        var r = new Reader(problems);
        if (json.AsObject is not { } obj)
        {
            r.Problem(field, "must be an object: {\"defaultValue\": …, \"rules\": […]}");
            return new FeatureDefinition();
        }
        r.Unknown(obj, s_featureFields, field, alsoAllowed);
        var rules = new List<FeatureRule>();
        var rulesJson = obj["rules"];
        if (rulesJson.Kind == AttributeKind.Array)
        {
            var items = rulesJson.ArrayUnchecked;
            for (int i = 0; i < items.Length; i++) rules.Add(ReadRule(items[i], problems, $"{Prefix(field)}rules[{i}]"));
        }
        else if (!rulesJson.IsNull) r.Problem($"{Prefix(field)}rules", "must be an array of rules");
        return new FeatureDefinition { DefaultValue = obj["defaultValue"], Rules = rules };
    }

    /// <summary>A feature rule (force, rollout or experiment).</summary>
    public static FeatureRule ReadRule(in AttributeValue json, ICollection<FieldError>? problems = null, string field = "rule")
    {
        var r = new Reader(problems);
        if (json.AsObject is not { } o)
        {
            r.Problem(field, "must be an object");
            return new FeatureRule();
        }
        string p = Prefix(field);
        r.Unknown(o, s_ruleFields, field, null);
        bool contextual = !o["contextualVariations"].IsNull;
        var variations = r.Variations(contextual ? o["contextualVariations"] : o["variations"], p + (contextual ? "contextualVariations" : "variations"));
        AttributeValue? force = o.TryGetValue("force", out var f) ? f : (AttributeValue?)null;
        var rule = new FeatureRule
        {
            Id = r.String(o["id"], p + "id"),
            Condition = r.Condition(o, p + "condition"),
            ParentConditions = r.ParentConditions(o["parentConditions"], p + "parentConditions"),
            Filters = r.Filters(o["filters"], p + "filters"),
            Force = force,
            Coverage = r.Coverage(o["coverage"], p + "coverage"),
            Range = r.Range(o["range"], p + "range"),
            Variations = variations,
            ContextualVariations = contextual,
            Weights = r.Weights(o["weights"], p + "weights", variations?.Count),
            Key = r.String(o["key"], p + "key"),
            HashAttribute = r.AttributeName(o["hashAttribute"], p + "hashAttribute"),
            FallbackAttribute = r.AttributeName(o["fallbackAttribute"], p + "fallbackAttribute"),
            DisableStickyBucketing = r.Boolean(o["disableStickyBucketing"], p + "disableStickyBucketing"),
            BucketVersion = r.Integer(o["bucketVersion"], p + "bucketVersion"),
            MinBucketVersion = r.Integer(o["minBucketVersion"], p + "minBucketVersion"),
            Ranges = r.Ranges(o["ranges"], p + "ranges"),
            Meta = r.Meta(o["meta"], p + "meta", variations?.Count),
            Namespace = r.Namespace(o["namespace"], p + "namespace"),
            Seed = r.String(o["seed"], p + "seed"),
            Name = r.String(o["name"], p + "name"),
            Phase = r.String(o["phase"], p + "phase"),
            HashVersion = r.HashVersion(o["hashVersion"], p + "hashVersion"),
            ContextualBanditRef = r.String(o["contextualBanditRef"], p + "contextualBanditRef"),
        };
        if (force is not null && variations is not null) r.Problem(field, "has both force and variations: a rule is a force rule or an experiment rule");
        if (force is null && variations is null && rule.ParentConditions is null)
            r.Problem(field, "needs force (a value) or variations (an experiment); without either the rule is skipped");
        if (variations is not null && variations.Count < 2) r.Problem(p + "variations", "needs at least two variations");
        return rule;
    }

    /// <summary>An experiment as <c>growthbook.run</c> takes it.</summary>
    public static Experiment ReadExperiment(in AttributeValue json, ICollection<FieldError>? problems = null, string field = "experiment")
    {
        var r = new Reader(problems);
        var o = json.AsObject ?? Attributes.Empty;
        if (json.Kind != AttributeKind.Object) r.Problem(field, "must be an object");
        string p = Prefix(field);
        r.Unknown(o, s_experimentFields, field, null);
        var variations = r.Variations(o["variations"], p + "variations") ?? [];
        var force = o["force"];
        return new Experiment
        {
            Key = r.String(o["key"], p + "key") ?? "",
            Variations = variations,
            Weights = r.Weights(o["weights"], p + "weights", variations.Count),
            Coverage = r.Coverage(o["coverage"], p + "coverage"),
            Condition = r.Condition(o, p + "condition"),
            ParentConditions = r.ParentConditions(o["parentConditions"], p + "parentConditions"),
            HashAttribute = r.AttributeName(o["hashAttribute"], p + "hashAttribute"),
            FallbackAttribute = r.AttributeName(o["fallbackAttribute"], p + "fallbackAttribute"),
            DisableStickyBucketing = r.Boolean(o["disableStickyBucketing"], p + "disableStickyBucketing"),
            BucketVersion = r.Integer(o["bucketVersion"], p + "bucketVersion"),
            MinBucketVersion = r.Integer(o["minBucketVersion"], p + "minBucketVersion"),
            Namespace = r.Namespace(o["namespace"], p + "namespace"),
            Filters = r.Filters(o["filters"], p + "filters"),
            Ranges = r.Ranges(o["ranges"], p + "ranges"),
            Meta = r.Meta(o["meta"], p + "meta", variations.Count),
            Name = r.String(o["name"], p + "name"),
            Phase = r.String(o["phase"], p + "phase"),
            Seed = r.String(o["seed"], p + "seed"),
            HashVersion = r.HashVersion(o["hashVersion"], p + "hashVersion"),
            Active = o.ContainsKey("active") ? o["active"].IsTruthy : null,
            // "force" in experiment: an integer forces that variation, anything else forces "not in the experiment".
            Force = !o.ContainsKey("force") ? null : force.Kind == AttributeKind.Number && force.AsNumber == Math.Floor(force.AsNumber) ? (int)force.AsNumber : -1,
        };
    }

    /// <summary>A contextual bandit: <c>{"banditVersion": 7, "contexts": [{"leafId": 1, "condition": {…}, "weights": [1, 0]}]}</c>.</summary>
    public static ContextualBanditDefinition ReadContextualBandit(in AttributeValue json, ICollection<FieldError>? problems = null, string field = "")
    {
        var r = new Reader(problems);
        var o = json.AsObject ?? Attributes.Empty;
        var leaves = new List<ContextualBanditLeaf>();
        if (o["contexts"].Kind == AttributeKind.Array)
        {
            var items = o["contexts"].ArrayUnchecked;
            for (int i = 0; i < items.Length; i++)
            {
                var leaf = items[i].AsObject ?? Attributes.Empty;
                string lp = $"{Prefix(field)}contexts[{i}].";
                leaves.Add(new ContextualBanditLeaf(r.Integer(leaf["leafId"], lp + "leafId") ?? 0, r.Condition(leaf, lp + "condition"),
                    r.Weights(leaf["weights"], lp + "weights", null) ?? []));
            }
        }
        return new ContextualBanditDefinition(leaves, o.ContainsKey("banditVersion") ? o["banditVersion"] : (AttributeValue?)null);
    }

    private static string Prefix(string field) => field.Length == 0 ? "" : field + ".";

    private readonly struct Reader(ICollection<FieldError>? problems)
    {
        public void Problem(string field, string message) => problems?.Add(new FieldError(field, message));

        public void Unknown(Attributes obj, HashSet<string> known, string field, IReadOnlyCollection<string>? alsoAllowed)
        {
            if (problems is null) return;
            foreach (var (name, _) in obj)
            {
                if (!known.Contains(name) && alsoAllowed?.Contains(name) != true)
                    Problem(Prefix(field) + name, $"unknown field; known: {string.Join(", ", known.Concat(alsoAllowed ?? []))}");
            }
        }

        public string? String(in AttributeValue v, string field)
        {
            if (v.IsNull) return null;
            if (v.Kind != AttributeKind.String) Problem(field, "must be a string");
            return v.Kind == AttributeKind.String ? v.StringUnchecked : null;
        }

        public string? AttributeName(in AttributeValue v, string field)
        {
            string? s = String(v, field);
            if (s is not null && !IsAttributeName(s)) Problem(field, "must be an attribute name: 1 to 64 letters, digits, '_', '-', '.' or '$'");
            return string.IsNullOrEmpty(s) ? null : s;
        }

        public bool Boolean(in AttributeValue v, string field)
        {
            if (!v.IsNull && v.Kind != AttributeKind.Boolean) Problem(field, "must be true or false");
            return v.IsTruthy;
        }

        public double? Number(in AttributeValue v, string field)
        {
            if (v.IsNull) return null;
            if (v.Kind != AttributeKind.Number || !double.IsFinite(v.AsNumber))
            {
                Problem(field, "must be a number");
                return null;
            }
            return v.AsNumber;
        }

        public int? Integer(in AttributeValue v, string field)
        {
            double? d = Number(v, field);
            if (d is not { } n) return null;
            if (n != Math.Floor(n) || n < 0 || n > int.MaxValue)
            {
                Problem(field, "must be a whole number from 0");
                return null;
            }
            return (int)n;
        }

        public int? HashVersion(in AttributeValue v, string field)
        {
            int? n = Integer(v, field);
            if (n is not null and not (1 or 2)) Problem(field, "must be 1 or 2");
            return n;
        }

        public double? Coverage(in AttributeValue v, string field)
        {
            double? c = Number(v, field);
            if (c is < 0 or > 1) Problem(field, "must be between 0 and 1");
            return c;
        }

        public Condition? Condition(Attributes obj, string field)
        {
            if (!obj.TryGetValue("condition", out var c) || c.IsNull) return null;
            return problems is null ? Assignment.Condition.Compile(c) : Assignment.Condition.Compile(c, problems, field);
        }

        public IReadOnlyList<AttributeValue>? Variations(in AttributeValue v, string field)
        {
            if (v.IsNull) return null;
            if (v.Kind != AttributeKind.Array)
            {
                Problem(field, "must be an array of variation values");
                return null;
            }
            return v.ArrayUnchecked;
        }

        public IReadOnlyList<double>? Weights(in AttributeValue v, string field, int? variations)
        {
            if (v.IsNull) return null;
            if (v.Kind != AttributeKind.Array)
            {
                Problem(field, "must be an array of numbers");
                return null;
            }
            var items = v.ArrayUnchecked;
            var weights = new double[items.Length];
            for (int i = 0; i < items.Length; i++)
            {
                if (Number(items[i], $"{field}[{i}]") is { } w)
                {
                    if (w is < 0 or > 1) Problem($"{field}[{i}]", "must be between 0 and 1");
                    weights[i] = w;
                }
            }
            if (!Bucketing.SumsToOne(weights)) Problem(field, $"must sum to 1 (they sum to {weights.Sum():0.####})");
            if (variations is { } n && weights.Length != n) Problem(field, $"must have one weight per variation ({n})");
            return weights;
        }

        public BucketRange? Range(in AttributeValue v, string field)
        {
            if (v.IsNull) return null;
            var items = v.AsArray;
            if (v.Kind != AttributeKind.Array || items.Length != 2 || items[0].Kind != AttributeKind.Number || items[1].Kind != AttributeKind.Number)
            {
                Problem(field, "must be [start, end], two numbers");
                return null;
            }
            var range = new BucketRange(items[0].AsNumber, items[1].AsNumber);
            if (range.Start < 0 || range.End > 1 || range.Start > range.End) Problem(field, "must satisfy 0 ≤ start ≤ end ≤ 1");
            return range;
        }

        public IReadOnlyList<BucketRange>? Ranges(in AttributeValue v, string field)
        {
            if (v.IsNull) return null;
            if (v.Kind != AttributeKind.Array)
            {
                Problem(field, "must be an array of [start, end] ranges");
                return null;
            }
            var items = v.ArrayUnchecked;
            var ranges = new List<BucketRange>(items.Length);
            for (int i = 0; i < items.Length; i++) ranges.Add(Range(items[i], $"{field}[{i}]") ?? new BucketRange(0, 0));
            return ranges;
        }

        public Namespace? Namespace(in AttributeValue v, string field)
        {
            if (v.IsNull) return null;
            var items = v.AsArray;
            if (v.Kind != AttributeKind.Array || items.Length != 3 || items[0].Kind != AttributeKind.String
                || items[1].Kind != AttributeKind.Number || items[2].Kind != AttributeKind.Number)
            {
                Problem(field, "must be [namespace id, start, end]");
                return null;
            }
            return new Namespace(items[0].StringUnchecked, items[1].AsNumber, items[2].AsNumber);
        }

        public IReadOnlyList<HashFilter>? Filters(in AttributeValue v, string field)
        {
            if (v.IsNull) return null;
            if (v.Kind != AttributeKind.Array)
            {
                Problem(field, "must be an array of filters");
                return null;
            }
            var items = v.ArrayUnchecked;
            var filters = new List<HashFilter>(items.Length);
            for (int i = 0; i < items.Length; i++)
            {
                string fp = $"{field}[{i}]";
                var o = items[i].AsObject ?? Attributes.Empty;
                if (items[i].Kind != AttributeKind.Object) Problem(fp, "must be {\"seed\", \"ranges\", \"attribute\", \"hashVersion\"}");
                filters.Add(new HashFilter
                {
                    Attribute = AttributeName(o["attribute"], fp + ".attribute"),
                    Seed = String(o["seed"], fp + ".seed") ?? "",
                    Ranges = Ranges(o["ranges"], fp + ".ranges") ?? [],
                    HashVersion = HashVersion(o["hashVersion"], fp + ".hashVersion"),
                });
            }
            return filters;
        }

        public IReadOnlyList<VariationMeta>? Meta(in AttributeValue v, string field, int? variations)
        {
            if (v.IsNull) return null;
            if (v.Kind != AttributeKind.Array)
            {
                Problem(field, "must be an array of {\"key\", \"name\", \"passthrough\"}");
                return null;
            }
            var items = v.ArrayUnchecked;
            var meta = new List<VariationMeta>(items.Length);
            for (int i = 0; i < items.Length; i++)
            {
                var o = items[i].AsObject ?? Attributes.Empty;
                string mp = $"{field}[{i}]";
                meta.Add(new VariationMeta(String(o["key"], mp + ".key"), String(o["name"], mp + ".name"), o["passthrough"].IsTruthy));
            }
            if (variations is { } n && meta.Count != n) Problem(field, $"must have one entry per variation ({n})");
            return meta;
        }

        public IReadOnlyList<ParentCondition>? ParentConditions(in AttributeValue v, string field)
        {
            if (v.IsNull) return null;
            if (v.Kind != AttributeKind.Array)
            {
                Problem(field, "must be an array of {\"id\", \"condition\", \"gate\"}");
                return null;
            }
            var items = v.ArrayUnchecked;
            var list = new List<ParentCondition>(items.Length);
            for (int i = 0; i < items.Length; i++)
            {
                string pp = $"{field}[{i}]";
                var o = items[i].AsObject ?? Attributes.Empty;
                string? id = String(o["id"], pp + ".id");
                if (string.IsNullOrEmpty(id)) Problem(pp + ".id", "must name a feature");
                list.Add(new ParentCondition(id ?? "", Condition(o, pp + ".condition") ?? Assignment.Condition.Always, o["gate"].IsTruthy));
            }
            return list;
        }
    }
}
