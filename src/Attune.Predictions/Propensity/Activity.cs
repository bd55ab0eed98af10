using System.Runtime.InteropServices;

namespace Attune.Predictions.Propensity;

/// <summary>
/// One behavioural event as the propensity features read it: when, what kind (the store's event type code), its value (a
/// purchase's amount), which item (an index into <see cref="ItemFacts"/>, −1 when unknown), the session (a hash, 0 when none),
/// channel and device codes (<see cref="ActivityCodes"/>, 0 when none) and whether it answered a recommendation.
/// </summary>
[StructLayout(LayoutKind.Auto)]
public readonly record struct ActivityEvent(long Ms, int Type, float Value, int Item, int Session, byte Channel, byte Device, bool FromRecommendation)
    : IComparable<ActivityEvent>
{
    public int CompareTo(ActivityEvent other) => Ms.CompareTo(other.Ms);
}

/// <summary>The catalog facts features need per item: its price (NaN when unknown) and its first category (−1 when none).</summary>
public sealed class ItemFacts
{
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly List<float> _prices = [];
    private readonly List<int> _categories = [];
    private readonly Dictionary<string, int> _categoryIndex = new(StringComparer.Ordinal);

    public int Count => _prices.Count;
    public int CategoryCount => _categoryIndex.Count;

    public void Add(string id, double? price, string? category)
    {
        int c = -1;
        if (category is not null && !_categoryIndex.TryGetValue(category, out c)) _categoryIndex[category] = c = _categoryIndex.Count;
        if (_index.TryGetValue(id, out int at))
        {
            _prices[at] = price is { } p ? (float)p : float.NaN;
            _categories[at] = c;
            return;
        }
        _index[id] = _prices.Count;
        _prices.Add(price is { } q ? (float)q : float.NaN);
        _categories.Add(c);
    }

    public int IndexOf(string? id) => id is not null && _index.TryGetValue(id, out int i) ? i : -1;
    public float Price(int item) => item >= 0 && item < _prices.Count ? _prices[item] : float.NaN;
    public int Category(int item) => item >= 0 && item < _categories.Count ? _categories[item] : -1;
}

/// <summary>Small codes for channels and devices (the first 254 names seen; later ones share code 255).</summary>
public sealed class ActivityCodes
{
    private readonly Dictionary<string, byte> _channels = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte> _devices = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public byte Channel(ReadOnlySpan<char> name) => Code(_channels, name);
    public byte Device(ReadOnlySpan<char> name) => Code(_devices, name);

    private byte Code(Dictionary<string, byte> codes, ReadOnlySpan<char> name)
    {
        if (name.IsEmpty) return 0;
        lock (_lock)
        {
            var lookup = codes.GetAlternateLookup<ReadOnlySpan<char>>();
            if (lookup.TryGetValue(name, out byte code)) return code;
            if (codes.Count >= 254) return 255;
            code = (byte)(codes.Count + 1);
            codes[name.ToString()] = code;
            return code;
        }
    }

    /// <summary>
    /// Reads what features need from an event's extra fields (the store's JSON: <c>sessionId</c>, <c>channel</c>,
    /// <c>recommendationId</c>, <c>context.device</c>) by scanning for the keys: no JSON document is built per event.
    /// </summary>
    public (int Session, byte Channel, byte Device, bool FromRecommendation) ReadExtra(string? extra)
    {
        if (extra is null) return (0, 0, 0, false);
        var session = StringValue(extra, "\"sessionId\":\"");
        int sessionHash = session.IsEmpty ? 0 : (string.GetHashCode(session) | 1);
        return (sessionHash, Channel(StringValue(extra, "\"channel\":\"")), Device(StringValue(extra, "\"device\":\"")),
            extra.Contains("\"recommendationId\":", StringComparison.Ordinal));
    }

    private static ReadOnlySpan<char> StringValue(string json, string key)
    {
        int at = json.IndexOf(key, StringComparison.Ordinal);
        if (at < 0) return default;
        int start = at + key.Length, end = start;
        while (end < json.Length && json[end] != '"')
        {
            if (json[end] == '\\') end++;
            end++;
        }
        return json.AsSpan(start, Math.Min(end, json.Length) - start);
    }
}

/// <summary>
/// Everyone's events grouped by person in time order (one array, offsets per person): what training reads. Built by
/// <see cref="Builder"/> from events in any order.
/// </summary>
public sealed class PeopleActivity
{
    private PeopleActivity(string[] ids, bool[] anonymous, int[] offsets, ActivityEvent[] events, long firstMs, long lastMs)
    {
        Ids = ids;
        Anonymous = anonymous;
        Offsets = offsets;
        Events = events;
        FirstMs = firstMs;
        LastMs = lastMs;
    }

    public string[] Ids { get; }
    public bool[] Anonymous { get; }
    public int[] Offsets { get; }
    public ActivityEvent[] Events { get; }
    public int People => Ids.Length;
    public long FirstMs { get; }
    public long LastMs { get; }

    public ReadOnlySpan<ActivityEvent> Of(int person) => Events.AsSpan(Offsets[person], Offsets[person + 1] - Offsets[person]);

    /// <summary>Collects events person by person, then sorts each person's by time.</summary>
    public sealed class Builder
    {
        private readonly Dictionary<(string, bool), int> _people = [];
        private readonly List<string> _ids = [];
        private readonly List<bool> _anonymous = [];
        private readonly List<int> _owner = [];
        private readonly List<ActivityEvent> _events = [];
        private long _first = long.MaxValue, _last = long.MinValue;

        public int Events => _events.Count;

        public void Add(string person, bool anonymous, ActivityEvent e)
        {
            if (!_people.TryGetValue((person, anonymous), out int p))
            {
                _people[(person, anonymous)] = p = _ids.Count;
                _ids.Add(person);
                _anonymous.Add(anonymous);
            }
            _owner.Add(p);
            _events.Add(e);
            if (e.Ms < _first) _first = e.Ms;
            if (e.Ms > _last) _last = e.Ms;
        }

        public PeopleActivity Build()
        {
            int people = _ids.Count;
            var offsets = new int[people + 1];
            foreach (int p in _owner) offsets[p + 1]++;
            for (int p = 0; p < people; p++) offsets[p + 1] += offsets[p];
            var next = offsets[..people];
            var events = new ActivityEvent[_events.Count];
            var source = CollectionsMarshal.AsSpan(_events);
            var owners = CollectionsMarshal.AsSpan(_owner);
            for (int i = 0; i < source.Length; i++) events[next[owners[i]]++] = source[i];
            for (int p = 0; p < people; p++) Array.Sort(events, offsets[p], offsets[p + 1] - offsets[p]);
            return new PeopleActivity([.. _ids], [.. _anonymous], offsets, events,
                _events.Count == 0 ? 0 : _first, _events.Count == 0 ? 0 : _last);
        }
    }
}
