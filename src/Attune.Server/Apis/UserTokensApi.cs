using System.Text.Json;
using Attune.Api;
using Attune.Server.Security;
using Attune.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Attune.Server.Apis;

/// <summary>
/// <c>POST /v1/user-tokens</c>: the backend asks for a user token (<see cref="UserToken"/>) to hand to the signed-in user's
/// browser or app, which presents it with a <c>client</c> key. A backend holding a configured secret can compute the same
/// token itself (docs/api.md "Client keys").
/// </summary>
public static class UserTokensApi
{
    public const int DefaultTtlSeconds = 86400;

    public static IEndpointRouteBuilder MapUserTokensApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/user-tokens", Issue)
            .WithName("CreateUserToken")
            .WithTags("Keys")
            .WithSummary("Issue a user token for a browser or app using a client key")
            .WithDescription("Body: {\"userId\": \"u00001\", \"ttlSeconds\": 86400} (ttlSeconds 60 to 7,776,000; default one day). " +
                "Answer: {userId, token, expiresAt}. The token is v1.EXPIRES.base64url(HMAC-SHA256(secret, \"v1|USERID|EXPIRES\")).")
            .WithMetadata(new RequiredScope(Scope.Serve))
            .Accepts<UserTokenInput>("application/json")
            .Produces<UserTokenOutput>()
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return app;
    }

    public static async Task<IResult> Issue(HttpContext context, AttuneServices s, UserTokens tokens)
    {
        var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
        if (problem is not null) return problem;
        using (body)
        {
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            string? userId = null;
            int ttl = DefaultTtlSeconds;
            foreach (var p in body!.Records[0].EnumerateObject())
            {
                switch (p.Name)
                {
                    case "userId":
                        if (p.Value.ValueKind != JsonValueKind.String) errors[p.Name] = ["must be a string"];
                        else if (RecordReader.CheckId(p.Value.GetString()!) is { } bad) errors[p.Name] = [bad];
                        else userId = p.Value.GetString();
                        break;
                    case "ttlSeconds":
                        if (p.Value.ValueKind == JsonValueKind.Null) break;
                        if (p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt32(out int t) && t is >= 60 and <= UserTokens.MaxTtlSeconds) ttl = t;
                        else errors[p.Name] = [$"must be a whole number of seconds from 60 to {UserTokens.MaxTtlSeconds:N0} (90 days)"];
                        break;
                    default:
                        errors[p.Name] = ["unknown field; known fields: userId, ttlSeconds"];
                        break;
                }
            }
            if (userId is null && !errors.ContainsKey("userId")) errors["userId"] = ["is required"];
            if (errors.Count > 0)
                return Problems.Result(StatusCodes.Status400BadRequest, "Invalid input", string.Join("; ", errors.Select(e => $"{e.Key}: {e.Value[0]}")), errors);
            var (token, expiresAt) = tokens.Issue(userId!, ttl);
            return TypedResults.Ok(new UserTokenOutput(userId!, token, expiresAt));
        }
    }
}
