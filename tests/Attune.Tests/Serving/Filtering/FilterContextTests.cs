using System.Text.Json;
using Attune.Serving.Filtering;
using static Attune.Tests.Serving.Filtering.FilterTestData;

namespace Attune.Tests.Serving.Filtering;

public sealed class FilterContextTests
{
    private static FilterContext FromJson(string json) => FilterContext.FromJson(JsonDocument.Parse(json).RootElement.Clone(), Now);

    [Fact]
    public void FromJsonFlattensNestedObjectsWithDots()
    {
        var context = FromJson("""{"geo": {"country": "DE", "city": {"name": "Köln", "zip": "50667"}}, "budget": 120, "vip": true}""");
        Assert.True(context.TryGet("geo.country", out var country));
        Assert.Equal("DE", country);
        Assert.True(context.TryGet("geo.city.name", out var city));
        Assert.Equal("Köln", city);
        Assert.False(context.TryGet("geo", out _));
        Assert.False(context.TryGet("geo.city", out _));
        Assert.True(context.TryGet("budget", out var budget));
        Assert.Equal(120.0, Assert.IsType<double>(budget));
        Assert.True(context.TryGet("vip", out var vip));
        Assert.Equal(true, vip);
        Assert.Equal(Now, context.Now);
        Assert.True(ItemFilter.Parse("context.geo.city.zip = '50667' and context.vip and price <= context.budget").Matches(RunningShoe, context));
    }

    [Fact]
    public void FromJsonKeepsStringArraysAndDropsNullsAndMixedArrays()
    {
        var context = FromJson("""{"brands": ["Acme", "Nova"], "none": [], "mixed": ["a", 1], "numbers": [1, 2], "gone": null}""");
        Assert.True(context.TryGet("brands", out var brands));
        Assert.Equal(["Acme", "Nova"], Assert.IsType<string[]>(brands));
        Assert.True(context.TryGet("none", out var none));
        Assert.Empty(Assert.IsType<string[]>(none));
        Assert.False(context.TryGet("mixed", out _));
        Assert.False(context.TryGet("numbers", out _));
        Assert.False(context.TryGet("gone", out _));
        Assert.True(ItemFilter.Parse("brand in context.brands").Matches(RunningShoe, context));
        Assert.False(ItemFilter.Parse("brand in context.none or brand not in context.mixed").Matches(RunningShoe, context));
        Assert.True(ItemFilter.Parse("brand not in context.none").Matches(RunningShoe, context));
    }

    [Fact]
    public void FromJsonOfNullOrUndefinedIsEmptyAndOfANonObjectIsRejected()
    {
        Assert.False(FromJson("null").TryGet("x", out _));
        Assert.False(FilterContext.FromJson(default, Now).TryGet("x", out _));
        Assert.Throws<ArgumentException>(() => FromJson("[1]"));
        Assert.Throws<ArgumentException>(() => FromJson("\"text\""));
    }

    [Fact]
    public void ContextKeysAreCaseSensitive()
    {
        var context = FromJson("""{"Budget": 50}""");
        Assert.True(context.TryGet("Budget", out _));
        Assert.False(context.TryGet("budget", out _));
        Assert.True(ItemFilter.Parse("price <= context.Budget").Matches(Shirt, context));
        Assert.False(ItemFilter.Parse("price <= context.budget").Matches(Shirt, context));
    }

    [Fact]
    public void TheConstructorNormalisesNumbersAndStringLists()
    {
        var context = new FilterContext(new Dictionary<string, object?>
        {
            ["i"] = 3, ["l"] = 4L, ["f"] = 1.5f, ["m"] = 2.5m, ["list"] = new List<string> { "a" }, ["null"] = null,
        }, Now);
        Assert.True(context.TryGet("i", out var i));
        Assert.Equal(3.0, Assert.IsType<double>(i));
        Assert.True(context.TryGet("m", out var m));
        Assert.Equal(2.5, Assert.IsType<double>(m));
        Assert.True(context.TryGet("list", out var list));
        Assert.Equal(["a"], Assert.IsType<string[]>(list));
        Assert.True(context.TryGet("null", out var missing));
        Assert.Null(missing);
        Assert.True(ItemFilter.Parse("context.i = 3 and context.l > 3.5 and context.f = 1.5 and context.m < 3 and context.list = 'A'").Matches(Shirt, context));
        Assert.False(ItemFilter.Parse("context.null = 'x' or context.null != 'x'").Matches(Shirt, context));
    }

    [Fact]
    public void TheConstructorRejectsValuesOfOtherTypes() =>
        Assert.Throws<ArgumentException>(() => new FilterContext(new Dictionary<string, object?> { ["x"] = new object() }, Now));

    [Fact]
    public void TheEmptyContextHasNoValuesAndReadsTheClock()
    {
        Assert.False(FilterContext.Empty.TryGet("anything", out var value));
        Assert.Null(value);
        var before = DateTimeOffset.UtcNow;
        var now = FilterContext.Empty.Now;
        Assert.InRange(now, before, DateTimeOffset.UtcNow);
    }
}
