using System.Text.Json;
using Attune.Validation;

namespace Attune.Decisions.Features;

/// <summary>
/// Turns JSON features into hashed ones, as Vowpal Wabbit's JSON reader does for Personalizer's bodies: a feature object, or a
/// list of them (<c>"contextFeatures": [{"user": {…}}, {"device": {…}}]</c>). Names are paths (<c>device.os</c>):
/// a string value is an indicator of <c>path=value</c>, a number is the feature <c>path</c> with that value, <c>true</c> is
/// <c>path</c> = 1 (<c>false</c> adds nothing), an object nests its names, an array adds each element under the same path
/// (numbers by position: <c>path[2]</c>). Names starting with <c>_</c> are metadata, not features (as in Personalizer).
/// Anything else (<c>null</c>, a non-finite number) is rejected with the field's path.
/// </summary>
public static class Featurizer
{
    /// <summary>Deepest nesting read; deeper input is refused rather than recursed into.</summary>
    public const int MaxDepth = 8;

    /// <summary>Most features one set may have (a guard against pathological bodies, far above any real one).</summary>
    public const int MaxFeatures = 4096;

    /// <summary>Longest feature path hashed whole; longer ones are cut (their hashes may then coincide).</summary>
    private const int MaxPath = 512;

    /// <summary>Adds the features of <paramref name="element"/> to <paramref name="into"/>; null when they are valid, else the problem.</summary>
    /// <param name="field">The element's field name in the request, for the problem (<c>contextFeatures</c>).</param>
    public static FieldError? Add(JsonElement element, FeatureSet into, string field)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                return AddObject(element, into, Span<char>.Empty, field, 0);
            case JsonValueKind.Array:
                int i = 0;
                foreach (var part in element.EnumerateArray())
                {
                    string at = $"{field}[{i++}]";
                    if (part.ValueKind != JsonValueKind.Object) return new FieldError(at, "must be an object of features");
                    if (AddObject(part, into, Span<char>.Empty, at, 0) is { } bad) return bad;
                }
                return null;
            case JsonValueKind.Undefined or JsonValueKind.Null:
                return null;
            default:
                return new FieldError(field, "must be an object of features or an array of such objects");
        }
    }

    /// <summary>A field's path in the request, made into text only for a problem (a valid body allocates none).</summary>
    private readonly record struct FieldPath(string Parent, string? Name, int Index = -1)
    {
        public override string ToString() => Name is not null ? $"{Parent}.{Name}" : $"{Parent}[{Index}]";
    }

    private static FieldError? AddObject(JsonElement obj, FeatureSet into, ReadOnlySpan<char> prefix, string field, int depth)
    {
        if (depth >= MaxDepth) return new FieldError(field, $"nests deeper than {MaxDepth} levels");
        Span<char> path = stackalloc char[MaxPath];
        foreach (var p in obj.EnumerateObject())
        {
            string name = p.Name;
            if (name.Length == 0) return new FieldError(field, "has a feature with an empty name");
            if (name[0] == '_') continue;
            int length = Compose(prefix, name, path);
            if (AddValue(p.Value, into, path[..length], new FieldPath(field, name), depth + 1) is { } bad) return bad;
        }
        return null;
    }

    private static int Compose(ReadOnlySpan<char> prefix, string name, Span<char> into)
    {
        int n = 0;
        foreach (char c in prefix) if (n < into.Length) into[n++] = c;
        if (prefix.Length > 0 && n < into.Length) into[n++] = '.';
        foreach (char c in name) if (n < into.Length) into[n++] = c;
        return n;
    }

    private static FieldError? AddValue(JsonElement value, FeatureSet into, ReadOnlySpan<char> path, FieldPath field, int depth)
    {
        if (into.Count >= MaxFeatures) return new FieldError(field.ToString(), $"more than {MaxFeatures} features in one set");
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
            {
                uint h = FeatureHash.Continue(FeatureHash.Continue(FeatureHash.Seed, path), '=');
                into.Add(FeatureHash.Finish(FeatureHash.Continue(h, value.GetString())), 1f);
                return null;
            }
            case JsonValueKind.Number:
            {
                double d = value.GetDouble();
                if (!double.IsFinite(d) || Math.Abs(d) > float.MaxValue) return new FieldError(field.ToString(), "must be a finite number");
                if (d != 0) into.Add(FeatureHash.Of(path), (float)d);
                return null;
            }
            case JsonValueKind.True:
                into.Add(FeatureHash.Of(path), 1f);
                return null;
            case JsonValueKind.False:
                return null;
            case JsonValueKind.Object:
                return AddObject(value, into, path, field.ToString(), depth);
            case JsonValueKind.Array:
            {
                if (depth >= MaxDepth) return new FieldError(field.ToString(), $"nests deeper than {MaxDepth} levels");
                int i = 0;
                Span<char> indexed = stackalloc char[MaxPath + 12];
                foreach (var element in value.EnumerateArray())
                {
                    if (element.ValueKind == JsonValueKind.Number)
                    {
                        double d = element.GetDouble();
                        if (!double.IsFinite(d) || Math.Abs(d) > float.MaxValue) return new FieldError($"{field}[{i}]", "must be a finite number");
                        path.CopyTo(indexed);
                        int n = path.Length;
                        indexed[n++] = '[';
                        i.TryFormat(indexed[n..], out int written, default, System.Globalization.CultureInfo.InvariantCulture);
                        n += written;
                        indexed[n++] = ']';
                        if (d != 0) into.Add(FeatureHash.Of(indexed[..n]), (float)d);
                    }
                    else if (AddValue(element, into, path, new FieldPath(field.ToString(), null, i), depth + 1) is { } bad) return bad;
                    i++;
                }
                return null;
            }
            default:
                return new FieldError(field.ToString(), "must be a number, a string, a boolean, an array or an object of features, not null");
        }
    }

    /// <summary>Adds the indicator of one named value (an action's id: <c>_id=summer-sale</c>), with <paramref name="weight"/> as its value.</summary>
    public static void AddIndicator(FeatureSet into, string name, string value, float weight = 1f)
    {
        uint h = FeatureHash.Continue(FeatureHash.Continue(FeatureHash.Seed, name), '=');
        into.Add(FeatureHash.Finish(FeatureHash.Continue(h, value)), weight);
    }
}
