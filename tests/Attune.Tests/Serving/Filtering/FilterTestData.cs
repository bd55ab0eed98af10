using Attune.Model;
using Attune.Serving.Filtering;

namespace Attune.Tests.Serving.Filtering;

/// <summary>A small fixed catalog and request context covering every field, property type and missing value.</summary>
internal static class FilterTestData
{
    public static readonly DateTimeOffset Now = new(2026, 2, 1, 0, 0, 0, TimeSpan.Zero);

    public static readonly Item RunningShoe = new()
    {
        Id = "shoe-1",
        Title = "Red Running Shoe",
        Description = "Light and fast",
        Brand = "Acme",
        Price = 89.5,
        Currency = "EUR",
        InStock = true,
        Tags = ["sale", "new"],
        Categories = ["shoes/running", "sport"],
        PublishedAt = new DateTimeOffset(2026, 1, 10, 8, 0, 0, TimeSpan.Zero),
        Properties = new Dictionary<string, object>
        {
            ["color"] = "red",
            ["size"] = 42.0,
            ["organic"] = false,
            ["sizes"] = new[] { "40", "41", "42" },
        },
    };

    public static readonly Item Boot = new()
    {
        Id = "boot-1",
        Title = "Leather Boot",
        Description = "Warm \"winter\" boot",
        Brand = "Zenith",
        Price = 150,
        Currency = "USD",
        InStock = false,
        Tags = ["winter"],
        Categories = ["shoes/boots"],
        PublishedAt = new DateTimeOffset(2025, 12, 1, 0, 59, 59, TimeSpan.FromHours(1)), // 2025-11-30T23:59:59Z
        Properties = new Dictionary<string, object>
        {
            ["color"] = "Brown",
            ["size"] = 44.0,
            ["waterproof"] = true,
        },
    };

    /// <summary>Out of stock; no brand, price, publishedAt, tags or properties.</summary>
    public static readonly Item Book = new()
    {
        Id = "book-1",
        Title = "Shoestring Budget Cooking",
        InStock = false,
        Categories = ["shoestring", "books/cooking"],
    };

    public static readonly Item Shirt = new()
    {
        Id = "shirt-1",
        Title = "Linen Shirt",
        Description = "It's linen",
        Brand = "acme",
        Price = 35,
        Currency = "eur",
        InStock = true,
        Tags = ["SALE"],
        Categories = ["clothing/shirts"],
        PublishedAt = new DateTimeOffset(2026, 1, 31, 0, 0, 0, TimeSpan.Zero),
        Properties = new Dictionary<string, object>
        {
            ["color"] = 7.0, // a number where other items hold text
            ["sizes"] = new[] { "M", "L" },
            ["release"] = "2026-01-05",
        },
    };

    public static readonly Item GiftCard = new()
    {
        Id = "gift-1",
        Title = "Gift Card",
        Price = 0,
        InStock = true,
        Tags = ["gift"],
        PublishedAt = new DateTimeOffset(2026, 1, 31, 23, 59, 59, 999, TimeSpan.Zero),
        Properties = new Dictionary<string, object>
        {
            ["organic"] = true,
            ["color"] = new[] { "red", "green" },
            ["release"] = "soon",
        },
    };

    public static readonly Item[] Items = [RunningShoe, Boot, Book, Shirt, GiftCard];

    public static readonly FilterContext Context = new(new Dictionary<string, object?>
    {
        ["budget"] = 100.0,
        ["geo.country"] = "DE",
        ["brands"] = new[] { "ACME", "Nova" },
        ["since"] = "2026-01-31",
        ["flag"] = true,
        ["off"] = false,
        ["minSize"] = 42.0,
        ["category"] = "shoes",
        ["word"] = "LINEN",
        ["nothing"] = null,
    }, Now);

    /// <summary>The ids of the fixture items the filter keeps, in fixture order.</summary>
    public static string[] Ids(string filter, FilterContext? context = null)
    {
        var f = ItemFilter.Parse(filter);
        var ids = new List<string>();
        foreach (var item in Items)
            if (f.Matches(item, context ?? Context)) ids.Add(item.Id);
        return [.. ids];
    }

    public static bool Matches(string filter, Item item, FilterContext? context = null) =>
        ItemFilter.Parse(filter).Matches(item, context ?? Context);
}
