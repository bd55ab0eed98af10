using Attune.Import;
using Attune.Model;
using static Attune.Tests.Import.ImportTestSupport;

namespace Attune.Tests.Import;

/// <summary>Imports the public benchmark files of <c>../shared/datasets</c> and checks the counts their README gives.</summary>
public class ImportDatasetTests
{
    private static string Dataset(params string[] parts)
    {
        Assert.SkipWhen(TestPaths.SharedDatasets is null, "../shared/datasets is not present");
        string path = Path.Combine([TestPaths.SharedDatasets!, .. parts]);
        Assert.SkipUnless(File.Exists(path), $"{path} is not present");
        return path;
    }

    [Fact]
    public void MovieLens_100k_u_data()
    {
        string path = Dataset("movielens-100k", "u.data");
        // Ratings of 1997–98: moved by 1,200 weeks into the accepted window (from 2000-01-01).
        var (rows, report) = ReadEventFile(path, ImportFormat.Tsv, new ImportOptions { TimeOffset = TimeSpan.FromDays(8400) });

        Assert.Equal(100_000, report.Lines);
        Assert.Equal(100_000, report.Accepted);
        Assert.Equal(0, report.Rejected);
        Assert.Equal(100_000, rows.Count);
        Assert.Equal(943, rows.Select(r => r.User).Distinct().Count());
        Assert.Equal(1_682, rows.Select(r => r.Item).Distinct().Count());
        Assert.All(rows, r => Assert.Equal(EventType.Rating, r.EventType));
        Assert.All(rows, r => Assert.InRange(r.Value!.Value, 1, 5));
        // First line: 196 242 3 881250949.
        Assert.Equal(new Row("196", false, "242", (int)EventType.Rating, (881250949L + 8400L * 86400) * 1000, 3, null), rows[0]);
    }

    [Fact]
    public void MovieLens_100k_without_time_offset_is_rejected_with_a_clear_reason()
    {
        string path = Dataset("movielens-100k", "u.data");
        var (rows, report) = ReadEventFile(path, ImportFormat.Tsv);

        Assert.Empty(rows);
        Assert.Equal(100_000, report.Rejected);
        Assert.Equal(100, report.Errors.Count);
        Assert.All(report.Errors, e => Assert.StartsWith("must not be before 2000-01-01", e.Message));
    }

    [Fact]
    public void ICLRec_toys_sequences()
    {
        string path = Dataset("seqrec-iclrec", "Toys_and_Games.txt");
        var (rows, report) = ReadEventFile(path, ImportFormat.Sequences);

        Assert.Equal(167_597, report.Accepted);
        Assert.Equal(0, report.Rejected);
        Assert.Equal(19_412, report.Lines);
        Assert.Equal(19_412, rows.Select(r => r.User).Distinct().Count());
        Assert.Equal(11_924, rows.Select(r => r.Item).Distinct().Count());
        Assert.All(rows, r => Assert.Equal(EventType.View, r.EventType));
        // Each user's items keep their order: times increase by one second along a line.
        for (int i = 1; i < rows.Count; i++)
        {
            if (rows[i].User == rows[i - 1].User) Assert.Equal(rows[i - 1].Ms + 1000, rows[i].Ms);
            else Assert.Equal(BaseMs, rows[i].Ms);
        }
    }

    [Fact]
    public void Diginetica_train_sessions()
    {
        string path = Dataset("session-diginetica", "train_sessions.txt");
        var (rows, report) = ReadEventFile(path, ImportFormat.Sessions);

        Assert.Equal(906_140, report.Accepted);
        Assert.Equal(0, report.Rejected);
        Assert.Equal(186_670, rows.Select(r => r.User).Distinct().Count());
        Assert.All(rows, r => Assert.True(r.Anonymous));
        Assert.Equal("session-1", rows[0].User);
        Assert.Equal("session-186670", rows[^1].User);
        Assert.True(rows.Zip(rows.Skip(1)).All(p => p.First.Ms < p.Second.Ms), "times increase through the file");
    }

    [Fact]
    public void YooChoose_clicks_sample()
    {
        string path = Dataset("session-yoochoose-sample", "yoochoose-clicks-100k_test.txt");
        var (rows, report) = ReadEventFile(path, ImportFormat.Sessions);

        Assert.Equal(13_568, report.Accepted);
        Assert.Equal(0, report.Rejected);
        Assert.Equal(3_416, rows.Select(r => r.User).Distinct().Count());
        Assert.Equal(1_771, rows.Select(r => r.Item).Distinct().Count());
        Assert.All(rows, r => Assert.InRange(r.Ms, Ms(2014, 4, 7), Ms(2014, 4, 8, 1)));
    }

    [Fact]
    public void Rees46_events_sample()
    {
        string path = Dataset("rees46-events-sample", "2019-Oct-sample.csv");
        var (rows, report) = ReadEventFile(path, ImportFormat.Csv);

        Assert.Equal(1_000, report.Accepted);
        Assert.Equal(0, report.Rejected);
        Assert.Equal(1_001, report.Lines);
        Assert.Equal(987, rows.Count(r => r.EventType == EventType.View));
        Assert.Equal(3, rows.Count(r => r.EventType == EventType.AddToCart));
        Assert.Equal(10, rows.Count(r => r.EventType == EventType.Purchase));
        Assert.Equal(330, rows.Select(r => r.User).Distinct().Count());
        Assert.Equal(534, rows.Select(r => r.Item).Distinct().Count());
        Assert.Equal(372, rows.Select(r => r.Extra).Distinct().Count());
        Assert.All(rows, r => Assert.InRange(r.Ms, Ms(2019, 10, 1), Ms(2019, 10, 1, 0, 17, 26)));
        Assert.All(rows, r => Assert.NotNull(r.Value));
    }
}
