using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace Attune.Server.Apis;

/// <summary>
/// <c>GET /sdk/attune.js</c>: the JavaScript tracker (<c>Sdk/attune.js</c>, embedded in this assembly), served by Attune itself
/// with no key (it holds none: the page passes its ingest key to <c>Attune.init</c>), cacheable and revalidated by ETag.
/// </summary>
public static class SdkApi
{
    private static readonly Lazy<(byte[] Body, string ETag)> s_tracker = new(Load);

    public static IEndpointRouteBuilder MapSdkApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/sdk/attune.js", Tracker)
            .WithName("Tracker")
            .WithSummary("The JavaScript tracker: page views, clicks on recommendations, identify; batched and retried")
            .WithTags("System")
            .ExcludeFromDescription();
        return app;
    }

    public static IResult Tracker(HttpContext context)
    {
        var (body, etag) = s_tracker.Value;
        var headers = context.Response.Headers;
        headers.ETag = etag;
        headers.CacheControl = "public, max-age=300";
        headers.XContentTypeOptions = "nosniff";
        foreach (var candidate in context.Request.GetTypedHeaders().IfNoneMatch)
        {
            if (candidate.Tag.Value == etag || candidate.Equals(EntityTagHeaderValue.Any)) return Results.StatusCode(StatusCodes.Status304NotModified);
        }
        return Results.Bytes(body, "text/javascript; charset=utf-8");
    }

    private static (byte[], string) Load()
    {
        using var stream = typeof(SdkApi).Assembly.GetManifestResourceStream("Attune.Server.Sdk.attune.js")
            ?? throw new InvalidOperationException("the tracker is not embedded in Attune.Server");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        byte[] body = copy.ToArray();
        return (body, $"\"{Convert.ToHexStringLower(SHA256.HashData(body))[..32]}\"");
    }
}
