using System.Globalization;
using System.Text.Json;
using Attune.Model;
using Attune.Storage;
using Attune.Validation;

namespace Attune.Import;

/// <summary>
/// Reads event files into <see cref="InteractionBatch"/>es for <see cref="IAttuneStore.BulkAppendAsync"/>.
/// </summary>
/// <remarks>
/// <para>Formats (lines are numbered from 1; the numbers appear in <see cref="ImportReport.Errors"/>):</para>
/// <list type="bullet">
/// <item><c>tsv</c>: <c>user item [value] [timestamp]</c>, columns separated by tabs or spaces (MovieLens <c>u.data</c>).
/// The type is <see cref="ImportOptions.EventType"/>, else <c>rating</c> when the line has a value and <c>view</c> when not.
/// The timestamp is Unix seconds (milliseconds above 10^11; a fraction is allowed) or an ISO 8601 time without spaces;
/// without one the event gets <see cref="ImportOptions.BaseTime"/> + line number milliseconds, which keeps file order.
/// A first line naming the columns (<c>user item …</c>, <c>userId itemId …</c>) is skipped as a header.</item>
/// <item><c>sequences</c>: <c>user item1 item2 …</c>, one user per line, items in order (ICLRec / S3-Rec). Each item is an
/// event of type <see cref="ImportOptions.EventType"/> (default <c>view</c>) at <see cref="ImportOptions.BaseTime"/> + its
/// 0-based position in the line, in seconds: every user's history starts at the base time and keeps its order.</item>
/// <item><c>sessions</c>: <c>item1 item2 …</c>, one session per line (Diginetica <c>train_sessions.txt</c>). Line N becomes the
/// anonymous visitor <c>session-N</c>; its clicks are <c>view</c> events (or <see cref="ImportOptions.EventType"/>) at
/// <see cref="ImportOptions.BaseTime"/> + the click's running number in the file, in seconds, so times increase through the
/// file as the sessions do. A file whose first line is a header naming <c>SessionId</c> and <c>ItemId</c> (and usually
/// <c>Time</c>) is read as YooChoose clicks instead: one click per line, visitor <c>session-&lt;SessionId&gt;</c>, Time in Unix
/// seconds with a fraction (or ISO 8601); without a Time column the running number is used as above.</item>
/// <item><c>csv</c>: a header row, then RFC 4180 rows (quoted fields may hold commas, quotes and line breaks; <c>;</c> or tab
/// separators are detected from the header). Columns by name, ignoring case, <c>_</c> and <c>-</c>: user
/// (<c>userId</c>, <c>user</c>, <c>customerId</c>, <c>visitorId</c>), <c>anonymousId</c>, item (<c>itemId</c>, <c>item</c>,
/// <c>productId</c>, <c>movieId</c>), type (<c>type</c>, <c>eventType</c>, <c>event</c>), value (<c>value</c>, else <c>rating</c>,
/// else <c>price</c>), time (<c>timestamp</c>, <c>eventTime</c>, <c>time</c>, <c>ts</c>), session (<c>sessionId</c>,
/// <c>userSession</c>, <c>session</c>), <c>channel</c>. Other columns are ignored. Types are the API's names plus
/// <c>cart</c>/<c>addtocart</c> → <c>add_to_cart</c> and <c>transaction</c> → <c>purchase</c>. A row without a type takes
/// <see cref="ImportOptions.EventType"/>, else <c>rating</c> when it has a value from a <c>value</c>/<c>rating</c> column,
/// else <c>view</c>. A row without a time gets the base time + line number milliseconds. A row with more or fewer fields
/// than the header is rejected. A header without a user or anonymousId column is reported on line 1 and nothing is read.</item>
/// <item><c>jsonl</c>: one event per line in the JSON shape of the HTTP API, validated by <see cref="RecordReader.ReadEvent"/>
/// (a missing timestamp means now, as in the API; <see cref="ImportOptions.EventType"/> is not used).</item>
/// </list>
/// <para>Every kept event passes the rules of the HTTP API: ids of 1–256 characters without control characters or
/// surrounding whitespace, times from 2000-01-01 to one day ahead, finite values, known types, an item for item event types,
/// a value for ratings. A line or event that breaks a rule is counted in <see cref="ImportReport.Rejected"/> and skipped; the
/// rest of the file is still read.</para>
/// <para>Times read from tsv, csv and YooChoose files are moved by <see cref="ImportOptions.TimeOffset"/> before they are
/// checked, so old public data (MovieLens 100K is from 1997–98) can be brought into the accepted window.</para>
/// <para>Limits of file imports: custom event types (<c>custom.*</c>) are rejected, because a batch carries type codes and
/// only the store assigns codes to custom names — send those through the HTTP API. An event with both a userId and an
/// anonymousId is stored under the userId (the anonymousId is kept in its extra fields) but does not link the two
/// identities; link them with the API's identify call. Search events are rejected outside jsonl, since no other format
/// carries a query.</para>
/// </remarks>
public static partial class EventFileReader
{
    /// <summary>
    /// Streams the events of <paramref name="stream"/> as batches of up to <see cref="ImportOptions.BatchSize"/> interactions.
    /// The same <see cref="InteractionBatch"/> instance is reused: copy what you need before asking for the next batch.
    /// The stream is read once, as the batches are enumerated, and is left open.
    /// </summary>
    /// <exception cref="ArgumentException">Bad options, or an <see cref="ImportOptions.EventType"/> that is not a built-in type.</exception>
    public static IEnumerable<InteractionBatch> ReadBatches(Stream stream, ImportFormat format, ImportOptions options, ImportReport report, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(time);
        ImportFormats.CheckOptions(options);
        if (!ImportFormats.Supports(ImportKind.Events, format)) throw new ArgumentOutOfRangeException(nameof(format), format, "unknown format");
        var optionType = ImportValues.OptionType(options);
        return Iterate(stream, format, options, optionType, report, time);
    }

