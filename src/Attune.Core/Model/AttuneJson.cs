using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Attune.Model;

/// <summary>The one JSON shape of Attune: camelCase, nulls left out, ISO 8601 times.</summary>
public static class AttuneJson
{
    public static readonly JsonSerializerOptions Options = Create();

    public static JsonSerializerOptions Create()
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }

    /// <summary>Options for request parsing: bounded depth, no comments, no trailing commas.</summary>
    public static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = Validation.Limits.MaxJsonDepth };
}
