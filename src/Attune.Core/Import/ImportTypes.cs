namespace Attune.Import;

/// <summary>What a file holds.</summary>
public enum ImportKind { Items, Users, Events }

/// <summary>How a file is laid out. See <see cref="EventFileReader"/> and <see cref="CatalogFileReader"/> for each layout.</summary>
public enum ImportFormat { Jsonl, Csv, Tsv, Sequences, Sessions }

/// <summary>Settings of one file import.</summary>
public sealed record ImportOptions
{
    /// <summary>
    /// The event type of every event of a <c>tsv</c>, <c>sequences</c> or <c>sessions</c> file, and of <c>csv</c> rows that
    /// have no type (no type column or an empty cell). A built-in type name; null means the format's default.
    /// Not used for <c>jsonl</c>, whose events name their own type.
    /// </summary>
    public string? EventType { get; init; }

    /// <summary>
    /// The time that synthetic timestamps count from, for files without times (sequences, sessions, tsv/csv rows
    /// without a timestamp).
    /// </summary>
    public DateTimeOffset BaseTime { get; init; } = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Added to every time read from a <c>tsv</c>, <c>csv</c> or YooChoose <c>sessions</c> file before it is checked, to move old
    /// public data into the accepted window (2000-01-01 to one day ahead). MovieLens 100K (1997–98) needs about 23 years:
    /// <c>TimeSpan.FromDays(8400)</c> (1,200 weeks, so weekdays stay the same). Not applied to <c>jsonl</c> files, which are
    /// checked exactly as the HTTP API checks events, nor to synthetic times.
    /// </summary>
    public TimeSpan TimeOffset { get; init; }

    /// <summary>
    /// The file's text encoding; null means UTF-8, checked before anything is imported (a file that is not UTF-8 stops the
    /// import with the line). Give one (<see cref="System.Text.Encoding.Latin1"/>) to transcode a file from it.
    /// </summary>
    public System.Text.Encoding? Encoding { get; init; }

    /// <summary>Rows per batch. Item and user batches are capped at <see cref="Validation.Limits.MaxBatchSize"/>.</summary>
    public int BatchSize { get; init; } = 50_000;

    /// <summary>How many errors <see cref="ImportReport.Errors"/> keeps; counting goes on past it.</summary>
    public int MaxErrors { get; init; } = 100;
}

/// <summary>What an import read, kept and rejected. Filled while the batches are enumerated.</summary>
public sealed class ImportReport
{
    /// <summary>Physical lines read, header and blank lines included.</summary>
    public long Lines;

    /// <summary>Records accepted: events for event files (a sequence or session line holds many), items or users otherwise.</summary>
    public long Accepted;

    /// <summary>
    /// Records rejected: an event, item or user that broke a rule, or a whole line when it could not be read at all
    /// (a bad user id on a sequence line, a line with too many columns, an unusable header).
    /// </summary>
    public long Rejected;

    /// <summary>The first <see cref="ImportOptions.MaxErrors"/> problems: 1-based line number, field, message.</summary>
    public List<(long Line, string Field, string Message)> Errors = new();

    internal void Reject(long line, string field, string message, int maxErrors)
    {
        Rejected++;
        AddError(line, field, message, maxErrors);
    }

    internal void AddError(long line, string field, string message, int maxErrors)
    {
        if (Errors.Count < maxErrors) Errors.Add((line, field, message));
    }

    public override string ToString() => $"{Lines} lines, {Accepted} accepted, {Rejected} rejected";
}

/// <summary>Format names and which kinds each format can hold.</summary>
public static class ImportFormats
{
    /// <summary>Parses a format name (<c>jsonl</c>/<c>ndjson</c>, <c>csv</c>, <c>tsv</c>, <c>sequences</c>, <c>sessions</c>), ignoring case.</summary>
    public static bool TryParse(string s, out ImportFormat f)
    {
        switch (s?.Trim().ToLowerInvariant())
        {
            case "jsonl" or "ndjson": f = ImportFormat.Jsonl; return true;
            case "csv": f = ImportFormat.Csv; return true;
            case "tsv": f = ImportFormat.Tsv; return true;
            case "sequences": f = ImportFormat.Sequences; return true;
            case "sessions": f = ImportFormat.Sessions; return true;
            default: f = default; return false;
        }
    }

    /// <summary>Items and users come as <c>jsonl</c> or <c>csv</c>; events in every format.</summary>
    public static bool Supports(ImportKind kind, ImportFormat format) => kind switch
    {
        ImportKind.Events => Enum.IsDefined(format),
        ImportKind.Items or ImportKind.Users => format is ImportFormat.Jsonl or ImportFormat.Csv,
        _ => false,
    };

    /// <summary>The lower-case name of a format, as <see cref="TryParse"/> reads it.</summary>
    public static string NameOf(ImportFormat f) => f switch
    {
        ImportFormat.Jsonl => "jsonl",
        ImportFormat.Csv => "csv",
        ImportFormat.Tsv => "tsv",
        ImportFormat.Sequences => "sequences",
        ImportFormat.Sessions => "sessions",
        _ => f.ToString().ToLowerInvariant(),
    };

    internal static void CheckOptions(ImportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be at least 1");
        if (options.MaxErrors < 0) throw new ArgumentOutOfRangeException(nameof(options), options.MaxErrors, "MaxErrors must not be negative");
    }
}
