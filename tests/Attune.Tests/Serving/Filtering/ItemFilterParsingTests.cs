using Attune.Serving.Filtering;
using static Attune.Tests.Serving.Filtering.FilterTestData;

namespace Attune.Tests.Serving.Filtering;

public sealed class ItemFilterParsingTests
{
    private static string Canonical(string text) => ItemFilter.Parse(text).Canonical;

    [Fact]
    public void AndBindsTighterThanOr()
    {
        Assert.Equal(Canonical("inStock or (price > 100 and brand = \"Zenith\")"), Canonical("inStock or price > 100 and brand = \"Zenith\""));
        Assert.NotEqual(Canonical("(inStock or price > 100) and brand = \"Zenith\""), Canonical("inStock or price > 100 and brand = \"Zenith\""));
        // boot: not in stock, price 150, Zenith; book: nothing. "a or b and c" keeps every in-stock item.
        Assert.Equal(["shoe-1", "boot-1", "shirt-1", "gift-1"], Ids("inStock or price > 100 and brand = \"Zenith\""));
        Assert.Equal(["boot-1"], Ids("(inStock or price > 100) and brand = \"Zenith\""));
    }

    [Fact]
    public void NotBindsTighterThanAndAndOr()
    {
        Assert.Equal(Canonical("(not inStock) and price > 100"), Canonical("not inStock and price > 100"));
        Assert.Equal(["boot-1"], Ids("not inStock and price > 100"));
        Assert.Equal(["book-1"], Ids("not (inStock or price > 100)"));
        Assert.Equal(["boot-1", "book-1", "shirt-1", "gift-1"], Ids("not inStock or not price > 50"));
        Assert.Equal(["shoe-1", "shirt-1", "gift-1"], Ids("not not inStock"));
    }

    [Fact]
    public void NotAppliesToAWholeComparison()
    {
        Assert.Equal(Canonical("not (price > 50)"), Canonical("not price > 50"));
        Assert.Equal(["book-1", "shirt-1", "gift-1"], Ids("not price > 50"));
    }

    [Fact]
    public void ParenthesesGroupAndNestingIsFlattened()
    {
        Assert.Equal("inStock and price > 1 and tags = \"sale\"", Canonical("((inStock) and (price > 1 and (tags = 'sale')))"));
        Assert.Equal("inStock or price > 1 or tags = \"sale\"", Canonical("(inStock or price > 1) or tags = 'sale'"));
        Assert.Equal("(inStock or price > 1) and tags = \"sale\"", Canonical("(inStock or price > 1) and tags = 'sale'"));
        Assert.Equal("not (inStock and price > 1)", Canonical("not(inStock and price>1)"));
    }

    [Theory]
    [InlineData("price = 35", "price = 35")]
    [InlineData("price == 35", "price = 35")]
    [InlineData("price != 35", "price != 35")]
    [InlineData("price < 35", "price < 35")]
    [InlineData("price <= 35", "price <= 35")]
    [InlineData("price > 35", "price > 35")]
    [InlineData("price >= 35", "price >= 35")]
    [InlineData("brand in ['a', \"b\"]", "brand in [\"a\", \"b\"]")]
    [InlineData("brand not in ['a']", "brand not in [\"a\"]")]
    [InlineData("brand in context.brands", "brand in context.brands")]
    [InlineData("brand not in context.brands", "brand not in context.brands")]
    [InlineData("tags contains 'x'", "tags contains \"x\"")]
    [InlineData("categories startsWith 'shoes'", "categories startsWith \"shoes\"")]
    [InlineData("price between 1 and 2.5", "price between 1 and 2.5")]
    [InlineData("price <= context.budget", "price <= context.budget")]
    [InlineData("inStock", "inStock")]
    [InlineData("true", "true")]
    [InlineData("false or inStock = false", "false or inStock = false")]
    [InlineData("price>=-3", "price >= -3")]
    [InlineData("price < 1e3", "price < 1000")]
    [InlineData("price < 1.5E-1", "price < 0.15")]
    [InlineData("price < +2", "price < 2")]
    public void ParsesEveryOperator(string text, string canonical) => Assert.Equal(canonical, Canonical(text));

    [Theory]
    [InlineData("category = 'a'", "categories = \"a\"")]
    [InlineData("props.color = 'a'", "properties.color = \"a\"")]
    [InlineData("PROPS.color = 'a'", "properties.color = \"a\"")]
    [InlineData("Properties.size-eu = 1", "properties.size-eu = 1")]
    [InlineData("properties.size_2 = 1", "properties.size_2 = 1")]
    [InlineData("CONTEXT.geo.country = 'de'", "context.geo.country = \"de\"")]
    public void AcceptsAliasesAndDottedNames(string text, string canonical) => Assert.Equal(canonical, Canonical(text));