    private static IEnumerable<InteractionBatch> Iterate(Stream stream, ImportFormat format, ImportOptions options, EventType? optionType,
        ImportReport report, TimeProvider time)
    {
        TextEncodingCheck.EnsureUtf8(stream, options);
        using var lines = new LineReader(stream, encoding: options.Encoding);
        var context = new EventContext(lines, options, optionType, report, time);
        EventParser parser = format switch
        {
            ImportFormat.Tsv => new TsvParser(context),
            ImportFormat.Sequences => new SequenceParser(context),
            ImportFormat.Sessions => new SessionParser(context),
            ImportFormat.Csv => new CsvParser(context),
            _ => new JsonlParser(context),
        };
        var batch = new InteractionBatch(options.BatchSize);
        while (true)
        {
            bool more = parser.Fill(batch);
            if (batch.Count > 0)
            {
                yield return batch;
                batch.Clear();
            }
            if (!more) yield break;
        }
    }

    private sealed class EventContext(LineReader lines, ImportOptions options, EventType? optionType, ImportReport report, TimeProvider time)
    {
        public readonly LineReader Lines = lines;
        public readonly ImportOptions Options = options;
        public readonly EventType? OptionType = optionType;
        public readonly ImportReport Report = report;
        public readonly TimeProvider Time = time;
        public readonly IdInterner Ids = new();
        public readonly EventTimeWindow Window = new(time);
        public readonly long BaseMs = options.BaseTime.ToUnixTimeMilliseconds();
        public readonly long OffsetMs = (long)options.TimeOffset.TotalMilliseconds;

        /// <summary>Parses a time of the file and applies <see cref="ImportOptions.TimeOffset"/>.</summary>
        public bool TryParseTime(ReadOnlySpan<char> text, out long ms)
        {
            if (!ImportValues.TryParseTime(text, out ms)) return false;
            ms += OffsetMs;
            return true;
        }

        public void Reject(long line, string field, string message) => Report.Reject(line, field, message, Options.MaxErrors);
    }

    private abstract class EventParser(EventContext c)
    {
        protected readonly EventContext C = c;

        /// <summary>Adds events until the batch is full (true) or the file ends (false).</summary>
        public abstract bool Fill(InteractionBatch batch);

        protected bool NextLine(out ReadOnlySpan<char> line)
        {
            if (!C.Lines.TryReadLine(out line)) return false;
            C.Report.Lines = C.Lines.LineNumber;
            return true;
        }

