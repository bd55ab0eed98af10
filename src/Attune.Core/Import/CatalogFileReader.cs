using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Attune.Model;
using Attune.Validation;

namespace Attune.Import;

/// <summary>Reads item and user files (<c>jsonl</c> or <c>csv</c>) into batches for the store.</summary>
/// <remarks>
/// <para><c>jsonl</c>: one record per line in the JSON shape of the HTTP API.</para>
/// <para><c>csv</c> items: a header naming the columns (ignoring case, <c>_</c> and <c>-</c>): <c>id</c> (or <c>itemId</c>),
/// <c>title</c>, <c>description</c>, <c>categories</c> and <c>tags</c> (several separated by <c>|</c>), <c>brand</c>,
/// <c>price</c>, <c>currency</c>, <c>inStock</c>, <c>hidden</c>, <c>blocked</c> (true/false, yes/no or 1/0),
/// <c>publishedAt</c> (ISO 8601 or Unix time). Any other column becomes a string property named as its header.</para>
/// <para><c>csv</c> users: <c>id</c> (or <c>userId</c>), optional <c>consent_personalization</c> (true/false) and
/// <c>createdAt</c>; any other column becomes a string attribute named as its header.</para>
/// <para>An empty cell means "not given". A header without an id column, with a nameless column or with two columns for the
/// same field is reported on its line (field <c>header</c>) and nothing is read. Each CSV row is turned into the API's JSON shape and checked by
/// <see cref="RecordReader"/>, so files follow exactly the rules of the HTTP API. A record that breaks one is counted in
/// <see cref="ImportReport.Rejected"/> with its line and skipped; the rest of the file is still read.</para>
/// </remarks>
public static class CatalogFileReader
{
    /// <summary>Items in batches of up to <see cref="ImportOptions.BatchSize"/>, at most <see cref="Limits.MaxBatchSize"/>. Each batch is a new list.</summary>
    public static IEnumerable<IReadOnlyList<Item>> ReadItems(Stream stream, ImportFormat format, ImportOptions options, ImportReport report, TimeProvider time)
    {
        Check(stream, format, options, report, time, ImportKind.Items);
        return Read(stream, format, options, report, new RecordReader(time), isItem: true, static (r, e, errors) => r.ReadItem(e, errors));
    }

    /// <summary>Users in batches of up to <see cref="ImportOptions.BatchSize"/>, at most <see cref="Limits.MaxBatchSize"/>. Each batch is a new list.</summary>
    public static IEnumerable<IReadOnlyList<User>> ReadUsers(Stream stream, ImportFormat format, ImportOptions options, ImportReport report, TimeProvider time)
    {
        Check(stream, format, options, report, time, ImportKind.Users);
        return Read(stream, format, options, report, new RecordReader(time), isItem: false, static (r, e, errors) => r.ReadUser(e, errors));
    }

