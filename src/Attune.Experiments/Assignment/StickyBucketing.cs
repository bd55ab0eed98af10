namespace Attune.Experiments.Assignment;

/// <summary>
/// Sticky bucketing as the SDKs do it: a person's assignment is stored under the hashed attribute's value, and read back
/// from both the hash attribute's document and the fallback attribute's (the hash attribute's wins), so an assignment made
/// on <c>anonymousId</c> is kept once <c>id</c> is known, and then stored under <c>id</c> too.
/// </summary>
internal static class StickyBucketing
{
    public static string ExperimentKey(string experimentKey, int bucketVersion) =>
        $"{experimentKey}__{bucketVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>The stored variation (-1 when none is usable), and whether an assignment from a blocked bucket version exists.</summary>
    public static (int Variation, bool VersionBlocked) GetVariation(EvaluationContext ctx, Experiment exp)
    {
        var service = ctx.StickyBucketService!;
        var (hashAttribute, hashValue) = Assigner.GetHashAttribute(ctx, exp.HashAttribute, null);
        var hashDoc = service.GetAssignments(hashAttribute, Js.ToKeyString(hashValue));
        // As the SDK: with no fallback attribute, the "id" document is the fallback.
        var (fallbackAttribute, fallbackValue) = Assigner.GetHashAttribute(ctx, exp.FallbackAttribute, null);
        var fallbackDoc = fallbackValue.IsTruthy ? service.GetAssignments(fallbackAttribute, Js.ToKeyString(fallbackValue)) : null;
        if (hashDoc is null && fallbackDoc is null) return (-1, false);

        var computed = exp.Computed;
        foreach (string blocked in computed.BlockedStickyKeys)
        {
            if (Lookup(hashDoc, fallbackDoc, blocked) is not null) return (-1, true);
        }
        if (Lookup(hashDoc, fallbackDoc, computed.StickyKey) is not { } variationKey || exp.Meta is not { } meta) return (-1, false);
        for (int i = 0; i < meta.Count; i++)
        {
            if (meta[i].Key == variationKey) return (i, false);
        }
        return (-1, false);
    }

    private static string? Lookup(StickyAssignmentsDocument? hashDoc, StickyAssignmentsDocument? fallbackDoc, string key) =>
        hashDoc is not null && hashDoc.Assignments.TryGetValue(key, out var v) ? v
        : fallbackDoc is not null && fallbackDoc.Assignments.TryGetValue(key, out var f) ? f
        : null;

    /// <summary>Stores the assignment under the attribute that was hashed, when it is new or changed.</summary>
    public static void Save(IStickyBucketService service, Experiment exp, string hashAttribute, in AttributeValue hashValue, string variationKey)
    {
        string value = Js.ToKeyString(hashValue);
        string key = exp.Computed.StickyKey;
        var existing = service.GetAssignments(hashAttribute, value);
        if (existing is not null && existing.Assignments.TryGetValue(key, out var old) && old == variationKey) return;
        var assignments = existing is null
            ? new Dictionary<string, string>(StringComparer.Ordinal)
            : new Dictionary<string, string>(existing.Assignments, StringComparer.Ordinal);
        assignments[key] = variationKey;
        service.SaveAssignments(new StickyAssignmentsDocument(hashAttribute, value, assignments));
    }
}
