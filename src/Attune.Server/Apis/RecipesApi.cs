using Attune.Serving;
using Attune.Serving.Recipes;
using Attune.Server.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Attune.Server.Apis;

/// <summary>
/// Recipes: named, versioned serving configurations (sources and weights per scenario, diversity, pool sizes, rule sets,
/// model version). A request names one with <c>recipe</c>; experiments use them as variants.
/// </summary>
public static class RecipesApi
{
    public static IEndpointRouteBuilder MapRecipesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/recipes").WithTags("Recipes").WithMetadata(new RequiredScope(Scope.Admin));

        api.MapGet("/", List)
            .WithName("ListRecipes")
            .WithSummary("Every recipe (the default first) with its version, model version and what it changes");

        api.MapGet("/{name}", Get)
            .WithName("GetRecipe")
            .WithSummary("A recipe as stored and as it serves (every scenario resolved over the default), with warnings")
            .WithDescription("?version=N reads an earlier version (GET /v1/recipes/{name}/versions lists them).")
            .Produces<RecipeOutput>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{name}/versions", Versions)
            .WithName("ListRecipeVersions")
            .WithSummary("Every stored version of a recipe, oldest first, with its time (a deletion is a version too)")
            .Produces<IReadOnlyList<Recipe>>();

        api.MapPut("/{name}", Put)
            .WithName("PutRecipe")
            .WithSummary("Create or change a recipe (a new version); it serves from the next request")
            .WithDescription("Body: {\"description\", \"modelVersion\" (null = the active one), \"scenarios\": {\"for-you\": {\"sources\": " +
                "{\"als\": 1, \"popularity\": 0.2}, \"diversity\", \"maxCategoryShare\", \"maxBrandShare\", \"defaultCount\", " +
                "\"excludePurchased\", \"pool\": {\"popular\": 800, …}, \"ruleSets\": [\"default\"]}}}. Scenarios and settings it does " +
                "not name are taken from the default recipe; PUT /v1/recipes/default changes that one.")
            .Accepts<Recipe>("application/json")
            .Produces<RecipeOutput>()
            .ProducesProblem(StatusCodes.Status400BadRequest);

        api.MapDelete("/{name}", Delete)
            .WithName("DeleteRecipe")
            .WithSummary("Delete a recipe (its versions stay readable); deleting 'default' returns to the shipped scenarios")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    public static IResult List(AttuneServices s) => TypedResults.Ok(s.Serving.Recipes.All.Select(r => Output(s.Serving, r)).ToList());

    public static async Task<IResult> Get(string name, string? version, AttuneServices s, CancellationToken ct)
    {
        if (RecipeReader.CheckName(name) is { } bad) return Problems.BadField("name", bad);
        if (version is not null)
        {
            if (!int.TryParse(version, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int v) || v < 1)
                return Problems.BadField("version", "must be a whole number from 1");
            var history = await s.Serving.Recipes.HistoryAsync(name, ct);
            return history.FirstOrDefault(r => r.Version == v) is { } old ? TypedResults.Ok(old) : Problems.NotFound("Recipe version", $"{name}@{v}");
        }
        return s.Serving.Recipes.TryGet(name, out var recipe) ? TypedResults.Ok(Output(s.Serving, recipe)) : Problems.NotFound("Recipe", name);
    }

    public static async Task<IResult> Versions(string name, AttuneServices s, CancellationToken ct)
    {
        if (RecipeReader.CheckName(name) is { } bad) return Problems.BadField("name", bad);
        var history = await s.Serving.Recipes.HistoryAsync(name, ct);
        return history.Count == 0 ? Problems.NotFound("Recipe", name) : TypedResults.Ok(history);
    }

    public static async Task<IResult> Put(string name, HttpContext context, AttuneServices s)
    {
        if (RecipeReader.CheckName(name) is { } bad) return Problems.BadField("name", bad);
        var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
        if (problem is not null) return problem;
        using (body)
        {
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            var recipe = RecipeReader.Read(body!.Records[0], name, s.Serving.Recipes.ScenarioNames, errors);
            if (recipe is null)
                return Problems.Result(StatusCodes.Status400BadRequest, "Invalid input", string.Join("; ", errors.Select(e => $"{e.Key}: {e.Value[0]}")), errors);
            try
            {
                var compiled = await s.Serving.PutRecipeAsync(recipe, context.RequestAborted);
                return TypedResults.Ok(Output(s.Serving, compiled));
            }
            catch (RecipeException e)
            {
                return Problems.BadField(e.Field, e.Reason);
            }
        }
    }

    public static async Task<IResult> Delete(string name, AttuneServices s, CancellationToken ct)
    {
        if (RecipeReader.CheckName(name) is { } bad) return Problems.BadField("name", bad);
        return await s.Serving.DeleteRecipeAsync(name, ct) ? TypedResults.NoContent() : Problems.NotFound("Recipe", name);
    }

    private static RecipeOutput Output(ServingEngine engine, CompiledRecipe r)
    {
        var warnings = engine.RecipeWarnings(r);
        return new(
        r.Name, r.Version, r.Recipe.Version == 0 ? null : r.Recipe.UpdatedAt, r.Recipe.Description, r.ModelVersion,
        r.ModelVersion is not null && warnings.Count == 0 ? r.ModelVersion : engine.ActiveVersion,
        r.Recipe.Scenarios,
        r.Scenarios.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => Resolved(engine, r, kv.Value)),
        warnings);
    }

    private static ResolvedScenario Resolved(ServingEngine engine, CompiledRecipe recipe, CompiledScenario scenario)
    {
        var (sources, tunedBy) = engine.ServedSources(recipe, scenario);
        return new(sources, scenario.Diversity, scenario.MaxCategoryShare, scenario.MaxBrandShare, scenario.DefaultCount,
            scenario.ExcludePurchased, scenario.Pool.ToDictionary(), scenario.Options.RuleSets, tunedBy);
    }

    /// <param name="UpdatedAt">When this version was stored (null for the shipped default).</param>
    /// <param name="ServedBy">The model version answering for it now.</param>
    /// <param name="Scenarios">What the recipe changes, as stored.</param>
    /// <param name="Resolved">Every scenario as it serves: the default with the recipe's changes.</param>
    public sealed record RecipeOutput(string Name, int Version, DateTimeOffset? UpdatedAt, string? Description, string? ModelVersion,
        string? ServedBy, IReadOnlyDictionary<string, RecipeScenario> Scenarios, IReadOnlyDictionary<string, ResolvedScenario> Resolved,
        IReadOnlyList<string> Warnings);

    /// <param name="Sources">The weights blended now: the recipe's, or a model version's tuned ones (<paramref name="TunedBy"/>).</param>
    /// <param name="RuleSets">null = every rule set.</param>
    /// <param name="TunedBy">The model version whose tuning set <paramref name="Sources"/> (the shipped or configured weights
    /// of the default recipe are replaced where a tuned version serves); null when they are the recipe's own.</param>
    public sealed record ResolvedScenario(IReadOnlyDictionary<string, float> Sources, double Diversity, double MaxCategoryShare, double MaxBrandShare,
        int DefaultCount, bool ExcludePurchased, IReadOnlyDictionary<string, int> Pool, IReadOnlyList<string>? RuleSets, string? TunedBy = null);
}
