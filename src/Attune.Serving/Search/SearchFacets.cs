using System.Globalization;
using Attune.Model;
using Attune.Serving.Catalog;
using Attune.Serving.Sources;

namespace Attune.Serving.Search;

/// <summary>One value of a facet and how many matches have it; a price range has <see cref="From"/> and <see cref="To"/>.</summary>
public sealed record FacetValue(string Value, int Count, double? From = null, double? To = null);

/// <summary>
/// Facet counts of a search: over the best <see cref="SearchSource.Depth"/> matches of the query (words and meaning) that the
/// request's filter keeps and a shopper may see, how many have each category, brand, tag, stock state, property value or
/// price range. Fields: <c>category</c> (the item's first category path), <c>department</c> (its first segment),
/// <c>categories</c> (every path), <c>brand</c>, <c>tags</c>, <c>inStock</c>, <c>price</c> (about five ranges with round
/// bounds) and <c>properties.NAME</c> for any property some item of the catalog has.
/// </summary>
public static class SearchFacets
{
    public static IReadOnlyList<string> BuiltIn { get; } = ["category", "department", "categories", "brand", "tags", "inStock", "price"];

    /// <summary>Values listed per facet, most frequent first (price ranges are all listed).</summary>
    public const int MaxValues = 20;

    /// <summary>At most this many facets per request.</summary>
    public const int MaxFacets = 10;

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<CatalogColumns, PropertyNames> s_properties = [];

    private sealed class PropertyNames(int count, HashSet<string> names)
    {
        public int Count { get; } = count;
        public HashSet<string> Names { get; } = names;
    }

    /// <summary>Why <paramref name="fields"/> cannot be counted (an unknown field, too many), or null when they can.</summary>
    public static string? Check(ServingEngine engine, IReadOnlyList<string> fields)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(fields);
        if (fields.Count > MaxFacets) return $"at most {MaxFacets} facets";
        HashSet<string>? properties = null;
        foreach (string field in fields)
        {
            if (BuiltIn.Contains(field, StringComparer.Ordinal)) continue;
            if (field.StartsWith("properties.", StringComparison.Ordinal) && field.Length > 11)
            {
                properties ??= engine.State is { } state ? PropertiesOf(state.Catalog.Columns) : [];
                if (properties.Contains(field[11..])) continue;
                return $"no item has the property '{field[11..]}'";
            }
            return $"unknown facet field '{field}'; known: {string.Join(", ", BuiltIn)}, properties.NAME";
        }
        return null;
    }

    /// <summary>Field → counted values, for the request's query and filter.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<FacetValue>> Count(ServingEngine engine, RecommendationRequest request,
        IReadOnlyList<string> fields)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(request);
        var result = new Dictionary<string, IReadOnlyList<FacetValue>>(StringComparer.Ordinal);
        if (fields.Count == 0 || request.Query is not { } query || engine.State is not { } state) return result;
        var columns = state.Catalog.Columns;
        var matches = new List<Item>();
        foreach (var hit in engine.Search.Find(query, SearchSource.Depth))
        {
            int j = state.Catalog.IndexOf(hit.ItemId);
            if (j < 0 || !columns.Showable[j] || columns.Items[j] is not { } item) continue;
            if (request.Filter is { } filter && !filter.Matches(item, request.Context)) continue;
            matches.Add(item);
        }
        foreach (string field in fields.Distinct(StringComparer.Ordinal))
            result[field] = field == "price" ? PriceRanges(matches) : Values(matches, field);
        return result;
    }

    private static List<FacetValue> Values(List<Item> matches, string field)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in matches)
        {
            seen.Clear();
            foreach (string value in ValuesOf(item, field))
                if (seen.Add(value)) counts[value] = counts.GetValueOrDefault(value) + 1;
        }
        var list = new List<FacetValue>(counts.Count);
        foreach (var (value, count) in counts) list.Add(new FacetValue(value, count));
        list.Sort(static (a, b) => a.Count != b.Count ? b.Count.CompareTo(a.Count) : string.CompareOrdinal(a.Value, b.Value));
        if (list.Count > MaxValues) list.RemoveRange(MaxValues, list.Count - MaxValues);
        return list;
    }

    private static IEnumerable<string> ValuesOf(Item item, string field)
    {
        switch (field)
        {
            case "category":
                if (item.Categories.Count > 0) yield return item.Categories[0];
                break;
            case "department":
                if (item.Categories.Count > 0) yield return item.Categories[0].Split('/')[0];
                break;
            case "categories":
                foreach (string c in item.Categories) yield return c;
                break;
            case "brand":
                if (item.Brand is { } brand) yield return brand;
                break;
            case "tags":
                foreach (string t in item.Tags) yield return t;
                break;
            case "inStock":
                yield return item.InStock ? "true" : "false";
                break;
            default:
                if (!item.Properties.TryGetValue(field[11..], out var value) || value is null) break;
                switch (value)
                {
                    case string s: yield return s; break;
                    case bool b: yield return b ? "true" : "false"; break;
                    case double d: yield return d.ToString(CultureInfo.InvariantCulture); break;
                    case IEnumerable<string> many: foreach (string m in many) yield return m; break;
                    case System.Text.Json.JsonElement e: yield return e.ToString(); break;
                    default: yield return Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""; break;
                }
                break;
        }
    }

    /// <summary>About five ranges with round bounds (a step of 1, 2 or 5 times a power of ten) covering the matches' prices.</summary>
    private static List<FacetValue> PriceRanges(List<Item> matches)
    {
        double min = double.MaxValue, max = double.MinValue;
        foreach (var item in matches)
        {
            if (item.Price is not { } p) continue;
            min = Math.Min(min, p);
            max = Math.Max(max, p);
        }
        if (min > max) return [];
        double raw = Math.Max((max - min) / 5, 0.01);
        double power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = raw / power <= 1 ? power : raw / power <= 2 ? 2 * power : raw / power <= 5 ? 5 * power : 10 * power;
        double start = Math.Floor(min / step) * step;
        int buckets = Math.Max(1, (int)Math.Floor((max - start) / step) + 1);
        var counts = new int[buckets];
        foreach (var item in matches)
            if (item.Price is { } p) counts[Math.Clamp((int)Math.Floor((p - start) / step), 0, buckets - 1)]++;
        var list = new List<FacetValue>(buckets);
        for (int b = 0; b < buckets; b++)
        {
            if (counts[b] == 0) continue;
            double from = Math.Round(start + b * step, 2), to = Math.Round(start + (b + 1) * step, 2);
            list.Add(new FacetValue(string.Create(CultureInfo.InvariantCulture, $"{from}-{to}"), counts[b], from, to));
        }
        return list;
    }

    private static HashSet<string> PropertiesOf(CatalogColumns columns)
    {
        int n = columns.Count;
        if (s_properties.TryGetValue(columns, out var known) && known.Count == n) return known.Names;
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int j = 0; j < n; j++)
            if (columns.Items[j] is { } item) foreach (string key in item.Properties.Keys) names.Add(key);
        s_properties.AddOrUpdate(columns, new PropertyNames(n, names));
        return names;
    }
}
