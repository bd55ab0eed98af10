using System.Globalization;
using System.Text.Json;
using Attune.Model;
using Attune.Storage;
using Attune.Validation;

namespace Attune.Import;

/// <summary>Session files: one line per session, its events in order (see the format list on the main part).</summary>
public static partial class EventFileReader
{
    // ---------------------------------------------------------------- sessions

    private sealed class SessionParser(EventContext c) : EventParser(c)
    {
        private const string Prefix = "session-";
        private readonly EventType _type = c.OptionType ?? EventType.View;
        private readonly (string, string)? _typeProblem = ImportValues.TypeProblem(c.OptionType ?? EventType.View, true, false);
        private bool _started;
        private bool _clicks;               // YooChoose layout
        private int _sessionColumn, _itemColumn, _timeColumn = -1, _columns;
        private long _click;                // running click number, for synthetic times
        private string? _pendingRest;
        private string _pendingSession = "";
        private long _pendingLine;

        public override bool Fill(InteractionBatch batch)
        {
            if (_pendingRest is not null)
            {
                string rest = _pendingRest;
                _pendingRest = null;
                if (!Items(rest, _pendingLine, _pendingSession, batch)) return true;
            }
            while (!batch.IsFull)
            {
                if (!NextLine(out var line)) return false;
                long n = C.Lines.LineNumber;
                if (line.IsWhiteSpace()) continue;
                if (!_started)
                {
                    _started = true;
                    if (TryHeader(line)) continue;
                }
                if (_clicks)
                {
                    Click(line, n, batch);
                    continue;
                }
                if (_typeProblem is { } tp)
                {
                    C.Reject(n, tp.Item1, tp.Item2);
                    continue;
                }
                string session = Prefix + n.ToString(CultureInfo.InvariantCulture);
                if (!Items(line, n, session, batch)) return true;
            }
            return true;
        }

        private bool Items(ReadOnlySpan<char> rest, long n, string session, InteractionBatch batch)
        {
            int pos = 0;
            while (true)
            {
                if (batch.IsFull)
                {
                    var remaining = rest[pos..];
                    if (remaining.IsWhiteSpace()) return true;
                    _pendingRest = remaining.ToString();
                    _pendingSession = session;
                    _pendingLine = n;
                    return false;
                }
                if (!NextToken(rest, ref pos, out var itemText)) return true;
                long ms = C.BaseMs + _click * 1000;
                _click++;
                string? item = C.Ids.Get(itemText, out var problem);
                string? timeProblem = C.Window.Check(ms);
                if (item is null) C.Reject(n, "itemId", $"'{ImportValues.Shorten(itemText)}': {problem}");
                else if (timeProblem is not null) C.Reject(n, "timestamp", timeProblem);
                else Add(batch, session, true, item, _type, ms, null);
            }
        }

        /// <summary>Recognises the YooChoose header (<c>SessionId ItemId Time</c>, any order, more columns allowed).</summary>
        private bool TryHeader(ReadOnlySpan<char> line)
        {
            int pos = 0, column = 0, session = -1, item = -1, time = -1;
            while (NextField(line, ref pos, out var token))
            {
                switch (CsvReader.Normalize(token))
                {
                    case "sessionid": session = column; break;
                    case "itemid": item = column; break;
                    case "time" or "timestamp": time = column; break;
                }
                column++;
            }
            if (session < 0 || item < 0) return false;
            _clicks = true;
            _sessionColumn = session;
            _itemColumn = item;
            _timeColumn = time;
            _columns = column;
            return true;
        }

        private static bool NextField(ReadOnlySpan<char> line, scoped ref int pos, out ReadOnlySpan<char> token)
        {
            while (pos < line.Length && line[pos] is ' ' or '\t' or ',') pos++;
            if (pos >= line.Length) { token = default; return false; }
            int len = line[pos..].IndexOfAny(" \t,");
            if (len < 0) len = line.Length - pos;
            token = line.Slice(pos, len);
            pos += len;
            return true;
        }

        private void Click(ReadOnlySpan<char> line, long n, InteractionBatch batch)
        {
            ReadOnlySpan<char> sessionText = default, itemText = default, timeText = default;
            int pos = 0, column = 0;
            while (NextField(line, ref pos, out var token))
            {
                if (column == _sessionColumn) sessionText = token;
                else if (column == _itemColumn) itemText = token;
                else if (column == _timeColumn) timeText = token;
                column++;
            }
            if (column != _columns)
            {
                C.Reject(n, "", $"expected {_columns} columns as in the header, found {column}");
                return;
            }
            Span<char> buffer = stackalloc char[Prefix.Length + Limits.MaxIdLength + 1];
            string? session;
            string? sessionProblem;
            if (sessionText.Length <= Limits.MaxIdLength)
            {
                Prefix.CopyTo(buffer);
                sessionText.CopyTo(buffer[Prefix.Length..]);
                session = C.Ids.Get(buffer[..(Prefix.Length + sessionText.Length)], out sessionProblem);
            }
            else
            {
                session = null;
                sessionProblem = $"must be at most {Limits.MaxIdLength} characters (got {sessionText.Length})";
            }
            string? item = C.Ids.Get(itemText, out var itemProblem);
            long ms = C.BaseMs + _click * 1000;
            _click++;
            bool badTime = _timeColumn >= 0 && !C.TryParseTime(timeText, out ms);
            string? timeProblem = badTime ? null : C.Window.Check(ms);
            if (session is null || item is null || badTime || timeProblem is not null || _typeProblem is not null)
            {
                C.Report.Rejected++;
                var o = C.Options.MaxErrors;
                if (sessionProblem is not null) C.Report.AddError(n, "anonymousId", sessionProblem, o);
                if (itemProblem is not null) C.Report.AddError(n, "itemId", itemProblem, o);
                if (badTime) C.Report.AddError(n, "timestamp", ImportValues.TimeFormatMessage, o);
                if (timeProblem is not null) C.Report.AddError(n, "timestamp", timeProblem, o);
                if (_typeProblem is { } tp) C.Report.AddError(n, tp.Item1, tp.Item2, o);
                return;
            }
            Add(batch, session, true, item, _type, ms, null);
        }
    }
}
