namespace Attune.Experiments.Assignment;

/// <summary>
/// Feature evaluation and experiment assignment as the GrowthBook SDK spec (v5) defines them (<c>evalFeature</c> and
/// <c>runExperiment</c> in the JavaScript SDK's core.ts), step for step. Synchronous and allocation-light: an assignment
/// allocates its <see cref="ExperimentResult"/> and nothing else unless sticky bucketing or prerequisites are involved.
/// </summary>
/// <remarks>
/// Left out (browser SDK only): URL targeting (<c>urlPatterns</c>, the legacy <c>url</c> regex), redirects, visual changes,
/// <c>include</c> callbacks, legacy <c>groups</c>, per-experiment <c>overrides</c>, remote-evaluation <c>tracks</c> and the
/// tracking callbacks themselves: the caller logs an exposure when <see cref="ExperimentResult.InExperiment"/> is true.
/// </remarks>
public static class Assigner
{
    private static readonly AttributeValue s_emptyHash = AttributeValue.FromString("");

    /// <summary>Runs an experiment for the person in <paramref name="context"/> (<c>growthbook.run</c>).</summary>
    /// <param name="features">Saved groups for conditions and features for prerequisites; null = none.</param>
    public static ExperimentResult Run(Experiment experiment, EvaluationContext context, FeatureSet? features = null) =>
        RunExperiment(experiment, null, context, features ?? FeatureSet.Empty, null);

    /// <summary>A feature's value for the person in <paramref name="context"/> (<c>growthbook.evalFeature</c>).</summary>
    public static FeatureResult EvalFeature(FeatureSet features, string key, EvaluationContext context) =>
        EvalFeature(features, key, context, null);

    // ------------------------------------------------------------------------------------------------ features

    /// <summary>The features being evaluated above this one (prerequisite chains), to detect cycles.</summary>
    private sealed record Ancestors(string Id, Ancestors? Parent)
    {
        public bool Contains(string id)
        {
            for (var a = this; a is not null; a = a.Parent)
            {
                if (a.Id == id) return true;
            }
            return false;
        }
    }

    private static FeatureResult EvalFeature(FeatureSet features, string id, EvaluationContext ctx, Ancestors? ancestors)
    {
        if (ancestors is not null && ancestors.Contains(id)) return Result(AttributeValue.Null, FeatureSource.CyclicPrerequisite);
        if (ctx.ForcedFeatureValues is { } forced && forced.TryGetValue(id, out var forcedValue)) return Result(forcedValue, FeatureSource.Override);
        if (features.Get(id) is not { } feature) return Result(AttributeValue.Null, FeatureSource.UnknownFeature);

        Ancestors? self = null;
        foreach (var compiled in feature.Rules)
        {
            var rule = compiled.Rule;
            if (rule.ParentConditions is { } parents)
            {
                self ??= new Ancestors(id, ancestors);
                bool skip = false;
                foreach (var parent in parents)
                {
                    var parentResult = EvalFeature(features, parent.Id, ctx, self);
                    if (parentResult.Source == FeatureSource.CyclicPrerequisite) return Result(AttributeValue.Null, FeatureSource.CyclicPrerequisite);
                    if (!parent.Condition.Evaluate(ValueObject(parentResult.Value), features.SavedGroups))
                    {
                        if (parent.Gate) return Result(AttributeValue.Null, FeatureSource.Prerequisite);
                        skip = true;
                        break;
                    }
                }
                if (skip) continue;
            }
            if (rule.Filters is { } filters && IsFilteredOut(filters, ctx)) continue;

            if (rule.Force is { } force)
            {
                if (rule.Condition is { } condition && !condition.Evaluate(ctx.Attributes, features.SavedGroups)) continue;
                string? fallback = ctx.StickyBucketService is not null && !rule.DisableStickyBucketing ? rule.FallbackAttribute : null;
                if (!IsIncludedInRollout(ctx, compiled.ForceSeed, rule.HashAttribute, fallback, rule.Range, rule.Coverage, rule.HashVersion)) continue;
                return Result(force, FeatureSource.Force, rule.Id);
            }
            if (compiled.Experiment is not { } experiment) continue;

            BanditLeaf? leaf = null;
            if (compiled.FallbackLeaf is { } fallbackLeaf)
            {
                leaf = fallbackLeaf;
                foreach (var l in compiled.Leaves!)
                {
                    if (l.Condition is null || l.Condition.Evaluate(ctx.Attributes, features.SavedGroups))
                    {
                        leaf = l;
                        break;
                    }
                }
                experiment = leaf.Routed;
            }
            var result = RunExperiment(experiment, id, ctx, features, self ?? new Ancestors(id, ancestors));
            if (leaf is not null && !(result.HashUsed && result.InExperiment)) experiment = leaf.Plain;
            if (result.InExperiment && !result.Passthrough)
                return new FeatureResult { Value = result.Value, Source = FeatureSource.Experiment, RuleId = rule.Id ?? "", Experiment = experiment, ExperimentResult = result };
        }
        return Result(feature.DefaultValue, FeatureSource.DefaultValue);
    }