        protected void Add(InteractionBatch batch, string owner, bool anonymous, string? item, EventType type, long ms, double? value, string? extra = null)
        {
            batch.Add(owner, anonymous, item, (int)type, ms, value, extra);
            C.Report.Accepted++;
        }
    }

    private static bool IsSeparator(char c) => c is ' ' or '\t';

    /// <summary>Splits off the next token separated by tabs or spaces; false when none is left.</summary>
    private static bool NextToken(ReadOnlySpan<char> line, scoped ref int pos, out ReadOnlySpan<char> token)
    {
        // A plain loop: tokens are short, shorter than a vectorized search pays off for.
        int p = pos;
        while (p < line.Length && IsSeparator(line[p])) p++;
        if (p >= line.Length)
        {
            pos = p;
            token = default;
            return false;
        }
        int start = p;
        while (p < line.Length && !IsSeparator(line[p])) p++;
        token = line[start..p];
        pos = p;
        return true;
    }

    // ---------------------------------------------------------------- tsv

    private sealed class TsvParser(EventContext c) : EventParser(c)
    {
        private readonly EventType _withValue = c.OptionType ?? EventType.Rating;
        private readonly EventType _withoutValue = c.OptionType ?? EventType.View;
        private bool _started;

        public override bool Fill(InteractionBatch batch)
        {
            while (!batch.IsFull)
            {
                if (!NextLine(out var line)) return false;
                Parse(line, C.Lines.LineNumber, batch);
            }
            return true;
        }

        private void Parse(ReadOnlySpan<char> line, long n, InteractionBatch batch)
        {
            int pos = 0;
            if (!NextToken(line, ref pos, out var userText)) return; // blank line
            bool first = !_started;
            _started = true;
            if (!NextToken(line, ref pos, out var itemText))
            {
                C.Reject(n, "", "expected 2–4 columns: user item [value] [timestamp]");
                return;
            }
            bool hasValue = NextToken(line, ref pos, out var valueText);
            bool hasTime = NextToken(line, ref pos, out var timeText);
            if (NextToken(line, ref pos, out _))
            {
                C.Reject(n, "", "expected 2–4 columns: user item [value] [timestamp]; found more");
                return;
            }
            if (first && IsHeader(userText, itemText)) return;

            string? user = C.Ids.Get(userText, out var userProblem);
            string? item = C.Ids.Get(itemText, out var itemProblem);
            double value = 0;
            bool badValue = hasValue && !ImportValues.TryParseValue(valueText, out value);
            long ms = C.BaseMs + n;
            bool badTime = hasTime && !C.TryParseTime(timeText, out ms);
            string? timeProblem = badTime ? null : C.Window.Check(ms);
            var type = hasValue ? _withValue : _withoutValue;
            var typeProblem = ImportValues.TypeProblem(type, true, hasValue, hasValue && !badValue ? value : null);

            if (user is null || item is null || badValue || badTime || timeProblem is not null || typeProblem is not null)
            {
                C.Report.Rejected++;
                var o = C.Options.MaxErrors;
                if (userProblem is not null) C.Report.AddError(n, "userId", userProblem, o);
                if (itemProblem is not null) C.Report.AddError(n, "itemId", itemProblem, o);
                if (badValue) C.Report.AddError(n, "value", $"must be a finite number, not '{ImportValues.Shorten(valueText)}'", o);
                if (badTime) C.Report.AddError(n, "timestamp", ImportValues.TimeFormatMessage, o);
                if (timeProblem is not null) C.Report.AddError(n, "timestamp", timeProblem, o);
                if (typeProblem is { } tp) C.Report.AddError(n, tp.Field, tp.Message, o);
                return;
            }
            Add(batch, user, false, item, type, ms, hasValue ? value : null);
        }

        private static bool IsHeader(ReadOnlySpan<char> user, ReadOnlySpan<char> item)
        {
            string u = CsvReader.Normalize(user), i = CsvReader.Normalize(item);
            return u is "user" or "userid" or "uid" && i is "item" or "itemid" or "iid" or "movieid" or "productid";
        }
    }

    // ---------------------------------------------------------------- sequences

    private sealed class SequenceParser(EventContext c) : EventParser(c)
    {
        private readonly EventType _type = c.OptionType ?? EventType.View;
        private string? _pendingRest;
        private string _pendingUser = "";
        private long _pendingLine;
        private int _pendingPosition;

