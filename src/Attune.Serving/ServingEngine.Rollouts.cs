using Attune.Serving.Models;
using Attune.Experiments.Definitions;
using Attune.Experiments.Running;
using Attune.Model;
using Attune.Serving.Recipes;
using Microsoft.Extensions.Logging;
using Recipe = Attune.Serving.Recipes.Recipe;

namespace Attune.Serving;

/// <summary>Progressive rollouts: started here, judged every 5 s by the background work, completed into the baseline.</summary>
public sealed partial class ServingEngine
{
    /// <summary>Progressive rollouts of recipes and model versions.</summary>
    public RolloutBook Rollouts { get; }

    /// <summary>What a rollout definition may name: this engine's recipes (and their pinned versions), stored versions, scenarios.</summary>
    public RolloutReferences RolloutReferences => new(
        (string name, out string? version) =>
        {
            version = null;
            if (!Recipes.TryGet(name, out var recipe)) return false;
            version = recipe.ModelVersion;
            return true;
        },
        _models.Repository.Exists, [.. Recipes.ScenarioNames, "home-rows"]);

    /// <summary>Starts a rollout at its first step; a model version is loaded before anyone is served with it.</summary>
    /// <exception cref="ExperimentException">The id is taken or a running rollout covers one of its scenarios (conflict).</exception>
    public async Task<Rollout> StartRolloutAsync(Rollout rollout, CancellationToken ct = default)
    {
        if (rollout.ModelVersion is { } version) await _models.PinAsync(version, ct).ConfigureAwait(false);
        try
        {
            return await Rollouts.StartAsync(rollout, ct).ConfigureAwait(false);
        }
        finally
        {
            _models.KeepPinned(PinnedVersions());
        }
    }

    /// <summary>Rolls a running rollout back by hand: everyone gets the baseline again.</summary>
    public Task<Rollout> RollBackRolloutAsync(string id, string? why, CancellationToken ct = default) =>
        Rollouts.RollBackAsync(id, null, string.IsNullOrWhiteSpace(why) ? "rolled back by hand" : "rolled back by hand: " + why, ct);

    /// <summary>A rollout's current step as judged now (its guardrails' reading and what the next check will do).</summary>
    public RolloutDecision JudgeRollout(Rollout rollout) => _rolloutRunner.Judge(rollout);

    /// <summary>Judges every running rollout and acts (advance, complete, roll back); the background work calls this every 5 s.</summary>
    public Task<IReadOnlyList<(Rollout Rollout, RolloutDecision Decision)>> CheckRolloutsAsync(CancellationToken ct = default) =>
        _rolloutRunner.CheckAsync(ct);

    private void RolloutsChanged(IReadOnlyDictionary<string, Rollout> rollouts)
    {
        foreach (var rollout in rollouts.Values)
            foreach (var run in rollout.History) Tracker.Track(rollout.AsExperiment(run.Number));
        // A rollout that ended no longer holds its model version in memory (a completed one made it the active version).
        if (_started) _models.KeepPinned(PinnedVersions());
    }

    /// <summary>Another node changed rollouts: reload them and load the model versions they ramp up.</summary>
    private async Task RolloutsChangedAsync(CancellationToken ct)
    {
        await Rollouts.LoadAsync(ct).ConfigureAwait(false);
        await LoadPinnedAsync(ct).ConfigureAwait(false);
        _models.KeepPinned(PinnedVersions());
    }

    /// <summary>
    /// The last step passed: a model version becomes the active one; a recipe's scenarios (the rollout's, or all) are written
    /// into the baseline recipe as its next version, so the baseline now serves what the new side served.
    /// </summary>
    private async Task<string> CompleteRolloutAsync(Rollout rollout, CancellationToken ct)
    {
        if (rollout.ModelVersion is { } version)
        {
            await _training.ActivateAsync(version, ct).ConfigureAwait(false);
            return $"model version {version} is now the active version";
        }
        if (!Recipes.TryGet(rollout.Recipe!, out var target)) throw new InvalidOperationException($"recipe '{rollout.Recipe}' no longer exists");
        if (!Recipes.TryGet(rollout.Baseline, out var baseline)) throw new InvalidOperationException($"baseline recipe '{rollout.Baseline}' no longer exists");
        // Recipes lay their changes over the default one: promoted into the default, the new side's changes go over the
        // default's own; into another recipe, they replace that recipe's changes in the rollout's scenarios.
        bool intoDefault = rollout.Baseline == Recipe.DefaultName;
        bool every = rollout.Scenarios.Count == 0;
        var scenarios = new Dictionary<string, RecipeScenario>(baseline.Recipe.Scenarios, StringComparer.OrdinalIgnoreCase);
        if (every && !intoDefault) scenarios.Clear();
        IEnumerable<string> names = every ? target.Recipe.Scenarios.Keys : rollout.Scenarios;
        foreach (string name in names)
        {
            if (target.Recipe.Scenarios.TryGetValue(name, out var changes)) scenarios[name] = intoDefault ? changes.Over(scenarios.GetValueOrDefault(name)) : changes;
            else if (!intoDefault) scenarios.Remove(name);
        }
        var promoted = baseline.Recipe with
        {
            Scenarios = scenarios,
            ModelVersion = every ? target.ModelVersion : target.ModelVersion ?? baseline.ModelVersion,
            Description = $"{baseline.Recipe.Description} (rollout {rollout.Id} promoted recipe {target.Name} v{target.Version})".TrimStart(),
        };
        var stored = await PutRecipeAsync(promoted, ct).ConfigureAwait(false);
        return $"recipe {target.Name} v{target.Version} promoted into {stored.Name} (now v{stored.Version}) for {(every ? "every scenario" : string.Join(", ", rollout.Scenarios))}";
    }

    /// <summary>A retraining that is due: at once, or (<see cref="ServingOptions.RetrainThroughRollout"/>) saved and ramped up.</summary>
    private async Task<ModelInfo?> RetrainAsync(string reason, CancellationToken ct)
    {
        if (!Options.RetrainThroughRollout) return await _training.TrainAsync(reason, ct).ConfigureAwait(false);
        if (Rollouts.Running.Count > 0) return null; // one rollout at a time over every scenario; retraining waits for it
        var steps = Options.ParseRolloutSteps();
        var info = await _training.TrainAsync(reason, ct, activate: false).ConfigureAwait(false);
        var rollout = await StartRolloutAsync(new Rollout
        {
            Id = "retrain-" + info.Version,
            Name = $"Retrained model {info.Version} ({reason})",
            ModelVersion = info.Version,
            Origin = "retraining",
            Steps = RolloutStep.Of(steps, Options.RolloutWaitMinutes),
            Guardrails = Options.RetrainGuardrails,
        }, ct).ConfigureAwait(false);
        _log.LogInformation("Model {Version} goes out through rollout {Id} ({Steps} %)", info.Version, rollout.Id, Options.RolloutSteps);
        return info;
    }

    /// <summary>
    /// Tunes the factor model on the shop's own data (a time split), trains a version with what it chose and puts it out like a
    /// retraining: through a rollout when <see cref="ServingOptions.RetrainThroughRollout"/>, else at once. The version's info
    /// says what was chosen and the gain measured. Null when a running rollout makes it wait.
    /// </summary>
    public Task<ModelInfo?> TuneAsync(CancellationToken ct = default) =>
        _shared is null || _leadership.IsLeader ? RetrainAsync(Engine.ModelTraining.Tuning, ct) : AskTrainerAsync(Engine.ModelTraining.Tuning, ct);
}