    private static FeatureResult Result(AttributeValue value, FeatureSource source, string? ruleId = null) =>
        new() { Value = value, Source = source, RuleId = ruleId ?? "" };

    /// <summary>Prerequisite conditions are evaluated over <c>{"value": parentValue}</c>.</summary>
    private static AttributeValue ValueObject(AttributeValue value) => new Attributes(1) { ["value"] = value };

    private static bool IsIncludedInRollout(EvaluationContext ctx, string seed, string? hashAttribute, string? fallback,
        BucketRange? range, double? coverage, int? hashVersion)
    {
        if (range is null && coverage is null) return true;
        if (range is null && coverage == 0) return false;
        var (_, hashValue) = GetHashAttribute(ctx, hashAttribute, fallback);
        if (!hashValue.IsTruthy) return false;
        if (Hashing.Hash(seed, hashValue, hashVersion is null or 0 ? 1 : hashVersion.Value) is not { } n) return false;
        return range is { } r ? r.Contains(n) : n <= coverage;
    }

    private static bool IsFilteredOut(IReadOnlyList<HashFilter> filters, EvaluationContext ctx)
    {
        foreach (var filter in filters)
        {
            var (_, hashValue) = GetHashAttribute(ctx, filter.Attribute, null);
            if (!hashValue.IsTruthy) return true;
            if (Hashing.Hash(filter.Seed, hashValue, filter.HashVersion is null or 0 ? 2 : filter.HashVersion.Value) is not { } n) return true;
            bool inAny = false;
            foreach (var r in filter.Ranges)
            {
                if (r.Contains(n))
                {
                    inAny = true;
                    break;
                }
            }
            if (!inAny) return true;
        }
        return false;
    }

    /// <summary>The attribute to hash and its value: <paramref name="attribute"/> (default <c>id</c>), else the fallback; "" when neither is set.</summary>
    internal static (string Attribute, AttributeValue Value) GetHashAttribute(EvaluationContext ctx, string? attribute, string? fallback)
    {
        string name = string.IsNullOrEmpty(attribute) ? "id" : attribute;
        if (ctx.Attributes.TryGetValue(name, out var value) && value.IsTruthy) return (name, value);
        if (!string.IsNullOrEmpty(fallback) && ctx.Attributes.TryGetValue(fallback, out var fb) && fb.IsTruthy) return (fallback, fb);
        return (name, s_emptyHash);
    }

    // ------------------------------------------------------------------------------------------------ experiments

    private static ExperimentResult RunExperiment(Experiment exp, string? featureId, EvaluationContext ctx, FeatureSet features, Ancestors? ancestors)
    {
        int count = exp.Variations.Count;
        // 1–2. Fewer than two variations, or a disabled context.
        if (count < 2 || !ctx.Enabled) return Outcome(exp, -1, false, featureId, ctx);
        // 3. A query-string override.
        if (ctx.Url is { Length: > 0 } url && QueryStringOverride.Get(exp.Key, url, count) is { } qs) return Outcome(exp, qs, false, featureId, ctx);
        // 4. A variation forced in the context.
        if (ctx.ForcedVariations is { } forced && forced.TryGetValue(exp.Key, out int forcedVariation))
            return Outcome(exp, forcedVariation, false, featureId, ctx);
        // 5. Inactive.
        if (exp.Active == false) return Outcome(exp, -1, false, featureId, ctx);
        // 6. The hash attribute (the fallback only with sticky bucketing).
        bool sticky = ctx.StickyBucketService is not null && !exp.DisableStickyBucketing;
        var (hashAttribute, hashValue) = GetHashAttribute(ctx, exp.HashAttribute, sticky ? exp.FallbackAttribute : null);
        if (!hashValue.IsTruthy) return Outcome(exp, -1, false, featureId, ctx);

        int assigned = -1;
        bool foundSticky = false, versionBlocked = false;
        if (sticky)
        {
            (assigned, versionBlocked) = StickyBucketing.GetVariation(ctx, exp);
            foundSticky = assigned >= 0;
        }
        if (!foundSticky)
        {
            // 7. Filters (or the older namespace).
            if (exp.Filters is { } filters)
            {
                if (IsFilteredOut(filters, ctx)) return Outcome(exp, -1, false, featureId, ctx);
            }
            else if (exp.Namespace is { } ns && !Bucketing.InNamespace(hashValue, ns)) return Outcome(exp, -1, false, featureId, ctx);
            // 8. Targeting, then prerequisites.
            if (exp.Condition is { } condition && !condition.Evaluate(ctx.Attributes, features.SavedGroups)) return Outcome(exp, -1, false, featureId, ctx);
            if (exp.ParentConditions is { } parents)
            {
                foreach (var parent in parents)
                {
                    var parentResult = EvalFeature(features, parent.Id, ctx, ancestors);
                    if (parentResult.Source == FeatureSource.CyclicPrerequisite || !parent.Condition.Evaluate(ValueObject(parentResult.Value), features.SavedGroups))
                        return Outcome(exp, -1, false, featureId, ctx);
                }
            }
        }
        // 9. The hash, and the variation whose range holds it.
        double? hash = Hashing.Hash(string.IsNullOrEmpty(exp.Seed) ? exp.Key : exp.Seed, hashValue, exp.HashVersion is null or 0 ? 1 : exp.HashVersion.Value);
        if (hash is not { } n) return Outcome(exp, -1, false, featureId, ctx);
        if (!foundSticky) assigned = Bucketing.ChooseVariation(n, exp.Computed.Ranges);
        // 9.5. A sticky assignment from a blocked bucket version unenrolls.
        if (versionBlocked) return Outcome(exp, -1, false, featureId, ctx, stickyBucketUsed: true);
        // 10. Outside every range (coverage).
        if (assigned < 0) return Outcome(exp, -1, false, featureId, ctx);
        // 11. A forced variation.
        if (exp.Force is { } force) return Outcome(exp, force, false, featureId, ctx);
        // 12. QA mode.
        if (ctx.QaMode) return Outcome(exp, -1, false, featureId, ctx);
        // 13. In the experiment.
        var result = Outcome(exp, assigned, true, featureId, ctx, n, foundSticky, (hashAttribute, hashValue));
        if (sticky) StickyBucketing.Save(ctx.StickyBucketService!, exp, hashAttribute, hashValue, result.Key);
        return result;
    }

