using System.Text;
using Attune.Import;
using Attune.Model;

namespace Attune.Tests.Import;

/// <summary>A clock that stands still.</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public static readonly FixedTime Default = new(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));

    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>One interaction copied out of a batch.</summary>
internal sealed record Row(string User, bool Anonymous, string? Item, int Type, long Ms, double? Value, string? Extra)
{
    public EventType EventType => (EventType)Type;
}

internal static class ImportTestSupport
{
    public static readonly DateTimeOffset Base = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly long BaseMs = Base.ToUnixTimeMilliseconds();

    /// <summary>Writes <paramref name="content"/> to a file in <paramref name="dir"/> and reads its events.</summary>
    public static (List<Row> Rows, ImportReport Report) ReadEvents(TempDirectory dir, string content, ImportFormat format, ImportOptions? options = null)
    {
        string path = Path.Combine(dir.Path, "events-" + Guid.NewGuid().ToString("N")[..8] + ".txt");
        File.WriteAllText(path, content, new UTF8Encoding(false));
        return ReadEventFile(path, format, options);
    }

    public static (List<Row> Rows, ImportReport Report) ReadEventFile(string path, ImportFormat format, ImportOptions? options = null)
    {
        var report = new ImportReport();
        var rows = new List<Row>();
        using var stream = File.OpenRead(path);
        foreach (var b in EventFileReader.ReadBatches(stream, format, options ?? new ImportOptions(), report, FixedTime.Default))
        {
            for (int i = 0; i < b.Count; i++)
                rows.Add(new Row(b.UserIds[i], b.Anonymous[i], b.ItemIds[i], b.TypeCodes[i], b.TimestampsMs[i], b.HasValue[i] ? b.Values[i] : null, b.Extras[i]));
        }
        return (rows, report);
    }

    public static string WriteFile(TempDirectory dir, string content, string name = "data.txt")
    {
        string path = Path.Combine(dir.Path, name);
        File.WriteAllText(path, content, new UTF8Encoding(false));
        return path;
    }

    public static long Ms(int year, int month, int day, int hour = 0, int minute = 0, int second = 0) =>
        new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.Zero).ToUnixTimeMilliseconds();
}
