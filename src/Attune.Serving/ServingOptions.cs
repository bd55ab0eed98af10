using Attune.Model;
using Attune.Serving.Models;
using Attune.Serving.Scenarios;

namespace Attune.Serving;

/// <summary>Serving settings (configuration section <c>Attune:Serving</c>; environment <c>ATTUNE__SERVING__…</c>).</summary>
public sealed class ServingOptions
{
    public const string Section = "Attune:Serving";

    /// <summary>Frequency cap: an item shown this many times within <see cref="FrequencyCapWindowHours"/> without the person
    /// engaging with it (view, click, cart, purchase) is not recommended to them again until fewer such impressions remain in
    /// the window. <value>The default value is 3; 0 turns the cap off.</value></summary>
    public int FrequencyCapImpressions { get; set; } = 3;

    /// <summary><value>The default value is 72 hours.</value></summary>
    public double FrequencyCapWindowHours { get; set; } = 72;

    /// <summary>Category paths (prefixes) where people buy the same item again (groceries, cosmetics): purchased items in them
    /// stay recommendable. <value>The default value is none.</value></summary>
    public List<string> RepeatBuyCategories { get; set; } = [];

    /// <summary>How recent "new" is for the new-arrivals source, in days. <value>The default value is 30.</value></summary>
    public double NewArrivalDays { get; set; } = 30;

    /// <summary>Catalogs up to this many items are scored whole per request; larger ones on a candidate pool (see
    /// <c>RecommendationPipeline.Run</c>). <value>The default value is 20,000.</value></summary>
    public int DenseCatalogLimit { get; set; } = 20_000;

    /// <summary>When search computes the catalog's sentence vectors (semantic and hybrid retrieval): <c>OnFirstSearch</c>,
    /// <c>AtStart</c> or <c>Off</c> (lexical only). Vectors are computed in the background; until an item's is ready, search
    /// finds it by its words only. <value>The default value is <c>OnFirstSearch</c>.</value></summary>
    public Search.SemanticSearch SemanticSearch { get; set; } = Search.SemanticSearch.OnFirstSearch;

    /// <summary>A synonyms file for search (Solr format: "a, b, c" equivalent; "a => b" one way; docs/search.md).</summary>
    public string? SynonymsFile { get; set; }

    /// <summary>Largest <c>count</c> a request may ask for. <value>The default value is 200.</value></summary>
    public int MaxCount { get; set; } = 200;

    /// <summary>Store every answer's id and items so later events carrying the id are attributed. <value>The default value is <see langword="true"/>.</value></summary>
    public bool LogRecommendations { get; set; } = true;

    /// <summary>
    /// The consent of people whose record states none, and of anonymous visitors (an opt-in region sets some or all purposes
    /// false: <c>Attune:Serving:DefaultConsent:Personalization=false</c>). <value>The default value is every purpose given.</value>
    /// </summary>
    public Consent DefaultConsent { get; set; } = new();

