using System.Text.Json;

namespace Attune.Client;

// Rules, recipes, experiments and models: what a merchandiser's or an engineer's tooling changes (admin scope, except
// reading rules and models, which the serve scope may do).
public sealed partial class AttuneClient
{
    public Task<IReadOnlyList<Rule>> ListRulesAsync(CancellationToken ct = default) => GetAsync<IReadOnlyList<Rule>>("/v1/rules", ct);

    /// <summary>One rule, or null when there is none with this id.</summary>
    public Task<Rule?> GetRuleAsync(string id, CancellationToken ct = default) => FindAsync<Rule>($"/v1/rules/{Escape(id)}", ct);

    /// <summary>Creates or replaces the rule <see cref="Rule.Id"/> (<c>PUT /v1/rules/{id}</c>); it applies to the next request.</summary>
    public Task<Rule> PutRuleAsync(Rule rule, CancellationToken ct = default) =>
        SendAsync<Rule>(HttpMethod.Put, $"/v1/rules/{Escape(rule.Id)}", rule, RetryMode.Idempotent, ct);

    public Task<bool> DeleteRuleAsync(string id, CancellationToken ct = default) => DeleteAsync($"/v1/rules/{Escape(id)}", ct);

    /// <summary>Every recipe as stored and as it serves (<c>GET /v1/recipes</c>), as JSON (docs/api.md "Recipes").</summary>
    public Task<JsonElement> ListRecipesAsync(CancellationToken ct = default) => GetAsync<JsonElement>("/v1/recipes", ct);

    /// <summary>One recipe (<c>scenarios</c> as stored, <c>resolved</c>, <c>servedBy</c>, <c>warnings</c>), or null when unknown.</summary>
    public async Task<JsonElement?> GetRecipeAsync(string name, CancellationToken ct = default) =>
        await FindAsync<JsonDocument>($"/v1/recipes/{Escape(name)}", ct).ConfigureAwait(false) is { } d ? Root(d) : null;

    /// <summary>Stores a new version of a recipe (<c>PUT /v1/recipes/{name}</c>); <paramref name="recipe"/> is any value that
    /// serializes to the recipe's JSON (an anonymous object, a JsonElement). A bad one throws with the field named.</summary>
    public Task<JsonElement> PutRecipeAsync(string name, object recipe, CancellationToken ct = default) =>
        SendAsync<JsonElement>(HttpMethod.Put, $"/v1/recipes/{Escape(name)}", recipe, RetryMode.Idempotent, ct);

    public Task<bool> DeleteRecipeAsync(string name, CancellationToken ct = default) => DeleteAsync($"/v1/recipes/{Escape(name)}", ct);

    /// <summary>Every experiment's definition and state (<c>GET /v1/experiments</c>), as JSON (docs/experiments.md).</summary>
    public Task<JsonElement> ListExperimentsAsync(CancellationToken ct = default) => GetAsync<JsonElement>("/v1/experiments", ct);

    /// <summary>One experiment, or null when unknown.</summary>
    public async Task<JsonElement?> GetExperimentAsync(string id, CancellationToken ct = default) =>
        await FindAsync<JsonDocument>($"/v1/experiments/{Escape(id)}", ct).ConfigureAwait(false) is { } d ? Root(d) : null;

    /// <summary>Creates an experiment (<c>POST /v1/experiments</c>). Not retried after it may have reached the server (a
    /// second create of the same id is a 409).</summary>
    public Task<JsonElement> CreateExperimentAsync(object definition, CancellationToken ct = default) =>
        SendAsync<JsonElement>(HttpMethod.Post, "/v1/experiments", definition, RetryMode.NotSent, ct);

    public Task<JsonElement> StartExperimentAsync(string id, CancellationToken ct = default) =>
        SendAsync<JsonElement>(HttpMethod.Post, $"/v1/experiments/{Escape(id)}/start", null, RetryMode.NotSent, ct);

    public Task<JsonElement> StopExperimentAsync(string id, CancellationToken ct = default) =>
        SendAsync<JsonElement>(HttpMethod.Post, $"/v1/experiments/{Escape(id)}/stop", null, RetryMode.NotSent, ct);

    /// <summary>Results per variant and metric with intervals, SRM and the verdict (<c>GET /v1/experiments/{id}/results</c>).</summary>
    public Task<JsonElement> GetExperimentResultsAsync(string id, CancellationToken ct = default) =>
        GetAsync<JsonElement>($"/v1/experiments/{Escape(id)}/results", ct);

    public Task<ModelList> ListModelsAsync(CancellationToken ct = default) => GetAsync<ModelList>("/v1/models", ct);

    /// <summary>
    /// Trains a new model version (<c>POST /v1/models/train</c>). With <paramref name="wait"/> the call returns the new,
    /// now active version when training ends; without, it returns null at once (202) and <see cref="ListModelsAsync"/> tells
    /// when it is active. Not retried after it may have reached the server: that could train twice.
    /// </summary>
    public async Task<ModelVersion?> TrainAsync(bool wait = true, CancellationToken ct = default)
    {
        if (!wait)
        {
            using var _ = await SendCoreAsync(HttpMethod.Post, "/v1/models/train?wait=false", null, RetryMode.NotSent, ct).ConfigureAwait(false);
            return null;
        }
        return await SendAsync<ModelVersion>(HttpMethod.Post, "/v1/models/train?wait=true", null, RetryMode.NotSent, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Tunes the factor model on the shop's own data, then trains and puts out a version with what was chosen
    /// (<c>POST /v1/models/tune</c>); its <see cref="ModelVersion.Tuning"/> says what and the gain. With
    /// <paramref name="wait"/> the call returns that version when done (a 409 while a rollout runs is an
    /// <see cref="AttuneApiException"/>); without, null at once. Not retried after it may have reached the server.
    /// </summary>
    public async Task<ModelVersion?> TuneAsync(bool wait = true, CancellationToken ct = default)
    {
        if (!wait)
        {
            using var _ = await SendCoreAsync(HttpMethod.Post, "/v1/models/tune?wait=false", null, RetryMode.NotSent, ct).ConfigureAwait(false);
            return null;
        }
        return await SendAsync<ModelVersion>(HttpMethod.Post, "/v1/models/tune?wait=true", null, RetryMode.NotSent, ct).ConfigureAwait(false);
    }

    /// <summary>Makes a stored version the active one (a rollback; idempotent).</summary>
    public Task<ModelVersion> ActivateModelAsync(string version, CancellationToken ct = default) =>
        SendAsync<ModelVersion>(HttpMethod.Post, $"/v1/models/{Escape(version)}/activate", null, RetryMode.Idempotent, ct);

    /// <summary>Deletes a stored version that is not active; false when unknown.</summary>
    public Task<bool> DeleteModelAsync(string version, CancellationToken ct = default) => DeleteAsync($"/v1/models/{Escape(version)}", ct);

    private static JsonElement Root(JsonDocument d)
    {
        using (d) return d.RootElement.Clone();
    }
}
