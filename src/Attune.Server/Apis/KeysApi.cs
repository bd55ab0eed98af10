using System.Text.Json;
using Attune.Server.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Attune.Server.Apis;

/// <summary>
/// API keys: the configured ones (read-only here) and the ones stored in the database (created with scopes, revoked). The
/// clear key is in the creation's answer only; listings never carry keys or hashes.
/// </summary>
public static class KeysApi
{
    public static IEndpointRouteBuilder MapKeysApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/keys").WithTags("Keys").WithMetadata(new RequiredScope(Scope.Admin));

        api.MapGet("/", (KeyBook book) => TypedResults.Ok(book.List()))
            .WithName("ListKeys")
            .WithSummary("Every API key: name, scopes, source (configuration or database), created, createdBy, revoked, origins")
            .Produces<IReadOnlyList<ApiKeyInfo>>();

        api.MapPost("/", Create)
            .WithName("CreateKey")
            .WithSummary("Create a key stored in the database; the answer holds the key in clear, the only time it is shown")
            .WithDescription("Body: {\"name\": \"web-tracker\", \"scopes\": [\"client\"], \"origins\": [\"https://shop.example.com\"]}. " +
                "Scopes: admin, ingest, serve, viewer, client. origins: the web origins that may use the key from a browser (CORS; * = any). While the " +
                "server has no admin key (no keys at all: open on loopback), the new key must have the admin scope: from it on, keys are required.")
            .Accepts<KeyRequest>("application/json")
            .Produces<NewKeyAnswer>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest);

        api.MapDelete("/{name}", Revoke)
            .WithName("RevokeKey")
            .WithSummary("Revoke a stored key: refused at once; it stays listed with the time it was revoked")
            .Produces<ApiKeyInfo>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    /// <summary>The body of <c>POST /v1/keys</c>.</summary>
    public sealed record KeyRequest(string Name, IReadOnlyList<string> Scopes, IReadOnlyList<string>? Origins = null);

    /// <summary>The answer of <c>POST /v1/keys</c>: the key in clear (shown this once) and its listing.</summary>
    public sealed record NewKeyAnswer(string Key, string Name, IReadOnlyList<string> Scopes, string Source, DateTimeOffset? Created,
        string? CreatedBy, DateTimeOffset? Revoked, IReadOnlyList<string>? Origins);

    public static async Task<IResult> Create(HttpContext context, AttuneServices s, KeyBook book)
    {
        var (body, problem) = await RequestBody.ReadRecordsAsync(context, s.Options.MaxRequestBodyBytes, allowBatch: false);
        if (problem is not null) return problem;
        using (body)
        {
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            var (name, scopes, origins) = Read(body!.Records[0], errors);
            try
            {
                if (errors.Count > 0)
                {
                    // Name every bad field at once: what was readable is checked too.
                    var more = new Dictionary<string, string[]>(StringComparer.Ordinal);
                    KeyBook.Check(name, scopes, more);
                    KeyBook.CheckOrigins(origins, more);
                    foreach (var (field, messages) in more) errors.TryAdd(field, messages);
                    throw KeyRefusedException.Invalid(errors);
                }
                var (key, info) = await book.CreateAsync(name, scopes, ApiKeyMiddleware.KeyName(context), context.RequestAborted, origins);
                return TypedResults.Created($"/v1/keys/{info.Name}",
                    new NewKeyAnswer(key, info.Name, info.Scopes, info.Source, info.Created, info.CreatedBy, info.Revoked, info.Origins));
            }
            catch (KeyRefusedException e)
            {
                return Failure(e);
            }
        }
    }

    public static async Task<IResult> Revoke(string name, KeyBook book, CancellationToken ct)
    {
        try
        {
            return TypedResults.Ok(await book.RevokeAsync(name, ct));
        }
        catch (KeyRefusedException e)
        {
            return Failure(e);
        }
    }

    /// <summary>Reads <c>{"name", "scopes", "origins"}</c>: wrong types and unknown fields are named here; missing or bad values by
    /// <see cref="KeyBook.CreateAsync"/>, which the console calls too.</summary>
    private static (string? Name, List<string>? Scopes, List<string>? Origins) Read(JsonElement json, Dictionary<string, string[]> errors)
    {
        string? name = null;
        List<string>? scopes = null, origins = null;
        foreach (var p in json.EnumerateObject())
        {
            switch (p.Name)
            {
                case "name":
                    if (p.Value.ValueKind == JsonValueKind.String) name = p.Value.GetString();
                    else errors["name"] = ["must be a string"];
                    break;
                case "scopes":
                    if (p.Value.ValueKind != JsonValueKind.Array) { errors["scopes"] = ["must be an array of scope names"]; break; }
                    scopes = [];
                    foreach (var e in p.Value.EnumerateArray())
                    {
                        if (e.ValueKind != JsonValueKind.String) errors[$"scopes[{scopes.Count}]"] = ["must be a scope name (a string)"];
                        scopes.Add(e.ValueKind == JsonValueKind.String ? e.GetString()! : "");
                    }
                    break;
                case "origins":
                    if (p.Value.ValueKind == JsonValueKind.Null) break;
                    if (p.Value.ValueKind != JsonValueKind.Array) { errors["origins"] = ["must be an array of origins (https://shop.example.com)"]; break; }
                    origins = [];
                    foreach (var e in p.Value.EnumerateArray())
                    {
                        if (e.ValueKind != JsonValueKind.String) errors[$"origins[{origins.Count}]"] = ["must be an origin (a string)"];
                        origins.Add(e.ValueKind == JsonValueKind.String ? e.GetString()! : "*invalid*");
                    }
                    break;
                default:
                    errors[p.Name] = ["unknown field; known fields: name, scopes, origins"];
                    break;
            }
        }
        return (name, scopes, origins);
    }

    private static IResult Failure(KeyRefusedException e) => Problems.Result(e.Status, e.Title, e.Message, e.Errors);
}
