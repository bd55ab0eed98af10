using System.Text;
using Attune.Import;
using Attune.Model;
using static Attune.Tests.Import.ImportTestSupport;

namespace Attune.Tests.Import;

public class CatalogFileReaderTests
{
    private static (List<Item> Items, ImportReport Report, List<int> Batches) ReadItems(TempDirectory dir, string content, ImportFormat format,
        ImportOptions? options = null)
    {
        string path = WriteFile(dir, content, "items." + format.ToString().ToLowerInvariant());
        var report = new ImportReport();
        var items = new List<Item>();
        var batches = new List<int>();
        using var stream = File.OpenRead(path);
        foreach (var batch in CatalogFileReader.ReadItems(stream, format, options ?? new ImportOptions(), report, FixedTime.Default))
        {
            batches.Add(batch.Count);
            items.AddRange(batch);
        }
        return (items, report, batches);
    }

    private static (List<User> Users, ImportReport Report) ReadUsers(TempDirectory dir, string content, ImportFormat format)
    {
        string path = WriteFile(dir, content, "users." + format.ToString().ToLowerInvariant());
        var report = new ImportReport();
        using var stream = File.OpenRead(path);
        var users = CatalogFileReader.ReadUsers(stream, format, new ImportOptions(), report, FixedTime.Default).SelectMany(b => b).ToList();
        return (users, report);
    }

    [Fact]
    public void Items_csv_maps_columns_lists_and_properties()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (items, report, _) = ReadItems(dir,
            "id,title,description,categories,brand,price,currency,in_stock,tags,publishedAt,colour,size\n" +
            "sku-1,\"Trail shoe, blue\",\"Light.\nGrips \"\"well\"\".\",shoes/running|sale,acme,89.5,EUR,false,trail| outdoor ,2024-03-01T00:00:00Z,blue,42\n" +
            "sku-2,Cap,,,,,,,,,,\n",
            ImportFormat.Csv);

