using System.Globalization;
using Attune.Serving.Scenarios;

namespace Attune.Serving.Pipeline;

/// <summary>
/// Plain-language reasons for an item, from the sources that contributed most to its score and the anchor item that led to
/// it: "Because you viewed X", "Frequently bought with Y", "Popular in Shoes › Running", "Trending now", "New in a brand you
/// like". A person who opted out of personalization is told so.
/// </summary>
internal static class Explanations
{
    public static string[] For(ServingState state, ServingContext ctx, RecommendationPipeline pipeline, int item, string scenario)
    {
        var person = pipeline.Person;
        var (first, second) = pipeline.TopSources(item);
        string? a = Reason(state, pipeline, item, first, scenario);
        string? b = second != first ? Reason(state, pipeline, item, second, scenario) : null;
        if (!person.Personalized && person.Id is not null && ctx.IsOptedOut(person.Id))
            return [a ?? "Popular right now", "Not personalized: you turned personalization off"];
        if (a is null) return [PopularIn(state, item)];
        return b is null || b == a ? [a] : [a, b];
    }

    private static string? Reason(ServingState state, RecommendationPipeline pipeline, int item, byte source, string scenario)
    {
        if (source == 255) return null;
        var person = pipeline.Person;
        var anchors = pipeline.Anchors;
        switch ((Source)source)
        {
            case Source.Viewed:
            {
                int anchor = BestNeighbourAnchor(state.Bundle.ViewedTogether, anchors, item);
                if (anchor < 0) return null;
                return scenario is "similar" ? $"People who viewed {Title(state, anchor)} also viewed this" : $"Because you viewed {Title(state, anchor)}";
            }
            case Source.Bought:
            {
                int anchor = BestNeighbourAnchor(state.Bundle.BoughtTogether, anchors, item);
                return anchor < 0 ? null : $"Frequently bought with {Title(state, anchor)}";
            }
            case Source.Als:
            {
                int anchor = ClosestInFactors(state, person.Recent, item);
                return anchor < 0 ? "Picked for you from your activity" : $"Based on your interest in {Title(state, anchor)}";
            }
            case Source.Sequence:
                return person.Recent.Count > 0 ? $"Often viewed next after {Title(state, person.Recent[0])}" : null;
            case Source.Content:
            {
                int anchor = SameCategoryAnchor(state, anchors, item);
                return anchor < 0 ? null : $"Similar to {Title(state, anchor)}";
            }
            case Source.Popularity:
                return PopularIn(state, item);
            case Source.Trending:
                return "Trending now";
            case Source.New:
            {
                int brand = state.Catalog.Columns.Brand[item];
                return brand != 0 && person.Brands.Contains(brand) ? "New in a brand you like" : "New arrival";
            }
            case Source.Cart:
                return "Still in your cart";
        }
        return null;
    }

    private static string PopularIn(ServingState state, int item)
    {
        int category = state.Catalog.Columns.Category[item];
        return category == 0 ? "Popular right now" : $"Popular in {Humanize(state.Catalog.NameOf(category))}";
    }

    /// <summary><c>shoes/running-shoes</c> → <c>Shoes › Running shoes</c>.</summary>
    public static string Humanize(string path)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (int k = 0; k < parts.Length; k++)
        {
            string p = parts[k].Replace('-', ' ').Replace('_', ' ');
            parts[k] = p.Length == 0 ? p : char.ToUpper(p[0], CultureInfo.InvariantCulture) + p[1..];
        }
        return string.Join(" › ", parts);
    }

    private static string Title(ServingState state, int item) =>
        state.Catalog.Columns.Items[item]?.Title is { Length: > 0 } title ? title : state.Catalog.Columns.Ids[item];

    private static int BestNeighbourAnchor(Attune.Algorithms.ItemKnn.ItemKnnModel? model, IReadOnlyList<int> anchors, int item)
    {
        if (model is null) return -1;
        int best = -1;
        float bestSim = 0;
        foreach (int a in anchors)
        {
            if ((uint)a >= (uint)model.Items) continue;
            var (ids, sims) = model.Neighbours(a);
            var idSpan = ids.Span;
            for (int p = 0; p < idSpan.Length; p++)
            {
                if (idSpan[p] != item) continue;
                if (sims.Span[p] >= bestSim) { bestSim = sims.Span[p]; best = a; }
                break;
            }
        }
        return best;
    }

    private static int ClosestInFactors(ServingState state, IReadOnlyList<int> recent, int item)
    {
        if (state.Bundle.Als is not { } als || item >= als.Items) return -1;
        var target = als.ItemVector(item);
        var norms = state.ItemNorms;
        float targetNorm = norms[item];
        int best = -1;
        float bestCos = 0.2f; // below this the link is too weak to name
        foreach (int h in recent)
        {
            if (h >= als.Items || h == item) continue;
            var v = als.ItemVector(h);
            float cos = System.Numerics.Tensors.TensorPrimitives.Dot(v, target) / (norms[h] * targetNorm + 1e-9f);
            if (cos > bestCos) { bestCos = cos; best = h; }
        }
        return best;
    }

    private static int SameCategoryAnchor(ServingState state, IReadOnlyList<int> anchors, int item)
    {
        var category = state.Catalog.Columns.Category;
        var department = state.Catalog.Columns.Department;
        int sameDepartment = -1;
        for (int k = anchors.Count - 1; k >= 0; k--)
        {
            int a = anchors[k];
            if (category[a] == category[item] && category[a] != 0) return a;
            if (sameDepartment < 0 && department[a] == department[item] && department[a] != 0) sameDepartment = a;
        }
        return sameDepartment >= 0 ? sameDepartment : anchors.Count > 0 ? anchors[^1] : -1;
    }
}
