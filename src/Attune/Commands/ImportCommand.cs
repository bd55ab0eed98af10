using System.CommandLine;
using System.Diagnostics;
using Attune.Import;

namespace Attune.Cli.Commands;

internal static class ImportCommand
{
    /// <summary>Exit code when the import finished but some lines were rejected (the good ones are stored).</summary>
    public const int ExitSomeRejected = 4;

    public static Command Create()
    {
        var data = CommonOptions.Data();
        var kind = new Option<string>("--kind") { Description = "items, users or events", Required = true };
        kind.AcceptOnlyFromAmong("items", "users", "events");
        var format = new Option<string>("--format") { Description = "jsonl, csv, tsv, sequences or sessions", Required = true };
        format.AcceptOnlyFromAmong("jsonl", "csv", "tsv", "sequences", "sessions");
        var type = new Option<string?>("--type") { Description = "Event type for tsv/sequences/sessions lines (default: rating when a value column exists, else view)" };
        var offset = new Option<int>("--time-offset-days")
        {
            Description = "Days added to every time read from tsv/csv files, to move old public data (MovieLens 1997–98: 8400) into the accepted window from 2000",
        };
        var encoding = new Option<string?>("--encoding")
        {
            Description = "The file's text encoding when it is not UTF-8, e.g. latin1 (default: UTF-8, checked first: a file that is not stops with the line)",
        };
        var file = new Argument<FileInfo>("file") { Description = "The file to import" };
        var store = CommonOptions.Store();
        var command = new Command("import", "Import items, users or events from a file") { data, store, kind, format, type, offset, encoding, file };
        command.SetAction(async (result, ct) =>
        {
            var input = result.GetValue(file)!;
            if (!input.Exists)
            {
                Console.Error.WriteLine($"attune: {input.FullName} does not exist");
                return 2;
            }
            var importKind = Enum.Parse<ImportKind>(result.GetValue(kind)!, ignoreCase: true);
            ImportFormats.TryParse(result.GetValue(format)!, out var importFormat);
            if (!ImportFormats.Supports(importKind, importFormat))
            {
                Console.Error.WriteLine($"attune: --format {result.GetValue(format)} is not available for --kind {result.GetValue(kind)}");
                return 2;
            }
            string? eventType = result.GetValue(type);
            if (eventType is not null && !Model.EventTypes.TryGetBuiltIn(eventType, out _))
            {
                Console.Error.WriteLine($"attune: --type must be a built-in event type ({string.Join(", ", Model.EventTypes.BuiltInNames)})");
                return 2;
            }
            System.Text.Encoding? textEncoding = null;
            if (result.GetValue(encoding) is { } encodingName && (textEncoding = TextEncodingCheck.Resolve(encodingName)) is null)
            {
                Console.Error.WriteLine($"attune: --encoding {encodingName} is not an encoding this runtime knows (utf-8, latin1, utf-16, ascii, …)");
                return 2;
            }
            var options = new ImportOptions { EventType = eventType, TimeOffset = TimeSpan.FromDays(result.GetValue(offset)), Encoding = textEncoding };
            var report = new ImportReport();
            var time = TimeProvider.System;
            var clock = Stopwatch.StartNew();
            int exitCode = 0;
            await using var target = await CommonOptions.OpenAnyStoreAsync(result.GetValue(data)!, result.GetValue(store), "import", code => exitCode = code);
            if (target is null) return exitCode;
            FileStream stream;
            try { stream = new FileStream(input.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"attune: {input.FullName} cannot be read ({e.Message})");
                return CommonOptions.ExitBadPath;
            }
            await using var inputStream = stream;
            if (textEncoding is null && TextEncodingCheck.FirstInvalidUtf8Line(stream) is { } badLine)
            {
                Console.Error.WriteLine($"attune: {input.Name}: line {badLine} is not valid UTF-8, so nothing was imported; convert the file " +
                    "to UTF-8, or give its encoding (--encoding latin1)");
                return 2;
            }
            // Checked here, with the file's name; the readers need not read it a second time.
            if (textEncoding is null) options = options with { Encoding = new System.Text.UTF8Encoding(false) };
            long stored = await ProgressReporter.RunAsync($"Importing {input.Name}", input.Length, "bytes", async progress =>
            {
                long n = 0;
                switch (importKind)
                {
                    case ImportKind.Events:
                        n = await target.BulkAppendAsync(EventFileReader.ReadBatches(stream, importFormat, options, report, time),
                            new ByteProgress(stream, progress), ct);
                        break;
                    case ImportKind.Items:
                        foreach (var batch in CatalogFileReader.ReadItems(stream, importFormat, options, report, time))
                        {
                            await target.UpsertItemsAsync(batch, ct);
                            n += batch.Count;
                            progress.Report(stream.Position);
                        }
                        break;
                    case ImportKind.Users:
                        foreach (var batch in CatalogFileReader.ReadUsers(stream, importFormat, options, report, time))
                        {
                            await target.UpsertUsersAsync(batch, ct);
                            n += batch.Count;
                            progress.Report(stream.Position);
                        }
                        break;
                }
                return n;
            });
            double seconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine($"Imported {stored:N0} {importKind.ToString().ToLowerInvariant()} from {report.Lines:N0} lines in {seconds:F2} s " +
                $"({stored / Math.Max(seconds, 1e-9):N0}/s); rejected {report.Rejected:N0}.");
            foreach (var (line, field, message) in report.Errors)
                Console.WriteLine($"  line {line}: {field}: {message}");
            if (report.Rejected > report.Errors.Count)
                Console.WriteLine($"  … and {report.Rejected - report.Errors.Count:N0} more rejected lines");
            return report.Rejected > 0 ? ExitSomeRejected : 0;
        });
        return command;
    }

    /// <summary>Turns "events stored" reports into "bytes read" so the bar tracks the file.</summary>
    private sealed class ByteProgress(Stream stream, IProgress<long> inner) : IProgress<long>
    {
        public void Report(long value) => inner.Report(stream.Position);
    }
}