    [Fact]
    public void FieldNamesAndKeywordsAreCaseInsensitive()
    {
        string canonical = "not inStock and price between 1 and 2 or brand not in [\"x\"] or tags contains \"y\" or categories startsWith \"z\"";
        Assert.Equal(canonical,
            Canonical("NOT INSTOCK AND PRICE BETWEEN 1 AND 2 OR BRAND NOT IN [\"x\"] OR TAGS CONTAINS \"y\" OR CATEGORIES STARTSWITH \"z\""));
        Assert.Equal(canonical,
            Canonical("Not inStock anD Price Between 1 And 2 oR Brand Not In [\"x\"] Or Tags Contains \"y\" Or Categories startswith \"z\""));
        Assert.Equal("inStock = true", Canonical("inStock = TRUE"));
        Assert.Equal(Ids("publishedAt >= '2026-01-01' and ageDays < 40"), Ids("PUBLISHEDAT >= '2026-01-01' AND AGEDAYS < 40"));
    }

    [Fact]
    public void PropertyNamesAndContextKeysAreMatchedExactly()
    {
        Assert.Equal(["shoe-1", "gift-1"], Ids("properties.color = 'red'"));
        Assert.Empty(Ids("properties.COLOR = 'red'"));
        Assert.Equal(["shoe-1", "boot-1"], Ids("properties.size >= context.minSize"));
        Assert.Empty(Ids("properties.size >= context.MINSIZE"));
    }

    [Theory]
    [InlineData("description = 'Warm \"winter\" boot'", "boot-1")]
    [InlineData("description = \"Warm \\\"winter\\\" boot\"", "boot-1")]
    [InlineData("description = \"It's linen\"", "shirt-1")]
    [InlineData("description = 'It\\'s linen'", "shirt-1")]
    public void StringsTakeEitherQuoteAndEscapes(string text, string id) => Assert.Equal([id], Ids(text));

    [Fact]
    public void BackslashEscapesABackslash()
    {
        var item = RunningShoe with { Title = @"C:\shoes" };
        Assert.True(ItemFilter.Parse(@"title = 'C:\\shoes'").Matches(item, Context));
        Assert.Equal("title = \"C:\\\\shoes\"", Canonical(@"title = 'C:\\shoes'"));
    }

    [Fact]
    public void TextIsKeptAsGivenAndParseAndTryParseAgree()
    {
        const string text = "  price   <=  context.budget ";
        var f = ItemFilter.Parse(text);
        Assert.Equal(text, f.Text);
        Assert.Equal(text, f.ToString());
        Assert.True(ItemFilter.TryParse(text, out var parsed, out var error));
        Assert.Null(error);
        Assert.Equal(f.Canonical, parsed!.Canonical);
        Assert.False(ItemFilter.TryParse("price <=", out parsed, out error));
        Assert.Null(parsed);
        Assert.Equal(8, error!.Position);
    }

    [Theory]
    [InlineData("price > 1", false)]
    [InlineData("inStock and tags = 'a' and categories startsWith 'b' and properties.x = 1 and publishedAt > '2026-01-01'", false)]
    [InlineData("price between 1 and 2 or brand in ['a']", false)]
    [InlineData("price <= context.budget", true)]
    [InlineData("context.flag", true)]
    [InlineData("not (inStock or context.geo.country = 'DE')", true)]
    [InlineData("brand in context.brands", true)]
    [InlineData("price between 1 and context.budget", true)]
    [InlineData("ageDays < 7", true)]
    [InlineData("inStock or not AGEDAYS between 1 and 2", true)]
    public void UsesContextExactlyWhenContextOrAgeDaysAppears(string text, bool usesContext) =>
        Assert.Equal(usesContext, ItemFilter.Parse(text).UsesContext);

    [Fact]
    public void CanonicalFormParsesToItself()
    {
        foreach (string text in new[]
        {
            "not (inStock)",
            "title = \"say \\\"hi\\\" \\\\ o'k\"",
            "price between -1.5 and 1E+20 and publishedAt between '2026-01-01' and \"2026-01-31T12:00:00Z\"",
            "(inStock or context.flag) and not (tags in ['a', 'b'] or props.x not in ['a', 1, true])",
        })
        {
            string canonical = Canonical(text);
            Assert.Equal(canonical, Canonical(canonical));
        }
    }
}
