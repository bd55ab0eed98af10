using System.Text;
using Attune.Import;

namespace Attune.Tests.Import;

/// <summary>Import files that are not UTF-8 stop with the line instead of turning bytes into U+FFFD; a given encoding transcodes.</summary>
public sealed class EncodingTests
{
    private static readonly byte[] Latin1File = [.. Encoding.ASCII.GetBytes("u1\ti1\n"), .. Encoding.ASCII.GetBytes("u2\ti2\n"),
        (byte)'u', 0xE9, (byte)'\t', (byte)'i', (byte)'3', (byte)'\n']; // line 3: "ué" in Latin-1

    [Fact]
    public void FirstInvalidLineIsFound()
    {
        Assert.Equal(3, TextEncodingCheck.FirstInvalidUtf8Line(new MemoryStream(Latin1File)));
        Assert.Null(TextEncodingCheck.FirstInvalidUtf8Line(new MemoryStream(Encoding.UTF8.GetBytes("u1\ti1\nué\ti😀\n"))));
        Assert.Equal(1, TextEncodingCheck.FirstInvalidUtf8Line(new MemoryStream([0xFF, (byte)'\n'])));
    }

    [Fact]
    public void SequenceSplitAcrossReadsIsNotAnError()
    {
        // 1 MiB of ASCII then a 4-byte character straddling the first read's end.
        var bytes = new byte[(1 << 20) + 8];
        Array.Fill(bytes, (byte)'a');
        "😀"u8.CopyTo(bytes.AsSpan((1 << 20) - 2));
        Assert.Null(TextEncodingCheck.FirstInvalidUtf8Line(new MemoryStream(bytes)));
        bytes[(1 << 20) + 3] = 0xC0; // an invalid byte after it, on line 1
        Assert.Equal(1, TextEncodingCheck.FirstInvalidUtf8Line(new MemoryStream(bytes)));
    }

    [Fact]
    public void NonUtf8FileStopsWithTheLineAndImportsNothing()
    {
        var e = Assert.Throws<InvalidDataException>(() =>
            EventFileReader.ReadBatches(new MemoryStream(Latin1File), ImportFormat.Tsv, new ImportOptions(), new ImportReport(), FixedTime.Default).ToList());
        Assert.Contains("line 3", e.Message);
        Assert.Throws<InvalidDataException>(() =>
            CatalogFileReader.ReadUsers(new MemoryStream([.. "{\"id\":\"u1\"}\n{\"id\":\"u"u8, 0xE9, .. "\"}\n"u8]), ImportFormat.Jsonl,
                new ImportOptions(), new ImportReport(), FixedTime.Default).ToList());
    }

    [Fact]
    public void GivenEncodingTranscodes()
    {
        var users = new List<string>();
        foreach (var b in EventFileReader.ReadBatches(new MemoryStream(Latin1File), ImportFormat.Tsv,
                     new ImportOptions { Encoding = Encoding.Latin1 }, new ImportReport(), FixedTime.Default))
        {
            for (int i = 0; i < b.Count; i++) users.Add(b.UserIds[i]);
        }
        Assert.Equal(["u1", "u2", "ué"], users);
    }

    [Fact]
    public void JsonLinesWithAnUnpairedSurrogateOrARepeatedFieldRejectOnlyThatLine()
    {
        var report = new ImportReport();
        string events = "{\"type\":\"view\",\"userId\":\"u1\",\"itemId\":\"i1\"}\n{\"type\":\"view\",\"userId\":\"\\ud800\",\"itemId\":\"i1\"}\n";
        int stored = EventFileReader.ReadBatches(new MemoryStream(Encoding.UTF8.GetBytes(events)), ImportFormat.Jsonl, new ImportOptions(), report, FixedTime.Default)
            .Sum(b => b.Count);
        Assert.Equal(1, stored);
        Assert.Contains(report.Errors, e => e.Line == 2 && e.Field == "userId");

        report = new ImportReport();
        string items = "{\"id\":\"i1\",\"title\":\"A\"}\n{\"id\":\"i2\",\"title\":\"B\",\"title\":\"C\"}\n{\"id\":\"i3\",\"title\":\"\\udc00\"}\n";
        var read = CatalogFileReader.ReadItems(new MemoryStream(Encoding.UTF8.GetBytes(items)), ImportFormat.Jsonl, new ImportOptions(), report, FixedTime.Default)
            .SelectMany(b => b).Select(i => i.Id).ToList();
        Assert.Equal(["i1"], read);
        Assert.Contains(report.Errors, e => e.Line == 2 && e.Field == "title");
        Assert.Contains(report.Errors, e => e.Line == 3 && e.Field == "title");
    }
}
