using Attune.Experiments.Assignment;

namespace Attune.Tests.Experiments.Assignment;

/// <summary>Results in the JavaScript SDK's JSON shape, and Jest's <c>toEqual</c> (object keys in any order).</summary>
internal static class SpecJson
{
    public static AttributeValue ToJson(FeatureResult r)
    {
        var o = new Attributes { ["value"] = r.Value, ["on"] = r.On, ["off"] = r.Off, ["source"] = r.Source.WireName(), ["ruleId"] = r.RuleId };
        if (r.Experiment is { } e) o["experiment"] = ToJson(e);
        if (r.ExperimentResult is { } x) o["experimentResult"] = ToJson(x);
        return o;
    }

    public static AttributeValue ToJson(Experiment e)
    {
        var o = new Attributes { ["key"] = e.Key, ["variations"] = AttributeValue.FromArray(e.Variations) };
        if (e.Weights is { } w) o["weights"] = Numbers(w);
        if (e.Coverage is { } c) o["coverage"] = c;
        if (e.HashAttribute is { } ha) o["hashAttribute"] = ha;
        if (e.FallbackAttribute is { } fa) o["fallbackAttribute"] = fa;
        if (e.DisableStickyBucketing) o["disableStickyBucketing"] = true;
        if (e.BucketVersion is { } bv) o["bucketVersion"] = bv;
        if (e.MinBucketVersion is { } mbv) o["minBucketVersion"] = mbv;
        if (e.Namespace is { } ns) o["namespace"] = AttributeValue.FromArray([ns.Id, ns.Start, ns.End]);
        if (e.Meta is { } meta) o["meta"] = AttributeValue.FromArray(meta.Select(ToJson));
        if (e.Ranges is { } ranges) o["ranges"] = AttributeValue.FromArray(ranges.Select(ToJson));
        if (e.Name is { } name) o["name"] = name;
        if (e.Phase is { } phase) o["phase"] = phase;
        if (e.Seed is { } seed) o["seed"] = seed;
        if (e.HashVersion is { } hv) o["hashVersion"] = hv;
        if (e.Filters is { } filters)
        {
            o["filters"] = AttributeValue.FromArray(filters.Select(f =>
            {
                var fo = new Attributes();
                if (f.Attribute is { } a) fo["attribute"] = a;
                fo["seed"] = f.Seed;
                fo["ranges"] = AttributeValue.FromArray(f.Ranges.Select(ToJson));
                if (f.HashVersion is { } fhv) fo["hashVersion"] = fhv;
                return (AttributeValue)fo;
            }));
        }
        if (e.Condition is { } condition) o["condition"] = condition.Source;
        if (e.ContextualBandit is { } cb) o["contextualBandit"] = Bandit(cb.LeafId, cb.VariationWeights, cb.BanditVersion);
        return o;
    }

    private static AttributeValue Bandit(int leafId, IReadOnlyList<double> weights, AttributeValue? version)
    {
        var o = new Attributes { ["leafId"] = leafId, ["variationWeights"] = Numbers(weights) };
        if (version is { } v) o["banditVersion"] = v;
        return o;
    }

    private static AttributeValue ToJson(VariationMeta m)
    {
        var o = new Attributes();
        if (m.Key is { } k) o["key"] = k;
        if (m.Name is { } n) o["name"] = n;
        if (m.Passthrough) o["passthrough"] = true;
        return o;
    }

    private static AttributeValue ToJson(BucketRange r) => AttributeValue.FromArray([r.Start, r.End]);

    private static AttributeValue Numbers(IReadOnlyList<double> values) => AttributeValue.FromArray(values.Select(v => (AttributeValue)v));

    public static AttributeValue ToJson(ExperimentResult r)
    {
        var o = new Attributes
        {
            ["key"] = r.Key, ["featureId"] = r.FeatureId, ["inExperiment"] = r.InExperiment, ["hashUsed"] = r.HashUsed,
            ["variationId"] = r.VariationId, ["value"] = r.Value, ["hashAttribute"] = r.HashAttribute, ["hashValue"] = r.HashValue,
            ["stickyBucketUsed"] = r.StickyBucketUsed,
        };
        if (r.Name is { } n) o["name"] = n;
        if (r.Bucket is { } b) o["bucket"] = b;
        if (r.Passthrough) o["passthrough"] = true;
        if (r.LeafId is { } leaf) o["leafId"] = leaf;
        if (r.VariationWeights is { } w) o["variationWeights"] = Numbers(w);
        if (r.BanditVersion is { } v) o["banditVersion"] = v;
        return o;
    }

    public static AttributeValue ToJson(StickyAssignmentsDocument d)
    {
        var assignments = new Attributes();
        foreach (var (k, v) in d.Assignments) assignments[k] = v;
        return new Attributes { ["attributeName"] = d.AttributeName, ["attributeValue"] = d.AttributeValue, ["assignments"] = assignments };
    }

    public static StickyAssignmentsDocument ReadStickyDocument(in AttributeValue json)
    {
        var o = json.AsObject!;
        var assignments = (o["assignments"].AsObject ?? Attributes.Empty).ToDictionary(kv => kv.Key, kv => kv.Value.AsString!, StringComparer.Ordinal);
        return new StickyAssignmentsDocument(o["attributeName"].AsString!, o["attributeValue"].AsString!, assignments);
    }

    /// <summary>Jest's <c>toEqual</c>: objects equal whatever their key order; arrays in order; numbers by value.</summary>
    public static bool DeepEqual(in AttributeValue a, in AttributeValue b)
    {
        if (a.Kind != b.Kind) return false;
        switch (a.Kind)
        {
            case AttributeKind.Array:
                var x = a.AsArray;
                var y = b.AsArray;
                if (x.Length != y.Length) return false;
                for (int i = 0; i < x.Length; i++)
                {
                    if (!DeepEqual(x[i], y[i])) return false;
                }
                return true;
            case AttributeKind.Object:
                var o = a.AsObject!;
                var p = b.AsObject!;
                if (o.Count != p.Count) return false;
                foreach (var (k, v) in o)
                {
                    if (!p.TryGetValue(k, out var w) || !DeepEqual(v, w)) return false;
                }
                return true;
            default:
                return a.Equals(b);
        }
    }

    public static void AssertEqual(in AttributeValue expected, in AttributeValue actual, string what)
    {
        if (!DeepEqual(expected, actual)) Assert.Fail($"{what} differs.\nExpected: {expected.ToJson()}\nActual:   {actual.ToJson()}");
    }
}
