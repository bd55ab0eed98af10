using System.Numerics.Tensors;
using Attune.Serving.Recipes;
using Attune.Serving.Scenarios;
using Attune.Serving.Sources;
using Attune.Serving.Stages;

namespace Attune.Serving.Pipeline;

/// <summary>
/// One scenario's answer for one person: the scenario's candidate sources, scaled to a maximum of 1 and blended with the
/// recipe's weights, then the ranking stages in order (guardrails, rules, filter + top-k, diversity, pins, explanations).
/// Nothing here knows a particular source or stage: they come from the engine's <see cref="SourceRegistry"/> and stage list.
/// </summary>
/// <remarks>
/// Catalogs up to <see cref="ServingOptions.DenseCatalogLimit"/> items are scored whole (one SIMD pass per source). Larger
/// ones are scored on a candidate pool that every source of the scenario adds to (<see cref="ICandidateSource.AddCandidates"/>),
/// plus the anchors and pinned items; when a filter or a department row leaves fewer items than asked, the whole catalog is
/// scored after all, so a filtered list is still full whenever enough items pass.
/// </remarks>
internal sealed class RecommendationPipeline
{
    public readonly PersonView Person = new();
    public readonly RankingContext Context = new();

    [ThreadStatic] private static RecommendationPipeline? t_current;

    /// <summary>This thread's pipeline (its buffers are reused by every request on the thread).</summary>
    public static RecommendationPipeline Current => t_current ??= new RecommendationPipeline();

    /// <summary>
    /// The last run's ranking features of the items it answered, as the recommendation log keeps them:
    /// <c>{"names": [source…], "values": [[…per item…]…]}</c>, each the source's score of the item over the source's largest in
    /// the answer (what a learned ranker learns from and scores); null when nothing was answered.
    /// </summary>
    public string? LastFeatures { get; private set; }

    /// <summary>The anchors of the last run (item page, recent items…), oldest first.</summary>
    public IReadOnlyList<int> Anchors => Context.Sources.Anchors;

    /// <summary>Runs the scenario. <paramref name="alsoExclude"/> holds items another row already shows.</summary>
    public List<RecommendedItem> Run(ServingState state, ServingContext serving, SourceRegistry sources, IReadOnlyList<IRankingStage> stages,
        CompiledScenario scenario, RecommendationRequest request, int count, IReadOnlySet<int>? alsoExclude = null, int? department = null)
    {
        int n = state.Catalog.Columns.Count;
        // A search scores only what matched (at most the search sources' depth), whatever the catalog's size.
        bool sparse = n > serving.Options.DenseCatalogLimit || request.Candidates is not null
            || scenario.Options.RequireQuery && scenario.RestrictTo is not null;
        var result = RunOnce(state, serving, sources, stages, scenario, request, count, alsoExclude, department, sparse);
        // Only a filter or a department row can make the pool short of items the catalog has (a restricted scenario's
        // sources name every item it may show, so the whole catalog would add nothing).
        if (sparse && result.Count < count && request.Candidates is null && scenario.RestrictTo is null
            && (request.Filter is not null || department is not null))
            result = RunOnce(state, serving, sources, stages, scenario, request, count, alsoExclude, department, sparse: false);
        return result;
    }

    private List<RecommendedItem> RunOnce(ServingState state, ServingContext serving, SourceRegistry registry, IReadOnlyList<IRankingStage> stages,
        CompiledScenario scenario, RecommendationRequest request, int count, IReadOnlySet<int>? alsoExclude, int? department, bool sparse)
    {
        var c = Context;
        var columns = state.Catalog.Columns;
        int n = columns.Count;
        c.Ensure(n, registry.Count);
        c.Reset();
        var s = c.Sources;
        s.State = state;
        s.Request = request;
        s.Person = Person;
        s.Scenario = scenario;
        s.Options = serving.Options;
        s.Search = serving.Search;
        s.ItemCount = n;
        s.NowMs = request.Context.Now.ToUnixTimeMilliseconds();
        c.Serving = serving;
        c.Registry = registry;
        c.Count = count;
        c.CandidatesOnly = request.Candidates is not null;
        c.AlsoExclude = alsoExclude;
        c.Department = department;
        c.Sparse = sparse;
        ComputeAnchors(s, state, scenario, request);

        var blend = c.Blend;
        var sourceList = TunedBlend.SourcesOf(state, scenario, registry);
        if (sparse) BuildPool(c, state, sourceList, request, n);
        else blend.AsSpan(0, n).Clear();
        var scope = c.Scope;
        if (sparse) foreach (int j in scope) blend[j] = 0;

        // Restricted scenarios and rankings consider only some items.
        bool candidatesOnly = c.CandidatesOnly;
        bool restrict = scenario.RestrictTo is not null && !candidatesOnly;
        var allowed = c.Allowed;
        if (restrict || candidatesOnly) foreach (int j in scope) allowed[j] = candidatesOnly;
        foreach (var (index, weight) in sourceList)
        {
            var source = registry[index];
            var buffer = c.Buffers[index];
            var scores = c.Scored[index] is { } prepared ? new SourceScores(prepared, c.ScoredLength[index])
                : sparse ? source.ScoreItems(s, scope, buffer) : source.ScoreAll(s, buffer);
            c.Scored[index] = null;
            if (scores.IsEmpty) continue;
            var values = scores.Values!;
            int m = Math.Min(scores.Length, n);
            float max = 0;
            if (sparse) { foreach (int j in scope) if (j < m && values[j] > max) max = values[j]; }
            else max = TensorPrimitives.Max(values.AsSpan(0, m));
            if (!(max > 0)) continue;
            c.Scored[index] = values;
            c.ScoredLength[index] = m;
            c.Max[index] = max;
            float scale = c.Scale[index] = weight / max;
            // Each source is ≥ 0, so the blend is a weighted sum: one SIMD pass per source over a whole catalog.
            if (sparse) { foreach (int j in scope) if (j < m) blend[j] += values[j] * scale; }
            else TensorPrimitives.MultiplyAdd(values.AsSpan(0, m), scale, blend.AsSpan(0, m), blend.AsSpan(0, m));
            if (restrict && scenario.RestrictTo![index])
            {
                foreach (int j in scope) if (j < m && values[j] > 0) allowed[j] = true;
            }
        }

        // A pin is placed even where the scenario admits only what its sources found ("for 'gift' pin item X" in search).
        if (restrict)
            foreach (var rule in state.Rules.Compiled)
                if (Stages.PinsStage.Applies(c, rule) && state.Catalog.IndexOf(rule.Rule.ItemId!) is >= 0 and var pinned && pinned < n) allowed[pinned] = true;

        foreach (var stage in stages) stage.Apply(c);

        var chosen = c.Chosen;
        // Only the recommendation log keeps them: not computed when nothing is logged.
        LastFeatures = chosen.Count == 0 || !serving.Options.LogRecommendations ? null : FeaturesJson(c, registry, sourceList, chosen);
        var result = new List<RecommendedItem>(chosen.Count);
        for (int r = 0; r < chosen.Count; r++)
        {
            int j = chosen[r];
            result.Add(new RecommendedItem(columns.Ids[j], MathF.Round(Math.Max(blend[j], 0f), 5), r + 1,
                r < c.Reasons.Count ? c.Reasons[r] : [], columns.Items[j], r < c.ReasonItems.Count ? c.ReasonItems[r] : null));
        }
        return result;
    }

