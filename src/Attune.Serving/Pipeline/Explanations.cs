using System.Globalization;

namespace Attune.Serving;

/// <summary>
/// Pieces of plain-language reasons that sources share: an item's title, "Popular in Shoes › Running". Each source words its
/// own reason (<see cref="Sources.ICandidateSource.Explain"/>); <see cref="Stages.ExplanationsStage"/> picks whose.
/// </summary>
public static class Explanations
{
    /// <summary>"Popular in Shoes › Running" (the item's first category), or "Popular right now".</summary>
    public static string PopularIn(ServingState state, int item)
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

    /// <summary>
    /// The item's title, or its id when it has none; when another item has the same title, the title and the id
    /// ("Trail runner (i00042)"), so that a reason never points at the wrong one of two look-alikes.
    /// </summary>
    public static string Title(ServingState state, int item)
    {
        t_named?.Add(item);
        string id = state.Catalog.Columns.Ids[item];
        if (state.Catalog.Columns.Items[item]?.Title is not { Length: > 0 } title) return id;
        return state.Catalog.TitleIsShared(title) ? $"{title} ({id})" : title;
    }

    // The items named while one item's reasons are worded (every source names items through Title), so that an answer can
    // list them by id beside the text (reasonItems) without each source reporting them.
    [ThreadStatic] private static List<int>? t_named;

    /// <summary>Starts collecting the items <see cref="Title"/> names on this thread.</summary>
    internal static void BeginNaming() => (t_named ??= t_spare ?? []).Clear();

    /// <summary>The ids of the items named since <see cref="BeginNaming"/>, in order, each once; stops collecting.</summary>
    internal static string[] EndNaming(ServingState state)
    {
        var named = t_named;
        t_named = null;
        if (named is null || named.Count == 0) return [];
        var ids = new List<string>(named.Count);
        foreach (int i in named)
        {
            string id = state.Catalog.Columns.Ids[i];
            if (!ids.Contains(id)) ids.Add(id);
        }
        named.Clear();
        t_spare = named;
        return [.. ids];
    }

    [ThreadStatic] private static List<int>? t_spare;

    /// <summary>The reason of an item a pin rule placed: it is there because a merchant put it there, not for the person.</summary>
    public const string Pinned = "Promoted: pinned by a merchandising rule";

    /// <summary>The first reason of an item a boost rule raised: the rule, then what the sources said.</summary>
    public const string Boosted = "Promoted by a merchandising rule";
}
