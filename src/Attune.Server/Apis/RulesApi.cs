using Attune.Serving.Rules;
using Attune.Server.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Attune.Server.Apis;

public static class RulesApi
{
    public static IEndpointRouteBuilder MapRulesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/rules").WithTags("Rules");

        api.MapGet("/", (AttuneServices s) => TypedResults.Ok(s.Serving.Rules))
            .WithName("ListRules")
            .WithSummary("Business rules: boost, bury, exclude (blocklist) and pin, per scenario")
            .WithMetadata(new RequiredScope(Scope.Serve))
            .Produces<IReadOnlyList<BusinessRule>>();

        api.MapGet("/{id}", GetRule)
            .WithName("GetRule")
            .WithSummary("Read one rule")
            .WithMetadata(new RequiredScope(Scope.Serve))
            .Produces<BusinessRule>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{id}/history", RuleHistory)
            .WithName("GetRuleHistory")
            .WithSummary("Every change of a rule, oldest first: version, time, created / changed / deleted, by which key, and the rule")
            .WithMetadata(new RequiredScope(Scope.Serve))
            .Produces<IReadOnlyList<RuleVersion>>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPost("/", (HttpContext c, AttuneServices s) => PutRule(c, s, null))
            .WithName("CreateRule")
            .WithSummary("Create or replace a rule (id in the body); it applies to the next request, no restart")
            .WithMetadata(new RequiredScope(Scope.Admin))
            .Accepts<BusinessRule>("application/json")
            .Produces<BusinessRule>()
            .ProducesProblem(StatusCodes.Status400BadRequest);

        api.MapPut("/{id}", (string id, HttpContext c, AttuneServices s) => PutRule(c, s, id))
            .WithName("PutRule")
            .WithSummary("Create or replace the rule with this id")
            .WithMetadata(new RequiredScope(Scope.Admin))
            .Accepts<BusinessRule>("application/json")
            .Produces<BusinessRule>()
            .ProducesProblem(StatusCodes.Status400BadRequest);

        api.MapDelete("/{id}", DeleteRule)
            .WithName("DeleteRule")
            .WithSummary("Delete a rule")
            .WithMetadata(new RequiredScope(Scope.Admin))
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    public static IResult GetRule(string id, AttuneServices s) =>
        s.Serving.Rules.FirstOrDefault(r => r.Id == id) is { } rule ? TypedResults.Ok(rule) : Problems.NotFound("Rule", id);

    public static async Task<IResult> PutRule(HttpContext context, AttuneServices s, string? id)
    {
        var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
        if (problem is not null) return problem;
        using (body)
        {
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            var rule = BusinessRule.Read(body!.Records[0], id, errors);
            if (rule is not null)
            {
                // A rule naming a scenario nobody serves would be stored and silently do nothing.
                var known = new HashSet<string>([.. s.Serving.Recipes.ScenarioNames, "home-rows"], StringComparer.OrdinalIgnoreCase);
                for (int i = 0; i < rule.Scenarios.Count; i++)
                {
                    if (!known.Contains(rule.Scenarios[i]))
                        errors[$"scenarios[{i}]"] = [$"unknown scenario '{rule.Scenarios[i]}'; known: {string.Join(", ", known.Order(StringComparer.Ordinal))}"];
                }
                if (errors.Count > 0) rule = null;
            }
            if (rule is null)
                return Problems.Result(StatusCodes.Status400BadRequest, "Invalid input", string.Join("; ", errors.Select(e => $"{e.Key}: {e.Value[0]}")), errors);
            await s.Serving.PutRuleAsync(rule, context.RequestAborted, by: ApiKeyMiddleware.KeyName(context));
            return TypedResults.Ok(rule);
        }
    }

    public static async Task<IResult> DeleteRule(string id, HttpContext context, AttuneServices s, CancellationToken ct) =>
        await s.Serving.DeleteRuleAsync(id, ct, by: ApiKeyMiddleware.KeyName(context)) ? TypedResults.NoContent() : Problems.NotFound("Rule", id);

    public static async Task<IResult> RuleHistory(string id, AttuneServices s, CancellationToken ct)
    {
        var history = await s.Serving.RuleHistoryAsync(id, ct);
        return history.Count == 0 ? Problems.NotFound("Rule history", id) : TypedResults.Ok(history);
    }
}
