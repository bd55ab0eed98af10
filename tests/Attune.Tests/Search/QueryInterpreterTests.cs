using Attune.Model;
using Attune.Search.Understanding;

namespace Attune.Tests.Search;

/// <summary>Query understanding: price ranges in the words people use, and the catalog's own brands, categories and colours.</summary>
public sealed class QueryInterpreterTests
{
    private static QueryInterpreter Trained()
    {
        var interpreter = new QueryInterpreter();
        interpreter.Learn(
        [
            new Item { Id = "1", Brand = "Stride", Categories = ["shoes/running"], Properties = new Dictionary<string, object> { ["color"] = "red" } },
            new Item { Id = "2", Brand = "Hearth & Home", Categories = ["home/cookware"], Properties = new Dictionary<string, object> { ["color"] = "navy" } },
            new Item { Id = "3", Brand = "Fleetfoot", Categories = ["shoes/boots", "shoes"] },
            new Item { Id = "4", Brand = "Maison Lune", Categories = ["clothing/thermal-layers"] },
        ]);
        return interpreter;
    }

    [Theory]
    [InlineData("running shoes under 100", "running shoes", null, 100.0)]
    [InlineData("running shoes below €80", "running shoes", null, 80.0)]
    [InlineData("boots less than 59.99 eur", "boots", null, 59.99)]
    [InlineData("tent over 200", "tent", 200.0, null)]
    [InlineData("tent between 50 and 150", "tent", 50.0, 150.0)]
    [InlineData("tent $30-60", "tent", 30.0, 60.0)]
    [InlineData("tent 60 to 30", "tent", 30.0, 60.0)]
    [InlineData("spf 50 sunscreen", "spf 50 sunscreen", null, null)]
    [InlineData("5g phone", "5g phone", null, null)]
    public void PriceRangesAreReadAndLeaveTheWords(string query, string text, double? min, double? max)
    {
        var meaning = Trained().Interpret(query);
        Assert.Equal(text, meaning.Text);
        Assert.Equal(min, meaning.MinPrice);
        Assert.Equal(max, meaning.MaxPrice);
        Assert.True(meaning.PriceFits(min ?? max ?? 10));
        if (max is { } m) Assert.False(meaning.PriceFits(m + 1));
        if (min is not null || max is not null) Assert.False(meaning.PriceFits(null));
    }

    [Fact]
    public void BrandsCategoriesAndColoursComeFromTheCatalog()
    {
        var interpreter = Trained();
        var meaning = interpreter.Interpret("red stride running shoes under 100");
        Assert.Equal(("Stride", "shoes/running", "red", 100.0), (meaning.Brand, meaning.Category, meaning.Color, meaning.MaxPrice));
        Assert.Equal("red stride running shoes", meaning.Text);

        Assert.Equal("Hearth & Home", interpreter.Interpret("hearth & home pans").Brand);
        Assert.Equal("Maison Lune", interpreter.Interpret("MAISON LUNE thermal layer").Brand);
        Assert.Equal("clothing/thermal-layers", interpreter.Interpret("maison lune thermal layers").Category);
        Assert.Equal("shoes/boots", interpreter.Interpret("waterproof boot").Category);
        Assert.Equal("shoes", interpreter.Interpret("shoes").Category);

        // Nothing recognised: an empty interpretation, the words untouched.
        var plain = interpreter.Interpret("something warm");
        Assert.True(plain.IsEmpty);
        Assert.Equal("something warm", plain.Text);
        // A brand the catalog does not sell is just a word.
        Assert.Null(interpreter.Interpret("nike shoes").Brand);
        interpreter.Learn([new Item { Id = "5", Brand = "Nike" }]);
        Assert.Equal("Nike", interpreter.Interpret("nike shoes").Brand);
    }
}