    [ThreadStatic] private static System.Buffers.ArrayBufferWriter<byte>? t_json;
    private readonly RankingFeatures _features = new();

    private string FeaturesJson(RankingContext c, SourceRegistry registry, (int Source, float Weight)[] sources, List<int> chosen)
    {
        _features.Load(c);
        var buffer = t_json ??= new System.Buffers.ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("names");
            foreach (var (index, _) in sources) w.WriteStringValue(registry[index].Name);
            foreach (string name in RankingFeatures.PersonFeatures) w.WriteStringValue(name);
            w.WriteEndArray();
            w.WriteStartArray("values");
            foreach (int j in chosen)
            {
                w.WriteStartArray();
                foreach (var (index, _) in sources) w.WriteNumberValue(MathF.Round(_features.Value(c, index, j), 4));
                for (int p = 1; p <= RankingFeatures.PersonFeatures.Length; p++) w.WriteNumberValue(MathF.Round(_features.Value(c, -p, j), 4));
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private void ComputeAnchors(SourceContext s, ServingState state, CompiledScenario scenario, RecommendationRequest request)
    {
        var catalog = state.Catalog;
        var anchors = s.AnchorList;
        var person = Person;
        anchors.Clear();
        switch (scenario.Anchor)
        {
            case AnchorKind.Request:
                foreach (string id in request.ItemIds)
                {
                    int i = catalog.IndexOf(id);
                    if (i >= 0 && !anchors.Contains(i)) anchors.Add(i);
                }
                break;
            case AnchorKind.Recent:
                // Item sources weight the end of a history most: oldest first, newest last.
                for (int k = person.Recent.Count - 1; k >= 0; k--) anchors.Add(person.Recent[k]);
                break;
            case AnchorKind.RecentView:
                if (request.ItemIds.Count > 0 && catalog.IndexOf(request.ItemIds[0]) is >= 0 and var given) anchors.Add(given);
                else if (person.LastViewed >= 0) anchors.Add(person.LastViewed);
                break;
            case AnchorKind.Cart:
                anchors.AddRange(person.Cart);
                break;
        }
    }

    /// <summary>The candidate pool of a large catalog (or a ranking's candidates): what any source could rank high.</summary>
    private static void BuildPool(RankingContext c, ServingState state, (int Source, float Weight)[] sources, RecommendationRequest request, int n)
    {
        var pool = c.Pool;
        pool.Reset(n);
        if (request.Candidates is { } candidates)
        {
            foreach (string id in candidates) pool.Add(state.Catalog.IndexOf(id));
            return;
        }
        var s = c.Sources;
        // A restricted scenario shows only what its restricting sources find: the others score that pool, they need not widen it.
        var restrictTo = c.Scenario.RestrictTo;
        foreach (var (index, _) in sources)
        {
            if (restrictTo is not null && !restrictTo[index]) continue;
            // A source that scored the whole catalog to find its best hands those scores on (see AddCandidates).
            var prepared = c.Registry[index].AddCandidates(s, pool, c.Buffers[index]);
            if (!prepared.IsEmpty)
            {
                c.Scored[index] = prepared.Values;
                c.ScoredLength[index] = prepared.Length;
            }
        }
        pool.AddRange(s.AnchorSpan);
        // Pinned items are placed whenever they pass the guardrails and the filter: they must be in scope to be judged.
        foreach (var rule in state.Rules.Compiled)
        {
            if (rule.Rule.Action == Rules.RuleAction.Pin && rule.AppliesTo(c.Scenario.Name, c.Request.Query)) pool.Add(state.Catalog.IndexOf(rule.Rule.ItemId!));
        }
    }
}
