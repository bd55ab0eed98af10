using Attune.Model;
using Attune.Search.Lexical;

namespace Attune.Tests.Search;

/// <summary>The catalog's full-text index: stemming, field weights, typos, prefixes, updates, and text that is never syntax.</summary>
public sealed class LexicalIndexTests : IDisposable
{
    private readonly LexicalIndex _index = LexicalIndex.InMemory();

    public LexicalIndexTests()
    {
        Item[] items =
        [
            new() { Id = "stability", Title = "Stability running shoe", Brand = "Acme", Categories = ["shoes/running"],
                Description = "Firm arch support for overpronation and flat feet." },
            new() { Id = "trail", Title = "Trail running shoe", Brand = "Summit", Categories = ["shoes/running"],
                Description = "Grippy outsole for muddy paths." },
            new() { Id = "tee", Title = "Cotton t-shirt", Brand = "Acme", Categories = ["clothing/tops"], Description = "Soft and light." },
            new() { Id = "socks", Title = "Running socks", Brand = "Summit", Categories = ["accessories/socks"],
                Description = "Cushioned socks for the trail." },
            new() { Id = "boots", Title = "Leather boots", Brand = "Northway", Categories = ["shoes/boots"], Tags = ["waterproof"] },
        ];
        foreach (var item in items) _index.Upsert(item);
        _index.Refresh();
    }

    public void Dispose() => _index.Dispose();

    private string[] Ids(string q, int count = 10) => [.. _index.Search(q, count).Select(h => h.ItemId)];

    [Fact]
    public void StemmedWordsFindEveryFormAndNothingElse()
    {
        Assert.Equal(["boots", "stability", "trail"], Ids("shoes").Order());
        Assert.Equal(5, _index.Count);
    }

    [Fact]
    public void AWordInTheTitleOutranksTheSameWordInTheDescription()
    {
        var ids = Ids("trail");
        Assert.Equal("trail", ids[0]);
        Assert.Contains("socks", ids); // "for the trail" in its description
    }

    [Fact]
    public void TyposAndPrefixesStillFindTheItem()
    {
        Assert.Equal("stability", Ids("stabilty shoes")[0]);
        Assert.Equal("stability", Ids("runnign shoe stabil")[0]);
        Assert.Equal("boots", Ids("leathr")[0]);
        Assert.Equal("boots", Ids("waterproof")[0]); // tags
    }

    [Fact]
    public void AllTheWordsTogetherRankFirst()
    {
        Assert.Equal("stability", Ids("running shoes for flat feet")[0]);
        var summitSocks = Ids("summit socks");
        Assert.Equal("socks", summitSocks[0]); // brand and title
        Assert.Equal("trail", summitSocks[1]); // brand only
    }

    [Theory]
    [InlineData("\"unbalanced shoe")]
    [InlineData("title:(shoe")]
    [InlineData("shoe AND OR NOT")]
    [InlineData("shoe* ~2 ^3 [} \\ / !")]
    [InlineData("+shoe -boots &&||")]
    public void LuceneSyntaxIsJustText(string q)
    {
        var ids = Ids(q);
        Assert.Contains("stability", ids);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("the and of")]
    [InlineData("*** ??? :::")]
    public void TextWithoutASearchableWordFindsNothing(string q) => Assert.Empty(Ids(q));

    [Fact]
    public void AVeryLongQueryIsCutNotRefused()
    {
        string q = "flat feet " + string.Concat(Enumerable.Repeat("zzz ", 2_500));
        Assert.Equal(10_010, q.Length);
        Assert.Equal("stability", Ids(q)[0]);
    }

    [Fact]
    public void ChangesAreSearchableAfterARefresh()
    {
        _index.Upsert(new Item { Id = "tee", Title = "Linen shirt", Categories = ["clothing/tops"] });
        _index.Upsert(new Item { Id = "new", Title = "Racing flats", Categories = ["shoes/running"] });
        _index.Delete("socks");
        _index.Upsert(new Item { Id = "boots", Title = "Leather boots", Hidden = true });
        Assert.Contains("tee", Ids("cotton")); // not yet refreshed
        _index.Refresh();
        Assert.Empty(Ids("cotton"));
        Assert.Equal(["tee"], Ids("linen"));
        Assert.Equal(["new"], Ids("racing"));
        Assert.Empty(Ids("socks"));
        Assert.Empty(Ids("leather"));
        Assert.Equal(4, _index.Count);
    }

    [Fact]
    public void AnIndexInAFolderOutlivesItsProcess()
    {
        using var dir = TestPaths.NewTempDirectory();
        using (var index = LexicalIndex.Open(dir.Path))
        {
            index.Upsert(new Item { Id = "a", Title = "Blue kettle" });
            index.Commit();
        }
        using var reopened = LexicalIndex.Open(dir.Path);
        Assert.Equal("a", reopened.Search("kettles", 5).Single().ItemId);
    }
}
