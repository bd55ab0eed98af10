using Attune.Serving;
using Attune.Serving.Search;
using Attune.Server.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Attune.Server.Apis;

/// <summary>
/// <c>GET /v1/search/suggest?q=</c>: autocomplete for a search box. Completions from the person's own recent queries, the
/// queries many people searched, and the catalog's categories, brands and item titles (docs/search.md, "Suggestions").
/// </summary>
public static class SuggestApi
{
    internal static readonly string[] s_parameters = ["q", "userId", "anonymousId", "userToken", "count"];

    /// <summary>Longest text completed, in characters.</summary>
    public const int MaxQueryLength = 200;

    public static IEndpointRouteBuilder MapSuggestApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/search/suggest", Suggest)
            .WithTags("Search")
            .WithMetadata(new RequiredScope(Scope.Serve, Client: true))
            .WithName("SearchSuggest")
            .WithSummary("Complete what a person is typing in the search box")
            .WithDescription("q (what was typed so far; empty: the person's recent and the most searched queries), userId or " +
                "anonymousId, userToken (client keys), count (default 10, at most 50). Each suggestion has text and type " +
                "(query, category, brand, item) and says whether it is personal; a category carries its path, a brand its name, an item its id.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return app;
    }

    public static IResult Suggest(HttpContext context, AttuneServices s)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        string q = "";
        string? userId = null, anonymousId = null, token = null;
        int count = 10;
        foreach (var (key, values) in context.Request.Query)
        {
            string value = values.ToString();
            switch (key)
            {
                case "q": q = value; break;
                case "userId": userId = RecommendationsApi.Id(value, key, errors); break;
                case "anonymousId": anonymousId = RecommendationsApi.Id(value, key, errors); break;
                case "userToken": token = value; break;
                case "count":
                    if (SearchApi.Whole(value, key, errors) is not { } n) break;
                    if (n is < 1 or > SearchSuggestions.MaxCount) errors[key] = [$"must be from 1 to {SearchSuggestions.MaxCount}"];
                    else count = n;
                    break;
                default:
                    errors[key] = [$"unknown parameter; known: {string.Join(", ", s_parameters)}"];
                    break;
            }
        }
        if (q.Length > MaxQueryLength) errors["q"] = [$"at most {MaxQueryLength} characters"];
        if (errors.Count > 0)
            return Problems.Result(StatusCodes.Status400BadRequest, "Invalid input", string.Join("; ", errors.Select(e => $"{e.Key}: {e.Value[0]}")), errors);
        // A client key suggests for a user only with that user's token (their past queries are theirs).
        if (userId is not null && ClientKeyRules.For(context, context.RequestServices.GetRequiredService<UserTokens>())?.Check(userId, token) is { } refused)
            return ClientKeyRules.Refusal(refused);
        var answer = s.Serving.Suggest(new SuggestRequest { Query = q, UserId = userId, AnonymousId = anonymousId, Count = count });
        return Results.Ok(new
        {
            q = answer.Query,
            suggestions = answer.Suggestions.Select(x => new
            {
                text = x.Text,
                type = x.Type,
                personal = x.Personal,
                itemId = x.ItemId,
                category = x.Category,
                brand = x.Brand,
            }),
        });
    }
}