        Assert.Equal(0, report.Rejected);
        Assert.Equal(2, report.Accepted);
        Assert.Equal(4, report.Lines);
        var a = items[0];
        Assert.Equal("sku-1", a.Id);
        Assert.Equal("Trail shoe, blue", a.Title);
        Assert.Equal("Light.\nGrips \"well\".", a.Description);
        Assert.Equal(["shoes/running", "sale"], a.Categories);
        Assert.Equal("acme", a.Brand);
        Assert.Equal(89.5, a.Price);
        Assert.Equal("EUR", a.Currency);
        Assert.False(a.InStock);
        Assert.Equal(["trail", "outdoor"], a.Tags);
        Assert.Equal(new DateTimeOffset(2024, 3, 1, 0, 0, 0, TimeSpan.Zero), a.PublishedAt);
        Assert.Equal(new Dictionary<string, object> { ["colour"] = "blue", ["size"] = "42" }, a.Properties);
        var b = items[1];
        Assert.Equal(("sku-2", "Cap", null, null, null, true), (b.Id, b.Title, b.Description, b.Brand, b.Price, b.InStock));
        Assert.Empty(b.Categories);
        Assert.Empty(b.Tags);
        Assert.Empty(b.Properties);
    }

    [Fact]
    public void Items_csv_bad_rows_are_reported_and_good_rows_kept()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (items, report, _) = ReadItems(dir,
            "id,price,currency,inStock\n" +
            "a,1,EUR,yes\n" +       // 2 ok
            "b,cheap,EUR,yes\n" +   // 3 bad price
            "c,-1,euro,maybe\n" +   // 4 three problems
            ",1,EUR,yes\n" +        // 5 no id
            "d,2\n" +               // 6 short row
            "e,3,USD,0\n",          // 7 ok
            ImportFormat.Csv);

        Assert.Equal(["a", "e"], items.Select(i => i.Id));
        Assert.False(items[1].InStock);
        Assert.Equal(2, report.Accepted);
        Assert.Equal(4, report.Rejected);
        Assert.Equal([(3L, "price"), (4, "price"), (4, "currency"), (4, "inStock"), (5, "id"), (6, "")], report.Errors.Select(e => (e.Line, e.Field)));
    }

    [Fact]
    public void Items_csv_without_id_column_reads_nothing()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (items, report, _) = ReadItems(dir, "title,price\nCap,3\n", ImportFormat.Csv);
        Assert.Empty(items);
        Assert.Equal((1L, "header"), (report.Errors.Single().Line, report.Errors.Single().Field));
        Assert.Equal(1, report.Rejected);
    }

    [Fact]
    public void Item_batches_are_capped_at_the_api_limit()
    {
        using var dir = TestPaths.NewTempDirectory();
        var sb = new StringBuilder("id\n");
        for (int i = 0; i < 10_001; i++) sb.Append("item-").Append(i).Append('\n');
        var (items, report, batches) = ReadItems(dir, sb.ToString(), ImportFormat.Csv);

        Assert.Equal([10_000, 1], batches);
        Assert.Equal(10_001, report.Accepted);
        Assert.Equal("item-10000", items[^1].Id);
    }

    [Fact]
    public void Items_jsonl_are_validated_like_the_api()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (items, report, batches) = ReadItems(dir,
            """
            {"id":"a","title":"A","categories":["/books/ fiction/"],"properties":{"pages":320,"signed":true}}
            {"id":"b","price":"ten"}

            not json
            {"id":"c","tags":["x","x"]}
            """,
            ImportFormat.Jsonl, new ImportOptions { BatchSize = 1 });

        Assert.Equal(["a", "c"], items.Select(i => i.Id));
        Assert.Equal(["books/ fiction"], items[0].Categories);
        Assert.Equal(320.0, items[0].Properties["pages"]);
        Assert.Equal(["x"], items[1].Tags);
        Assert.Equal([1, 1], batches);
        Assert.Equal([(2L, "price"), (4, "")], report.Errors.Select(e => (e.Line, e.Field)));
        Assert.Equal(5, report.Lines);
    }

    [Fact]
    public void Users_csv_maps_id_consent_and_attributes()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (users, report) = ReadUsers(dir,
            "user_id,country,language,consent_personalization,created_at\n" +
            "u1,DE,de,false,2023-05-06T07:08:09Z\n" +
            "u2,FR,,,\n" +
            "u3,IT,it,perhaps,\n",
            ImportFormat.Csv);

        Assert.Equal(["u1", "u2"], users.Select(u => u.Id));
        Assert.Equal(new Dictionary<string, string> { ["country"] = "DE", ["language"] = "de" }, users[0].Attributes);
        Assert.False(users[0].Consent!.Personalization);
        Assert.Equal(new DateTimeOffset(2023, 5, 6, 7, 8, 9, TimeSpan.Zero), users[0].CreatedAt);
        Assert.Equal(new Dictionary<string, string> { ["country"] = "FR" }, users[1].Attributes);
        Assert.Null(users[1].Consent);
        Assert.Null(users[1].CreatedAt);
        Assert.Equal((4L, "consent.personalization"), (report.Errors.Single().Line, report.Errors.Single().Field));
    }

    [Fact]
    public void Users_jsonl_are_validated_like_the_api()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (users, report) = ReadUsers(dir,
            """
            {"id":"u1","attributes":{"country":"DE","age":42},"consent":{"personalization":false}}
            {"id":""}
            {"id":"u3","nickname":"x"}
            """,
            ImportFormat.Jsonl);

        Assert.Equal("u1", Assert.Single(users).Id);
        Assert.Equal("42", users[0].Attributes["age"]);
        Assert.Equal([(2L, "id"), (3, "nickname")], report.Errors.Select(e => (e.Line, e.Field)));
        Assert.Equal(2, report.Rejected);
    }

    [Fact]
    public void Catalogs_refuse_event_only_formats()
    {
        using var stream = new MemoryStream();
        Assert.Throws<ArgumentException>(() => CatalogFileReader.ReadItems(stream, ImportFormat.Tsv, new ImportOptions(), new ImportReport(), FixedTime.Default));
        Assert.Throws<ArgumentException>(() => CatalogFileReader.ReadUsers(stream, ImportFormat.Sessions, new ImportOptions(), new ImportReport(), FixedTime.Default));
    }

    [Theory]
    [InlineData("jsonl", ImportFormat.Jsonl)]
    [InlineData("NDJSON", ImportFormat.Jsonl)]
    [InlineData("csv", ImportFormat.Csv)]
    [InlineData("tsv", ImportFormat.Tsv)]
    [InlineData(" Sequences ", ImportFormat.Sequences)]
    [InlineData("sessions", ImportFormat.Sessions)]
    public void Format_names_parse(string name, ImportFormat expected)
    {
        Assert.True(ImportFormats.TryParse(name, out var f));
        Assert.Equal(expected, f);
    }

    [Fact]
    public void Format_support_by_kind()
    {
        Assert.False(ImportFormats.TryParse("xml", out _));
        foreach (var f in Enum.GetValues<ImportFormat>())
        {
            Assert.True(ImportFormats.Supports(ImportKind.Events, f));
            Assert.Equal(f is ImportFormat.Jsonl or ImportFormat.Csv, ImportFormats.Supports(ImportKind.Items, f));
            Assert.Equal(f is ImportFormat.Jsonl or ImportFormat.Csv, ImportFormats.Supports(ImportKind.Users, f));
        }
    }
}