    /// <summary>Retention: event type → the most days its events are kept (e.g. <c>view: 90</c>); a type not named is kept
    /// until the person is erased. Purged in the background in small batches. <value>The default value is empty.</value></summary>
    public Dictionary<string, double> RetentionDays { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How often the retention purge runs, in minutes. <value>The default value is 60.</value></summary>
    public double RetentionIntervalMinutes { get; set; } = 60;

    /// <summary>Keep each running experiment's cumulative results this often, in minutes (the console's lift over time;
    /// <c>GET /v1/experiments/{id}/history</c>). <value>The default value is 60.</value></summary>
    public double ExperimentSnapshotMinutes { get; set; } = 60;

    /// <summary>Retrain on this schedule, in minutes (0 = never on a schedule). <value>The default value is 360.</value></summary>
    public double RetrainIntervalMinutes { get; set; } = 360;

    /// <summary>
    /// Hours between the engine's own tunings of the factor and sequence models on the shop's data (a time split; reason <c>tuning</c>, put
    /// out like any retraining: through a rollout when <see cref="RetrainThroughRollout"/>). 0 = only on demand
    /// (<c>POST /v1/models/tune</c>). <value>The default value is 24.</value>
    /// </summary>
    public double TuningIntervalHours { get; set; } = 24;

    /// <summary>Seconds a tuning may spend measuring configurations: two thirds shared by the factor model and the sequence
    /// model, the rest (with the fit of the split's bundle) for the <c>for-you</c> blend. <value>The default value is 90.</value></summary>
    public double TuningBudgetSeconds { get; set; } = 90;

    /// <summary>Whether a tuning also tunes the <c>for-you</c> scenario's source weights (when no stored recipe sets them).
    /// <value>The default value is <see langword="true"/>.</value></summary>
    public bool TuneBlend { get; set; } = true;

    /// <summary>A tuning fits each configuration on at most this many people (the held-out ones and others drawn at random), so
    /// a large shop gets more than a couple of trials within the budget. <value>The default value is 100,000.</value></summary>
    public int TuningPeople { get; set; } = 100_000;

    /// <summary>Retrain once this many new events arrived since the active model's snapshot (0 = never). <value>The default value is 100,000.</value></summary>
    public long RetrainAfterEvents { get; set; } = 100_000;

    /// <summary>Background retraining goes out through a progressive rollout (<see cref="RolloutSteps"/>, each waiting
    /// <see cref="RolloutWaitMinutes"/>, rolled back on a guardrail breach) instead of replacing the active version at once.
    /// Retraining waits while a rollout runs. <value>The default value is <see langword="false"/>.</value></summary>
    public bool RetrainThroughRollout { get; set; }

    /// <summary>The steps of a retraining's rollout, in percent, comma-separated; the last is 100. <value>The default value is 1,5,25,50,100.</value></summary>
    public string RolloutSteps { get; set; } = "1,5,25,50,100";

    /// <summary>Minutes each step of a retraining's rollout lasts at least. <value>The default value is 60.</value></summary>
    public double RolloutWaitMinutes { get; set; } = 60;

    /// <summary>The guardrails of a retraining's rollout (<c>Attune:Serving:RetrainGuardrails:MaxErrorRate</c> …).
    /// <value>The default value is <see cref="Experiments.Definitions.RolloutGuardrails"/>' defaults.</value></summary>
    public Experiments.Definitions.RolloutGuardrails RetrainGuardrails { get; set; } = new();

    /// <summary>The steps of <see cref="RolloutSteps"/>; throws when they are not rising percents ending at 100.</summary>
    public IReadOnlyList<double> ParseRolloutSteps()
    {
        var steps = new List<double>();
        foreach (string part in RolloutSteps.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double p) || p <= 0 || p > 100
                || (steps.Count > 0 && p <= steps[^1]))
                throw new ArgumentException($"Attune:Serving:RolloutSteps must be rising percents ending at 100, e.g. 1,5,25,50,100 (got '{RolloutSteps}')");
            steps.Add(p);
        }
        if (steps.Count == 0 || steps[^1] != 100)
            throw new ArgumentException($"Attune:Serving:RolloutSteps must end at 100 (got '{RolloutSteps}')");
        return steps;
    }

    /// <summary>
    /// This node's name among several on one shared store (logs, <c>ModelInfo.node</c>, who trains).
    /// <value>The default value is the machine's name and the process id.</value>
    /// </summary>
    public string NodeName { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>
    /// On a shared store, how often a node that is not the trainer tries to become it (the trainer's death frees the role at
    /// once; a lost connection within about 10 s). <value>The default value is 5.</value>
    /// </summary>
    public int TrainerElectionSeconds { get; set; } = 5;

    /// <summary>Model versions kept on disk for rollback. <value>The default value is 5.</value></summary>
    public int KeepVersions { get; set; } = 5;

    /// <summary>Threads background training may use; the rest stay free for requests. <value>The default value is cores − 1 (at least 1).</value></summary>
    public int TrainingThreads { get; set; } = Math.Max(1, Environment.ProcessorCount - 1);

    public ServingModelOptions Models { get; set; } = new();

    /// <summary>Overrides and additions to the shipped scenarios (<see cref="ScenarioOptions.Defaults"/>), by name.</summary>
    public Dictionary<string, ScenarioOptions> Scenarios { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The shipped scenarios with configured ones laid over them (checked when an engine compiles them into its default recipe).</summary>
    public Dictionary<string, ScenarioOptions> ResolveScenarios()
    {
        var all = ScenarioOptions.Defaults();
        foreach (var (name, configured) in Scenarios)
        {
            if (all.TryGetValue(name, out var shipped) && configured.Sources.Count == 0) configured.Sources = shipped.Sources;
            all[name] = configured;
        }
        foreach (var options in all.Values) options.ShippedSources = true;
        return all;
    }
}
