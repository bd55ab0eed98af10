using Attune.Model;
using Attune.Server.Security;
using Attune.Storage;
using Attune.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Attune.Server.Apis;

public static class ItemsApi
{
    public static IEndpointRouteBuilder MapItemsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/items").WithTags("Items");

        api.MapPost("/", UpsertItems)
            .WithName("UpsertItems")
            .WithSummary("Create or replace catalog items")
            .WithDescription("One item or an array of up to 10,000; an item with a known id is replaced.")
            .WithMetadata(new RequiredScope(Scope.Admin))
            .Accepts<Item[]>("application/json")
            .Produces<BatchResult>()
            .ProducesProblem(StatusCodes.Status400BadRequest);

        api.MapGet("/{id}", GetItem)
            .WithName("GetItem")
            .WithSummary("Read one item")
            .WithMetadata(new RequiredScope(Scope.Serve))
            .Produces<Item>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/", ListItems)
            .WithName("ListItems")
            .WithSummary("Page through the catalog")
            .WithDescription("Pass the answer's nextCursor back as cursor for the next page; limit 1–1000 (default 100).")
            .WithMetadata(new RequiredScope(Scope.Serve))
            .Produces<Page<Item>>()
            .ProducesProblem(StatusCodes.Status400BadRequest);

        api.MapDelete("/{id}", DeleteItem)
            .WithName("DeleteItem")
            .WithSummary("Remove an item from the catalog")
            .WithDescription("Past events that name the item are kept.")
            .WithMetadata(new RequiredScope(Scope.Admin))
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    public static Task<IResult> UpsertItems(HttpContext context, AttuneServices s) =>
        BatchWrite.HandleAsync(context, s, s.Reader.ReadItem, async (items, ct) =>
        {
            await s.Store.UpsertItemsAsync(items, ct);
            await s.Serving.CatchUpAsync(ct);
        });

    public static async Task<IResult> GetItem(string id, AttuneServices s, CancellationToken ct)
    {
        if (RecordReader.CheckId(id) is { } bad) return Problems.BadField("id", bad);
        var item = await s.Store.GetItemAsync(id, ct);
        return item is null ? Problems.NotFound("Item", id) : TypedResults.Ok(item);
    }

    public static async Task<IResult> ListItems(string? cursor, string? limit, AttuneServices s, CancellationToken ct)
    {
        if (Paging.Limit(limit) is not { } n) return Problems.BadField("limit", Paging.LimitProblem);
        try
        {
            return TypedResults.Ok(await s.Store.ListItemsAsync(cursor, n, ct));
        }
        catch (FormatException e)
        {
            return Problems.BadField("cursor", e.Message);
        }
    }

    public static async Task<IResult> DeleteItem(string id, AttuneServices s, CancellationToken ct)
    {
        if (RecordReader.CheckId(id) is { } bad) return Problems.BadField("id", bad);
        if (!await s.Store.DeleteItemAsync(id, ct)) return Problems.NotFound("Item", id);
        await s.Serving.CatchUpAsync(ct);
        return TypedResults.NoContent();
    }
}

internal static class Paging
{
    public const string LimitProblem = "must be a whole number from 1 to 1000";

    public static int? Limit(string? text)
    {
        if (string.IsNullOrEmpty(text)) return 100;
        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n)
            && n is >= 1 and <= 1000 ? n : null;
    }
}
