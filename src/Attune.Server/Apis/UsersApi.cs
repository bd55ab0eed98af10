using Attune.Model;
using Attune.Server.Security;
using Attune.Storage;
using Attune.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Attune.Server.Apis;

public static class UsersApi
{
    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/users").WithTags("Users");

        api.MapPost("/", UpsertUsers)
            .WithName("UpsertUsers")
            .WithSummary("Create or replace users")
            .WithDescription("One user or an array of up to 10,000. A record without consent keeps the consent given before.")
            .WithMetadata(new RequiredScope(Scope.Admin))
            .Accepts<User[]>("application/json")
            .Produces<BatchResult>()
            .ProducesProblem(StatusCodes.Status400BadRequest);

        api.MapGet("/{id}", GetUser)
            .WithName("GetUser")
            .WithSummary("Read one user")
            .WithMetadata(new RequiredScope(Scope.Serve))
            .Produces<User>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/", ListUsers)
            .WithName("ListUsers")
            .WithSummary("Page through users")
            .WithMetadata(new RequiredScope(Scope.Serve))
            .Produces<Page<User>>()
            .ProducesProblem(StatusCodes.Status400BadRequest);

        api.MapDelete("/{id}", DeleteUser)
            .WithName("DeleteUser")
            .WithSummary("Erase a person")
            .WithDescription("Deletes the user record, every event of the unified profile and the links of its anonymous ids.")
            .WithMetadata(new RequiredScope(Scope.Admin))
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{id}/profile", GetProfile)
            .WithName("GetProfile")
            .WithSummary("The unified profile of a person")
            .WithDescription("Attributes, consent, event counts per type, first and last seen, channels, devices, recent items, " +
                "top categories and brands with weights, and linked anonymous ids. ?anonymous=true looks the id up as an anonymous id.")
            .WithMetadata(new RequiredScope(Scope.Serve))
            .Produces<Profile>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    public static Task<IResult> UpsertUsers(HttpContext context, AttuneServices s) =>
        BatchWrite.HandleAsync(context, s, s.Reader.ReadUser, async (users, ct) =>
        {
            await s.Store.UpsertUsersAsync(users, ct);
            await s.Serving.CatchUpAsync(ct);
        });

    public static async Task<IResult> GetUser(string id, AttuneServices s, CancellationToken ct)
    {
        if (RecordReader.CheckId(id) is { } bad) return Problems.BadField("id", bad);
        var user = await s.Store.GetUserAsync(id, ct);
        return user is null ? Problems.NotFound("User", id) : TypedResults.Ok(user with { Consent = user.Consent ?? new Consent() });
    }

    public static async Task<IResult> ListUsers(string? cursor, string? limit, AttuneServices s, CancellationToken ct)
    {
        if (Paging.Limit(limit) is not { } n) return Problems.BadField("limit", Paging.LimitProblem);
        try
        {
            var page = await s.Store.ListUsersAsync(cursor, n, ct);
            return TypedResults.Ok(new Page<User>(page.Data.Select(u => u with { Consent = u.Consent ?? new Consent() }).ToList(), page.NextCursor));
        }
        catch (FormatException e)
        {
            return Problems.BadField("cursor", e.Message);
        }
    }

    public static async Task<IResult> DeleteUser(string id, AttuneServices s, CancellationToken ct)
    {
        if (RecordReader.CheckId(id) is { } bad) return Problems.BadField("id", bad);
        if (!await s.Store.DeleteUserAsync(id, ct)) return Problems.NotFound("User", id);
        await s.Serving.CatchUpAsync(ct);
        return TypedResults.NoContent();
    }

    public static async Task<IResult> GetProfile(string id, string? anonymous, AttuneServices s, CancellationToken ct)
    {
        if (RecordReader.CheckId(id) is { } bad) return Problems.BadField("id", bad);
        if (anonymous is not (null or "true" or "false")) return Problems.BadField("anonymous", "must be true or false");
        var profile = await s.Store.GetProfileAsync(id, anonymous == "true", ct);
        return profile is null ? Problems.NotFound("Profile", id) : TypedResults.Ok(profile);
    }
}