        public override bool Fill(InteractionBatch batch)
        {
            if (_pendingRest is not null)
            {
                string rest = _pendingRest;
                _pendingRest = null;
                if (!Items(rest, _pendingLine, _pendingUser, _pendingPosition, batch)) return true;
            }
            var typeProblem = ImportValues.TypeProblem(_type, true, false);
            while (!batch.IsFull)
            {
                if (!NextLine(out var line)) return false;
                long n = C.Lines.LineNumber;
                int pos = 0;
                if (!NextToken(line, ref pos, out var userText)) continue;
                string? user = C.Ids.Get(userText, out var problem);
                if (user is null)
                {
                    C.Reject(n, "userId", problem!);
                    continue;
                }
                if (typeProblem is { } tp)
                {
                    C.Reject(n, tp.Field, tp.Message);
                    continue;
                }
                if (!Items(line[pos..], n, user, 0, batch)) return true;
            }
            return true;
        }

        /// <summary>Adds the items of a line; false when the batch filled up first (the rest is kept for the next batch).</summary>
        private bool Items(ReadOnlySpan<char> rest, long n, string user, int position, InteractionBatch batch)
        {
            int pos = 0;
            while (true)
            {
                if (batch.IsFull)
                {
                    var remaining = rest[pos..];
                    if (remaining.IsWhiteSpace()) return true;
                    _pendingRest = remaining.ToString();
                    _pendingUser = user;
                    _pendingLine = n;
                    _pendingPosition = position;
                    return false;
                }
                if (!NextToken(rest, ref pos, out var itemText)) return true;
                string? item = C.Ids.Get(itemText, out var problem);
                long ms = C.BaseMs + position * 1000L;
                string? timeProblem = C.Window.Check(ms);
                if (item is null) C.Reject(n, $"items[{position}]", problem!);
                else if (timeProblem is not null) C.Reject(n, $"items[{position}]", "timestamp " + timeProblem);
                else Add(batch, user, false, item, _type, ms, null);
                position++;
            }
        }
    }

    // ---------------------------------------------------------------- jsonl

    private sealed class JsonlParser(EventContext c) : EventParser(c)
    {
        private readonly RecordReader _reader = new(c.Time);
        private readonly List<FieldError> _errors = new();

        public override bool Fill(InteractionBatch batch)
        {
            while (!batch.IsFull)
            {
                if (!NextLine(out var line)) return false;
                if (line.IsWhiteSpace()) continue;
                long n = C.Lines.LineNumber;
                _errors.Clear();
                Event? ev;
                try
                {
                    using var doc = JsonDocument.Parse(line.ToString(), AttuneJson.DocumentOptions);
                    ev = _reader.ReadEvent(doc.RootElement, _errors);
                }
                catch (JsonException ex)
                {
                    C.Reject(n, "", "invalid JSON: " + ex.Message);
                    continue;
                }
                catch (InvalidOperationException)
                {
                    // A string the document accepted but cannot be read as text (an unpaired surrogate escape): name its field.
                    var problem = JsonTextCheck.Scan(System.Text.Encoding.UTF8.GetBytes(line.ToString()), 1) is [var p, ..]
                        ? p : new FieldError("", "holds text that is not valid Unicode");
                    C.Reject(n, problem.Field, problem.Message);
                    continue;
                }
                EventType type = default;
                if (ev is not null && !EventTypes.TryGetBuiltIn(ev.Type, out type))
                {
                    _errors.Add(new("type", ImportValues.CustomTypesUnsupported));
                    ev = null;
                }
                if (ev is null)
                {
                    C.Report.Rejected++;
                    foreach (var e in _errors) C.Report.AddError(n, e.Field, e.Message, C.Options.MaxErrors);
                    continue;
                }
                // File imports do not link identities: the event goes to the user; the anonymous id stays in the extra fields.
                Add(batch, ev.UserId ?? ev.AnonymousId!, ev.UserId is null, ev.ItemId, type, ev.Timestamp.ToUnixTimeMilliseconds(),
                    ev.Value, EventExtra.ToJson(ev));
            }
            return true;
        }
    }
}
