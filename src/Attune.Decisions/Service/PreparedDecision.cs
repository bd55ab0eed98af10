using System.Text.Json;
using Attune.Decisions.Features;
using Attune.Storage;

namespace Attune.Decisions.Service;

/// <summary>
/// A decision in the learner's terms: per slot the features it was ranked with (context, profile and slot), the chosen
/// action's features and its probability. Made at rank time and kept until the reward comes; rebuilt from the logged
/// <see cref="DecisionRecord"/> when it is not in memory (after a restart, or a decision made by another node).
/// </summary>
internal sealed class PreparedDecision(string point, string[] slotIds, FeatureSet[] slotContexts, FeatureSet[] chosen, double[] probabilities)
{
    public string Point { get; } = point;
    public string[] SlotIds { get; } = slotIds;
    public FeatureSet[] SlotContexts { get; } = slotContexts;
    public FeatureSet[] Chosen { get; } = chosen;
    public double[] Probabilities { get; } = probabilities;

    /// <summary>Rebuilds a decision from its log record (the same featurization as at rank time).</summary>
    /// <param name="actionSets">Featurized action sets by key, filled as they are met (a log names few sets, each many times).</param>
    public static PreparedDecision FromRecord(DecisionRecord d, IDictionary<string, FeatureSet[]> actionSets)
    {
        using var context = JsonDocument.Parse(d.Context);
        using var slots = JsonDocument.Parse(d.Slots);
        var shared = new FeatureSet();
        AddContext(context.RootElement, shared);
        if (!actionSets.TryGetValue(d.ActionSetKey, out var actionList))
        {
            using var actions = JsonDocument.Parse(d.ActionSet);
            actionList = [.. actions.RootElement.EnumerateArray().Select(ActionFeatures)];
            if (actionSets.Count >= 1024) actionSets.Clear();
            actionSets[d.ActionSetKey] = actionList;
        }
        int n = slots.RootElement.GetArrayLength();
        var ids = new string[n];
        var contexts = new FeatureSet[n];
        var chosen = new FeatureSet[n];
        var probabilities = new double[n];
        int s = 0;
        foreach (var slot in slots.RootElement.EnumerateArray())
        {
            ids[s] = slot.GetProperty("id").GetString()!;
            var ctx = new FeatureSet(shared.Count + 8);
            ctx.AddAll(shared);
            if (slot.TryGetProperty("features", out var sf)) Featurizer.Add(sf, ctx, "slot");
            contexts[s] = ctx;
            int index = slot.GetProperty("chosen").GetInt32();
            chosen[s] = actionList[index];
            probabilities[s] = slot.GetProperty("probabilities")[index].GetDouble();
            s++;
        }
        return new PreparedDecision(d.Point, ids, contexts, chosen, probabilities);
    }

    /// <summary>The logged context (<c>{"context": …, "profile": {…}}</c>) as features.</summary>
    public static void AddContext(JsonElement logged, FeatureSet into)
    {
        if (logged.TryGetProperty("context", out var c)) Featurizer.Add(c, into, "context");
        if (logged.TryGetProperty("profile", out var p) && p.ValueKind == JsonValueKind.Object)
            foreach (var a in p.EnumerateObject()) Featurizer.AddIndicator(into, "profile." + a.Name, a.Value.GetString() ?? "");
        if (logged.TryGetProperty("tastes", out var t) && t.ValueKind == JsonValueKind.Array)
            foreach (var taste in t.EnumerateArray())
                Featurizer.AddIndicator(into, "profile.taste." + taste.GetProperty("kind").GetString(), taste.GetProperty("name").GetString() ?? "",
                    (float)taste.GetProperty("weight").GetDouble());
        if (logged.TryGetProperty("predictions", out var predictions) && predictions.ValueKind == JsonValueKind.Object)
            foreach (var prediction in predictions.EnumerateObject())
                into.Add(FeatureHash.Of("profile." + prediction.Name), (float)prediction.Value.GetDouble());
    }

    /// <summary>A person's predictions as numeric features: <c>profile.clv.palive</c> = 0.87.</summary>
    public static void AddPredictions(FeatureSet into, ReadOnlySpan<Prediction> predictions)
    {
        foreach (var p in predictions) into.Add(FeatureHash.Of("profile." + p.Name), (float)p.Value);
    }

    /// <summary>A person's tastes as features: <c>profile.taste.category=shoes</c> with the category's share as its value.</summary>
    public static void AddTastes(FeatureSet into, ReadOnlySpan<Taste> tastes)
    {
        foreach (var t in tastes) Featurizer.AddIndicator(into, "profile.taste." + t.Kind, t.Name, (float)t.Weight);
    }

    /// <summary>A logged action's features, as <see cref="DecisionService.Featurize"/> made them at rank time.</summary>
    public static FeatureSet ActionFeatures(JsonElement action) =>
        DecisionService.Featurize(action.GetProperty("id").GetString()!, action.TryGetProperty("features", out var features) ? features : null,
            action.TryGetProperty("worth", out var worth) ? worth.GetDouble() : null);
}
