using System.Net;
using System.Text.Json;

namespace Attune.Tests.Server;

internal static class HttpAssert
{
    /// <summary>Asserts a problem+json answer with the status, and returns its body.</summary>
    public static async Task<JsonElement> Problem(HttpResponseMessage response, HttpStatusCode status)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var doc = JsonDocument.Parse(body).RootElement;
        Assert.Equal((int)status, doc.GetProperty("status").GetInt32());
        return doc;
    }

    /// <summary>Asserts that the problem names <paramref name="field"/> among its errors.</summary>
    public static async Task<JsonElement> ProblemNaming(HttpResponseMessage response, HttpStatusCode status, string field)
    {
        var doc = await Problem(response, status);
        Assert.True(doc.TryGetProperty("errors", out var errors), $"no errors in {doc}");
        Assert.True(errors.TryGetProperty(field, out _), $"'{field}' not among {errors}");
        return doc;
    }

    public static async Task<JsonElement> Ok(HttpResponseMessage response)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"expected success, got {(int)response.StatusCode}: {body}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement;
    }
}