    /// <summary>The SDK's <c>getExperimentResult</c>: an index outside the variations means "not in the experiment", variation 0.</summary>
    private static ExperimentResult Outcome(Experiment exp, int variation, bool hashUsed, string? featureId, EvaluationContext ctx,
        double? bucket = null, bool stickyBucketUsed = false, (string, AttributeValue)? hashed = null)
    {
        bool inExperiment = true;
        if (variation < 0 || variation >= exp.Variations.Count)
        {
            variation = 0;
            inExperiment = false;
        }
        var (hashAttribute, hashValue) = hashed ?? GetHashAttribute(ctx, exp.HashAttribute,
            ctx.StickyBucketService is not null && !exp.DisableStickyBucketing ? exp.FallbackAttribute : null);
        var meta = exp.Meta is { } m && variation < m.Count ? m[variation] : null;
        var keys = exp.Computed.Keys;
        var cb = hashUsed && inExperiment ? exp.ContextualBandit : null;
        return new ExperimentResult
        {
            Key = variation < keys.Length ? keys[variation] : "0",
            FeatureId = featureId,
            InExperiment = inExperiment,
            HashUsed = hashUsed,
            VariationId = variation,
            Value = exp.Variations.Count > variation ? exp.Variations[variation] : AttributeValue.Null,
            HashAttribute = hashAttribute,
            HashValue = hashValue,
            StickyBucketUsed = stickyBucketUsed,
            Name = string.IsNullOrEmpty(meta?.Name) ? null : meta.Name,
            Bucket = bucket,
            Passthrough = meta?.Passthrough ?? false,
            LeafId = cb?.LeafId,
            VariationWeights = cb?.VariationWeights,
            BanditVersion = cb?.BanditVersion,
        };
    }

    /// <summary>
    /// The attribute values a person's sticky documents are stored under, for every experiment in <paramref name="features"/>
    /// and <paramref name="experiments"/> (hash attributes and fallbacks): what a store-backed service should load first.
    /// </summary>
    public static IReadOnlyDictionary<string, string> StickyBucketAttributes(EvaluationContext context, FeatureSet features,
        IEnumerable<Experiment>? experiments = null)
    {
        var names = new List<string>();
        foreach (string key in features.Keys)
        {
            foreach (var rule in features.Get(key)!.Rules)
            {
                if (rule.Rule.Variations is null) continue;
                names.Add(string.IsNullOrEmpty(rule.Rule.HashAttribute) ? "id" : rule.Rule.HashAttribute);
                if (!string.IsNullOrEmpty(rule.Rule.FallbackAttribute)) names.Add(rule.Rule.FallbackAttribute);
            }
        }
        foreach (var e in experiments ?? [])
        {
            names.Add(string.IsNullOrEmpty(e.HashAttribute) ? "id" : e.HashAttribute);
            if (!string.IsNullOrEmpty(e.FallbackAttribute)) names.Add(e.FallbackAttribute);
        }
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string name in names) result[name] = Js.ToKeyString(GetHashAttribute(context, name, null).Value);
        return result;
    }
}