    private static void Check(Stream stream, ImportFormat format, ImportOptions options, ImportReport report, TimeProvider time, ImportKind kind)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(time);
        ImportFormats.CheckOptions(options);
        if (!ImportFormats.Supports(kind, format))
            throw new ArgumentException($"{kind.ToString().ToLowerInvariant()} files must be jsonl or csv, not {ImportFormats.NameOf(format)}", nameof(format));
    }

    private delegate T? ReadRecord<T>(RecordReader reader, JsonElement e, List<FieldError> errors) where T : class;

    private static IEnumerable<IReadOnlyList<T>> Read<T>(Stream stream, ImportFormat format, ImportOptions options, ImportReport report,
        RecordReader reader, bool isItem, ReadRecord<T> read) where T : class
    {
        int size = Math.Min(options.BatchSize, Limits.MaxBatchSize);
        var errors = new List<FieldError>();
        TextEncodingCheck.EnsureUtf8(stream, options);
        using var lines = new LineReader(stream, encoding: options.Encoding);
        var batch = new List<T>(size);
        IEnumerable<(long Line, ReadOnlyMemory<byte>? Json, string Field, string? Problem)> records = format == ImportFormat.Csv
            ? CsvRecords(lines, report, options, isItem)
            : JsonlRecords(lines, report);
        foreach (var (line, json, field, problem) in records)
        {
            if (problem is not null)
            {
                report.Reject(line, field, problem, options.MaxErrors);
                continue;
            }
            errors.Clear();
            T? record;
            try
            {
                using var doc = JsonDocument.Parse(json!.Value, AttuneJson.DocumentOptions);
                // As the HTTP API: an unpaired surrogate escape or a field given twice rejects the record, naming the field.
                if (JsonTextCheck.Scan(json.Value.Span, 1) is [var textProblem, ..])
                {
                    report.Reject(line, textProblem.Field, textProblem.Message, options.MaxErrors);
                    continue;
                }
                record = read(reader, doc.RootElement, errors);
            }
            catch (JsonException ex)
            {
                report.Reject(line, "", "invalid JSON: " + ex.Message, options.MaxErrors);
                continue;
            }
            if (record is null)
            {
                report.Rejected++;
                foreach (var e in errors) report.AddError(line, e.Field, e.Message, options.MaxErrors);
                continue;
            }
            report.Accepted++;
            batch.Add(record);
            if (batch.Count == size)
            {
                yield return batch;
                batch = new List<T>(size);
            }
        }
        if (batch.Count > 0) yield return batch;
    }

    private static IEnumerable<(long, ReadOnlyMemory<byte>?, string, string?)> JsonlRecords(LineReader lines, ImportReport report)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        while (true)
        {
            if (!ReadUtf8Line(lines, buffer, out bool blank)) yield break;
            report.Lines = lines.LineNumber;
            if (blank) continue;
            yield return (lines.LineNumber, buffer.WrittenMemory, "", null);
        }
    }

    private static bool ReadUtf8Line(LineReader lines, ArrayBufferWriter<byte> buffer, out bool blank)
    {
        buffer.ResetWrittenCount();
        blank = false;
        if (!lines.TryReadLine(out var line)) return false;
        blank = line.IsWhiteSpace();
        var span = buffer.GetSpan(System.Text.Encoding.UTF8.GetMaxByteCount(line.Length));
        buffer.Advance(System.Text.Encoding.UTF8.GetBytes(line, span));
        return true;
    }

    // ---------------------------------------------------------------- csv → JSON

    private enum Column { Property, Id, Title, Description, Categories, Tags, Brand, Price, Currency, InStock, Hidden, Blocked, PublishedAt, Consent, CreatedAt }

    private static IEnumerable<(long, ReadOnlyMemory<byte>?, string, string?)> CsvRecords(LineReader lines, ImportReport report, ImportOptions options, bool isItem)
    {
        var csv = new CsvReader(lines);
        bool read = csv.Read();
        report.Lines = csv.LinesRead;
        if (!read) yield break;
        var (columns, names, headerProblem) = Header(csv, isItem);
        if (headerProblem is not null)
        {
            yield return (csv.RecordLine, null, "header", headerProblem);
            yield break;
        }
        var buffer = new ArrayBufferWriter<byte>(4096);
        while (true)
        {
            read = csv.Read();
            report.Lines = csv.LinesRead;
            if (!read) yield break;
            if (csv.Unterminated)
                yield return (csv.RecordLine, null, "", "a quoted field is not closed before the end of the file");
            else if (csv.FieldCount != columns.Length)
                yield return (csv.RecordLine, null, "", $"the row has {csv.FieldCount} fields but the header has {columns.Length}");
            else
            {
                buffer.ResetWrittenCount();
                WriteJson(csv, columns, names, isItem, buffer);
                yield return (csv.RecordLine, buffer.WrittenMemory, "", null);
            }
        }
    }

    private static (Column[] Columns, string[] Names, string? Problem) Header(CsvReader csv, bool isItem)
    {
        var columns = new Column[csv.FieldCount];
        var names = new string[csv.FieldCount];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        bool hasId = false;
        for (int i = 0; i < columns.Length; i++)
        {
            string name = csv[i].Trim().ToString();
            names[i] = name;
            if (name.Length == 0) return (columns, names, $"column {i + 1} has no name");
            string key = CsvReader.Normalize(name);
            var column = isItem
                ? key switch
                {
                    "id" or "itemid" => Column.Id,
                    "title" => Column.Title,
                    "description" => Column.Description,
                    "categories" => Column.Categories,
                    "tags" => Column.Tags,
                    "brand" => Column.Brand,
                    "price" => Column.Price,
                    "currency" => Column.Currency,
                    "instock" => Column.InStock,
                    "hidden" => Column.Hidden,
                    "blocked" => Column.Blocked,
                    "publishedat" => Column.PublishedAt,
                    _ => Column.Property,
                }
                : key switch
                {
                    "id" or "userid" => Column.Id,
                    "consentpersonalization" => Column.Consent,
                    "createdat" => Column.CreatedAt,
                    _ => Column.Property,
                };
            columns[i] = column;
            hasId |= column == Column.Id;
            if (!seen.Add(column == Column.Property ? "p:" + name : "f:" + column))
                return (columns, names, $"more than one column means '{name}'");
        }
        if (!hasId) return (columns, names, isItem ? "no id column: name one 'id'" : "no id column: name one 'id' (or 'userId')");
        return (columns, names, null);
    }

    private static void WriteJson(CsvReader csv, Column[] columns, string[] names, bool isItem, ArrayBufferWriter<byte> buffer)
    {
        using var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
        w.WriteStartObject();
        bool anyProperty = false;
        for (int i = 0; i < columns.Length; i++)
        {
            var cell = csv[i];
            if (cell.IsEmpty) continue;
            switch (columns[i])
            {
                case Column.Property: anyProperty = true; break;
                case Column.Id: w.WriteString("id", cell); break;
                case Column.Title: w.WriteString("title", cell); break;
                case Column.Description: w.WriteString("description", cell); break;
                case Column.Brand: w.WriteString("brand", cell); break;
                case Column.Currency: w.WriteString("currency", cell); break;
                case Column.Categories: WriteList(w, "categories", cell); break;
                case Column.Tags: WriteList(w, "tags", cell); break;
                case Column.Price:
                    if (ImportValues.TryParseValue(cell, out double price)) w.WriteNumber("price", price);
                    else w.WriteString("price", cell); // the reader reports "must be a number"
                    break;
                case Column.InStock: WriteBool(w, "inStock", cell); break;
                case Column.Hidden: WriteBool(w, "hidden", cell); break;
                case Column.Blocked: WriteBool(w, "blocked", cell); break;
                case Column.PublishedAt: WriteTime(w, "publishedAt", cell); break;
                case Column.CreatedAt: WriteTime(w, "createdAt", cell); break;
                case Column.Consent:
                    w.WriteStartObject("consent");
                    WriteBool(w, "personalization", cell);
                    w.WriteEndObject();
                    break;
            }
        }
        if (anyProperty)
        {
            w.WriteStartObject(isItem ? "properties" : "attributes");
            for (int i = 0; i < columns.Length; i++)
            {
                if (columns[i] != Column.Property) continue;
                var cell = csv[i];
                if (!cell.IsEmpty) w.WriteString(names[i], cell);
            }
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void WriteList(Utf8JsonWriter w, string name, ReadOnlySpan<char> cell)
    {
        w.WriteStartArray(name);
        foreach (var range in cell.Split('|'))
        {
            var part = cell[range].Trim();
            if (!part.IsEmpty) w.WriteStringValue(part);
        }
        w.WriteEndArray();
    }

    private static void WriteBool(Utf8JsonWriter w, string name, ReadOnlySpan<char> cell)
    {
        if (ImportValues.TryParseBool(cell, out bool b)) w.WriteBoolean(name, b);
        else w.WriteString(name, cell); // the reader reports "must be true or false"
    }

    private static void WriteTime(Utf8JsonWriter w, string name, ReadOnlySpan<char> cell)
    {
        if (long.TryParse(cell, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n)) w.WriteNumber(name, n);
        else
        {
            if (cell.EndsWith("UTC", StringComparison.OrdinalIgnoreCase)) cell = cell[..^3].TrimEnd();
            w.WriteString(name, cell);
        }
    }
}
