using Attune.Api;
using Attune.Experiments.Running;
using Attune.Serving.Pipeline;
using Attune.Serving.Recipes;
using Attune.Serving.Sources;
using Attune.Serving.Stages;
using Attune.Storage;

namespace Attune.Serving.Engine;

/// <summary>
/// Answers requests: picks the recipe (the request's; else the holdout's or a running experiment's variant for this person;
/// else the default) and the state its model version serves from, loads the person, runs the scenario's pipeline (or the
/// rows of <c>home-rows</c>), and logs what was shown, under which recipe, experiment and variant.
/// </summary>
internal sealed class Answers(ServingModels models, RecipeBook recipes, LiveUpdates live, ServingContext context, SourceRegistry sources,
    IReadOnlyList<IRankingStage> stages, BatchWriter<RecommendationRecord> log, ExperimentRouter experiments, ExperimentAttributes attributes,
    ExperimentTracker tracker, ServingMetrics metrics, TimeProvider time)
{
    public Recommendation Recommend(RecommendationRequest request)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var activity = ServingTracing.Source.StartActivity("attune.recommend");
        activity?.SetTag(ServingTracing.Scenario, request.Scenario);
        var (recipe, state, assignment) = Resolve(request);
        try
        {
            var answer = Recommend(request, recipe, state, assignment);
            if (assignment is not null) Served(assignment, answer, started, error: false);
            metrics.Answered(answer.Scenario, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, error: false);
            ServingTracing.Answered(activity, answer);
            return answer;
        }
        catch (Exception e) when (e is not RecommendationException)
        {
            // A variant that fails shows in its error-rate guardrail (bad input is the caller's, not the variant's).
            if (assignment is not null) Served(assignment, null, started, error: true);
            metrics.Answered(request.Scenario, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, error: true);
            ServingTracing.Failed(activity, e);
            throw;
        }
    }

    /// <summary>
    /// An answer from an adjusted copy of the state the request's recipe serves from (the console's previews, e.g. with a draft
    /// rule). The request must name its recipe, so no experiment exposes anyone; nothing of the state changes.
    /// </summary>
    public Recommendation Preview(RecommendationRequest request, Func<ServingState, ServingState> adjust)
    {
        if (request.Recipe is null) throw new RecommendationException("recipe", "a preview names its recipe (previews stay outside experiments)");
        var (recipe, state, _) = Resolve(request);
        return Recommend(request, recipe, adjust(state), assignment: null);
    }

    /// <summary>
    /// An answer with a recipe that need not be stored (the console's side-by-side preview of a draft): outside experiments,
    /// from the state of the recipe's model version.
    /// </summary>
    public Recommendation Preview(RecommendationRequest request, CompiledRecipe recipe)
    {
        var state = models.For(recipe.ModelVersion, out _) ?? throw new InvalidOperationException("no model is active yet");
        return Recommend(request, recipe, state, assignment: null);
    }

    private void Served(Assignment assignment, Recommendation? answer, long started, bool error)
    {
        bool empty = answer is not null && answer.Items.Count == 0 && (answer.Rows is null || answer.Rows.Count == 0);
        string owner = LoadedOwner ?? assignment.PersonKey;
        tracker.Served(assignment.TrackedId, owner, assignment.Variant, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, empty, error);
    }

    /// <summary>The person of this thread's last answer (the id their events carry).</summary>
    private static string? LoadedOwner => RecommendationPipeline.Current.Person.Id;

    private Recommendation Recommend(RecommendationRequest request, CompiledRecipe recipe, ServingState state, Assignment? assignment)
    {
        if (request.Scenario.Equals("home-rows", StringComparison.OrdinalIgnoreCase)) return HomeRows(state, recipe, assignment, request);
        if (assignment?.Interleave is { } pair) return Interleave(request, pair, assignment);
        var scenario = Scenario(recipe, request.Scenario);
        if (scenario.RequireItem && request.ItemIds.Count == 0)
            throw new RecommendationException("itemId", $"scenario '{request.Scenario}' needs itemId or itemIds");
        if (scenario.Options.RequireQuery && string.IsNullOrWhiteSpace(request.Query))
            throw new RecommendationException("q", $"scenario '{request.Scenario}' needs a query");
        bool fallback = AnchorsUnknown(scenario, state, request);
        int count = request.Count ?? scenario.DefaultCount;
        var pipeline = RecommendationPipeline.Current;
        LoadPerson(pipeline.Person, state, request);
        var items = pipeline.Run(state, context, sources, stages, scenario, request, count);
        string? title = null;
        if (scenario.Anchor == Scenarios.AnchorKind.RecentView && pipeline.Anchors.Count > 0)
            title = $"Because you viewed {Explanations.Title(state, pipeline.Anchors[0])}";
        var answer = Answer(state, recipe, assignment, pipeline.Person, request.Scenario, items, title, null, null, features: pipeline.LastFeatures);
        answer.Fallback = fallback;
        return answer;
    }

    /// <summary>
    /// An item scenario (<c>similar</c>, <c>complementary</c>) whose anchors are all unknown would quietly answer popular items
    /// as if they were similar: a 404 naming the item, or true (serve them, marked) when the request asks for a fallback.
    /// </summary>
    private static bool AnchorsUnknown(CompiledScenario scenario, ServingState state, RecommendationRequest request)
    {
        if (!scenario.RequireItem || scenario.Anchor != Scenarios.AnchorKind.Request || request.ItemIds.Count == 0) return false;
        foreach (string id in request.ItemIds)
        {
            if (state.Catalog.IndexOf(id) >= 0) return false;
        }
        if (request.Fallback) return true;
        throw new RecommendationException(request.ItemIds.Count == 1 ? "itemId" : "itemIds",
            $"unknown item '{request.ItemIds[0]}'{(request.ItemIds.Count > 1 ? $" (and the {request.ItemIds.Count - 1} others)" : "")}: " +
            "scenario '" + request.Scenario + "' needs an item of the catalog; send \"fallback\": true to get popular items instead", status: 404);
    }

    [ThreadStatic] private static Random? t_coin;

    /// <summary>
    /// Team-draft interleaving (Radlinski et al. 2008): both recipes rank for the person; in each round the team with fewer
    /// picks (a coin decides ties) adds its best item not yet taken. The tracker learns each item's team, so clicks on the
    /// answer's items count as a preference for one recipe or the other.
    /// </summary>
    private Recommendation Interleave(RecommendationRequest request, IReadOnlyList<string> pair, Assignment assignment)
    {
        var compiledA = recipes.TryGet(pair[0], out var ra) ? ra : recipes.Default;
        var compiledB = recipes.TryGet(pair[1], out var rb) ? rb : recipes.Default;
        var stateA = models.For(compiledA.ModelVersion, out _) ?? throw new InvalidOperationException("no model is active yet");
        var stateB = models.For(compiledB.ModelVersion, out _) ?? stateA;
        var scenarioA = Scenario(compiledA, request.Scenario);
        var scenarioB = Scenario(compiledB, request.Scenario);
        if (scenarioA.RequireItem && request.ItemIds.Count == 0)
            throw new RecommendationException("itemId", $"scenario '{request.Scenario}' needs itemId or itemIds");
        bool fallback = AnchorsUnknown(scenarioA, stateA, request);
        int count = request.Count ?? scenarioA.DefaultCount;
        var pipeline = RecommendationPipeline.Current;
        LoadPerson(pipeline.Person, stateB, request);
        var listB = pipeline.Run(stateB, context, sources, stages, scenarioB, request, count);
        LoadPerson(pipeline.Person, stateA, request);
        var listA = pipeline.Run(stateA, context, sources, stages, scenarioA, request, count);

        var coin = t_coin ??= new Random();
        var merged = new List<RecommendedItem>(count);
        var taken = new HashSet<string>(StringComparer.Ordinal);
        var teamA = new List<string>();
        var teamB = new List<string>();
        int ia = 0, ib = 0;
        while (merged.Count < count)
        {
            bool aTurn = teamA.Count < teamB.Count || (teamA.Count == teamB.Count && coin.Next(2) == 0);
            while (ia < listA.Count && taken.Contains(listA[ia].Id)) ia++;
            while (ib < listB.Count && taken.Contains(listB[ib].Id)) ib++;
            if (ia >= listA.Count && ib >= listB.Count) break;
            if (aTurn ? ia >= listA.Count : ib >= listB.Count) aTurn = !aTurn; // that team has nothing left
            var item = aTurn ? listA[ia++] : listB[ib++];
            taken.Add(item.Id);
            (aTurn ? teamA : teamB).Add(item.Id);
            merged.Add(item with { Position = merged.Count + 1 });
        }
        var answer = Answer(stateA, compiledA, assignment, pipeline.Person, request.Scenario, merged, null, null, null,
            recipeName: $"{compiledA.Name}+{compiledB.Name}");
        tracker.Interleaved(assignment.ExperimentId, answer.RecommendationId, pipeline.Person.Id ?? assignment.PersonKey, teamA, teamB);
        answer.Fallback = fallback;
        return answer;
    }

    /// <summary>Orders the caller's candidates for the person with the scenario's blend (default <c>for-you</c>).</summary>
    public Recommendation Rank(RecommendationRequest request)
    {
        using var activity = ServingTracing.Source.StartActivity("attune.rank");
        activity?.SetTag(ServingTracing.Scenario, request.Scenario);
        var (recipe, state, assignment) = Resolve(request);
        var ranking = Scenario(recipe, request.Scenario).Ranking;
        var unknown = request.Candidates!.Where(id => state.Catalog.IndexOf(id) < 0).ToList();
        var pipeline = RecommendationPipeline.Current;
        LoadPerson(pipeline.Person, state, request);
        var items = pipeline.Run(state, context, sources, stages, ranking, request, request.Candidates!.Count);
        var answer = Answer(state, recipe, assignment, pipeline.Person, request.Scenario, items, null, null, unknown);
        ServingTracing.Answered(activity, answer);
        return answer;
    }

    private (CompiledRecipe Recipe, ServingState State, Assignment? Assignment) Resolve(RecommendationRequest request)
    {
        CompiledRecipe recipe;
        Assignment? assignment = null;
        if (request.Recipe is null)
        {
            // A request that names its recipe is outside experiments; the others go where the holdout or an experiment puts them.
            // Experiments are analytics: a person who did not give it (or an anonymous visitor where the default withholds it)
            // is never assigned, exposed or counted, and gets the default recipe. An anonymous id linked to a user is that user.
            if (context.ConsentOf(ConsentSubject(request)).Analytics)
                assignment = experiments.Route(new RouteRequest(request.UserId, request.AnonymousId, request.Scenario, () => attributes.For(request)));
            // A variant's recipe deleted while the experiment runs: the default serves (GET /v1/experiments/{id} warns).
            // Outside experiments, a segment with a recipe serves its members with it.
            string? chosen = assignment?.Recipe ?? (assignment is null && context.SegmentRecipe is { } bySegment
                ? request.UserId is { } u ? bySegment(u, false) : request.AnonymousId is { } a ? bySegment(a, true) : null
                : null);
            if (chosen is not { } name || !recipes.TryGet(name, out recipe)) recipe = recipes.Default;
        }
        else if (!recipes.TryGet(request.Recipe, out recipe))
            throw new RecommendationException("recipe", $"unknown recipe '{request.Recipe}'; known: {string.Join(", ", recipes.All.Select(r => r.Name))}");
        // A rollout of a model version serves its new side with that version and the baseline recipe.
        var state = models.For(assignment?.ModelVersion ?? recipe.ModelVersion, out _) ?? throw new InvalidOperationException("no model is active yet");
        return (recipe, state, assignment);
    }

    private static CompiledScenario Scenario(CompiledRecipe recipe, string name) =>
        recipe.Scenarios.TryGetValue(name, out var scenario) ? scenario
            : throw new RecommendationException("scenario",
                $"unknown scenario '{name}'; known: {string.Join(", ", recipe.Scenarios.Keys.Append("home-rows").Order(StringComparer.Ordinal))}");

    private Recommendation HomeRows(ServingState state, CompiledRecipe recipe, Assignment? assignment, RecommendationRequest request)
    {
        var pipeline = RecommendationPipeline.Current;
        var person = pipeline.Person;
        LoadPerson(person, state, request);
        int perRow = request.Count ?? 10;
        var shown = new HashSet<int>();
        var rows = new List<RecommendationRow>();
        var columns = state.Catalog.Columns;

        void Row(string id, string scenarioName, string title, int? department = null)
        {
            var items = pipeline.Run(state, context, sources, stages, Scenario(recipe, scenarioName), request, perRow, shown, department);
            if (items.Count == 0) return;
            foreach (var item in items) shown.Add(state.Catalog.IndexOf(item.Id));
            rows.Add(new RecommendationRow(id, title, scenarioName, items));
        }

        bool known = person.Personalized && person.History.Count > 0;
        Row("top-picks", "for-you", known ? "Top picks for you" : "Popular right now");
        if (known && person.LastViewed >= 0)
            Row("because-you-viewed", "because-you-viewed", $"Because you viewed {Explanations.Title(state, person.LastViewed)}");
        Row("trending", "trending", "Trending now");
        // Departments: the person's own, most engaged first; for someone unknown, the most popular.
        var departments = new Dictionary<int, float>();
        if (known)
        {
            float w = 1f;
            foreach (int i in person.Recent) { departments[columns.Department[i]] = departments.GetValueOrDefault(columns.Department[i]) + w; w *= 0.9f; }
        }
        else
        {
            var pop = state.Bundle.Popularity;
            for (int i = 0; i < Math.Min(pop.Length, columns.Count); i++) departments[columns.Department[i]] = departments.GetValueOrDefault(columns.Department[i]) + pop[i];
        }
        departments.Remove(0);
        foreach (var (department, _) in departments.OrderByDescending(kv => kv.Value).Take(3))
        {
            string name = Explanations.Humanize(state.Catalog.NameOf(department));
            Row("department-" + state.Catalog.NameOf(department), "for-you", known ? $"{name} for you" : $"Popular in {name}", department);
        }
        Row("new-arrivals", "new-arrivals", "New arrivals");
        return Answer(state, recipe, assignment, person, "home-rows", [], null, rows, null);
    }

    /// <summary>The user whose consent governs a request (an anonymous id linked to a user is that user), or null for a visitor.</summary>
    private string? ConsentSubject(RecommendationRequest request)
    {
        if (request.UserId is not null || request.AnonymousId is null) return request.UserId;
        var (id, anonymous) = live.Profiles.Owner(null, request.AnonymousId);
        return anonymous ? null : id;
    }

    private void LoadPerson(PersonView person, ServingState state, RecommendationRequest request)
    {
        if (request.UserId is null && request.AnonymousId is null)
        {
            person.Clear();
            return;
        }
        var (id, anonymous) = live.Profiles.Owner(request.UserId, request.AnonymousId);
        bool personalized = context.ConsentOf(anonymous ? null : id).Personalization;
        long windowStart = time.GetUtcNow().ToUnixTimeMilliseconds() - (long)(context.Options.FrequencyCapWindowHours * 3_600_000);
        person.Load(state, live.Profiles, id, anonymous, personalized, windowStart);
    }

    private Recommendation Answer(ServingState state, CompiledRecipe recipe, Assignment? assignment, PersonView person, string scenario,
        List<RecommendedItem> items, string? title, List<RecommendationRow>? rows, List<string>? unknown, string? recipeName = null,
        string? features = null)
    {
        string id = "rec_" + Guid.CreateVersion7(time.GetUtcNow()).ToString("N");
        string version = state.Bundle.Info.Version;
        if (context.Options.LogRecommendations)
        {
            IReadOnlyList<string> shown = rows is null ? items.ConvertAll(i => i.Id) : rows.SelectMany(r => r.Items).Select(i => i.Id).ToList();
            log.Add(new RecommendationRecord(id, person.Id ?? "", person.Anonymous, scenario, version, time.GetUtcNow(), shown,
                recipeName ?? recipe.Name, assignment?.ExperimentId, assignment?.Variant, rows is null ? features : null));
        }
        return new Recommendation
        {
            RecommendationId = id,
            Scenario = scenario,
            Recipe = recipeName ?? recipe.Name,
            Experiment = assignment is null ? null : new ServedExperiment(assignment.ExperimentId, assignment.Variant, assignment.Phase),
            ModelVersion = version,
            Personalized = person.Personalized && person.History.Count > 0,
            Title = title,
            Items = items,
            Rows = rows,
            Unknown = unknown,
        };
    }
}
