using System.Globalization;
using System.Text.Json;
using Attune.Model;
using Attune.Storage;
using Attune.Validation;

namespace Attune.Import;

/// <summary>CSV event files with a header naming the columns (see the format list on the main part).</summary>
public static partial class EventFileReader
{
    // ---------------------------------------------------------------- csv

    private sealed class CsvParser(EventContext c) : EventParser(c)
    {
        private readonly CsvReader _csv = new(c.Lines);
        private readonly List<(string Field, string Message)> _errors = new();
        private bool _headerRead, _stop;
        private int _columns;
        private int _user = -1, _anonymous = -1, _item = -1, _type = -1, _value = -1, _time = -1, _session = -1, _channel = -1;
        private bool _valueIsRating;

        public override bool Fill(InteractionBatch batch)
        {
            if (_stop) return false;
            if (!_headerRead)
            {
                _headerRead = true;
                if (!_csv.Read()) { C.Report.Lines = _csv.LinesRead; return false; }
                C.Report.Lines = _csv.LinesRead;
                if (Header() is { } problem)
                {
                    C.Reject(_csv.RecordLine, "header", problem);
                    _stop = true;
                    return false;
                }
            }
            while (!batch.IsFull)
            {
                bool read = _csv.Read();
                C.Report.Lines = _csv.LinesRead;
                if (!read) return false;
                Row(batch);
            }
            return true;
        }

        private string? Header()
        {
            _columns = _csv.FieldCount;
            int valuePriority = 0;
            for (int i = 0; i < _columns; i++)
            {
                string name = CsvReader.Normalize(_csv[i]);
                ref int slot = ref _user;
                switch (name)
                {
                    case "userid" or "user" or "customerid" or "visitorid": slot = ref _user; break;
                    case "anonymousid": slot = ref _anonymous; break;
                    case "itemid" or "item" or "productid" or "movieid": slot = ref _item; break;
                    case "type" or "eventtype" or "event": slot = ref _type; break;
                    case "timestamp" or "eventtime" or "time" or "ts": slot = ref _time; break;
                    case "sessionid" or "usersession" or "session": slot = ref _session; break;
                    case "channel": slot = ref _channel; break;
                    case "value" or "rating" or "price":
                        int priority = name switch { "value" => 3, "rating" => 2, _ => 1 };
                        if (priority == valuePriority) return $"more than one column means '{name}': '{_csv[i].Trim()}'";
                        if (priority > valuePriority)
                        {
                            valuePriority = priority;
                            _value = i;
                            _valueIsRating = priority >= 2;
                        }
                        continue;
                    default: continue;
                }
                if (slot >= 0) return $"more than one column means '{name}': '{_csv[slot].Trim()}' and '{_csv[i].Trim()}'";
                slot = i;
            }
            if (_user < 0 && _anonymous < 0)
                return "no user column: name one userId (or user_id, user, customerId, visitorId) or anonymousId";
            return null;
        }

        private void Row(InteractionBatch batch)
        {
            long n = _csv.RecordLine;
            if (_csv.Unterminated)
            {
                C.Reject(n, "", "a quoted field is not closed before the end of the file");
                return;
            }
            if (_csv.FieldCount != _columns)
            {
                C.Reject(n, "", $"the row has {_csv.FieldCount} fields but the header has {_columns}");
                return;
            }
            _errors.Clear();
            string? user = Id(_user, "userId");
            string? anonymous = Id(_anonymous, "anonymousId");
            if (user is null && anonymous is null && Cell(_user).IsEmpty && Cell(_anonymous).IsEmpty)
                _errors.Add(("userId", "userId or anonymousId is required"));
            string? item = Id(_item, "itemId");
            string? session = Id(_session, "sessionId");

            var valueText = Cell(_value);
            double? value = null;
            if (!valueText.IsEmpty)
            {
                if (ImportValues.TryParseValue(valueText, out double v)) value = v;
                else _errors.Add(("value", $"must be a finite number, not '{ImportValues.Shorten(valueText)}'"));
            }

            EventType? type = null;
            var typeText = Cell(_type);
            if (!typeText.IsEmpty)
            {
                if (ImportValues.TryResolveType(typeText, out var t, out var problem)) type = t;
                else _errors.Add(("type", problem!));
            }
            else type = C.OptionType ?? (value is not null && _valueIsRating ? EventType.Rating : EventType.View);

            long ms = C.BaseMs + n;
            var timeText = Cell(_time);
            if (!timeText.IsEmpty && !C.TryParseTime(timeText, out ms))
                _errors.Add(("timestamp", ImportValues.TimeFormatMessage));
            else if (C.Window.Check(ms) is { } timeProblem)
                _errors.Add(("timestamp", timeProblem));

            string? channel = null;
            var channelText = Cell(_channel);
            if (!channelText.IsEmpty)
            {
                channel = C.Ids.Get(channelText, out _);
                if (channel is null || !Channels.Known.Contains(channel))
                    _errors.Add(("channel", $"unknown channel '{ImportValues.Shorten(channelText)}'; known: {string.Join(", ", Channels.Known)}"));
            }

            if (type is { } et && ImportValues.TypeProblem(et, !Cell(_item).IsEmpty, !valueText.IsEmpty, value) is { } tp)
                _errors.Add(tp);

            if (_errors.Count > 0)
            {
                C.Report.Rejected++;
                foreach (var (field, message) in _errors) C.Report.AddError(n, field, message, C.Options.MaxErrors);
                return;
            }
            string? extra = session is null && channel is null && anonymous is null
                ? null
                : EventExtra.ToJson(new Event { Type = "", SessionId = session, Channel = channel, AnonymousId = anonymous });
            Add(batch, user ?? anonymous!, user is null, item, type!.Value, ms, value, extra);
        }

        private ReadOnlySpan<char> Cell(int column) => column < 0 ? default : _csv[column];

        private string? Id(int column, string field)
        {
            var text = Cell(column);
            if (text.IsEmpty) return null;
            string? id = C.Ids.Get(text, out var problem);
            if (id is null) _errors.Add((field, problem!));
            return id;
        }
    }
}
