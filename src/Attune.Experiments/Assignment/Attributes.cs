using System.Collections;

namespace Attune.Experiments.Assignment;

/// <summary>
/// A person's attributes (and any JSON object value): names to <see cref="AttributeValue"/>s, in insertion order (JSON equality
/// of objects depends on it, as in the SDKs). Lookups scan a short array; past 8 entries an index is built. Build one per
/// request and do not change it while an evaluation reads it.
/// </summary>
/// <example><code>var attributes = new Attributes { ["id"] = "u42", ["country"] = "DE", ["age"] = 31 };</code></example>
[System.Text.Json.Serialization.JsonConverter(typeof(AttributesJsonConverter))]
public sealed class Attributes : IEnumerable<KeyValuePair<string, AttributeValue>>
{
    private const int IndexFrom = 8;
    private string[] _keys;
    private AttributeValue[] _values;
    private int _count;
    private Dictionary<string, int>? _index;
    private readonly bool _readOnly;

    public Attributes() : this(4) { }

    public Attributes(int capacity)
    {
        _keys = capacity == 0 ? [] : new string[capacity];
        _values = capacity == 0 ? [] : new AttributeValue[capacity];
    }

    /// <summary>An empty object (read-only).</summary>
    public static Attributes Empty { get; } = new(0, readOnly: true);

    private Attributes(int capacity, bool readOnly) : this(capacity) => _readOnly = readOnly;

    public int Count => _count;

    /// <summary>The value of an attribute; <see cref="AttributeValue.Null"/> when it is missing. Setting one keeps its position.</summary>
    public AttributeValue this[string name]
    {
        get => TryGetValue(name, out var v) ? v : default;
        set => Set(name, value);
    }

    public bool ContainsKey(string name) => IndexOf(name) >= 0;

    public bool TryGetValue(string name, out AttributeValue value)
    {
        int i = IndexOf(name);
        if (i < 0)
        {
            value = default;
            return false;
        }
        value = _values[i];
        return true;
    }

    /// <summary>Adds or replaces an attribute.</summary>
    public void Add(string name, AttributeValue value) => Set(name, value);

    /// <summary>Adds or replaces an attribute.</summary>
    public Attributes Set(string name, AttributeValue value)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_readOnly) throw new InvalidOperationException("Attributes.Empty cannot be changed; create new Attributes()");
        int i = IndexOf(name);
        if (i >= 0)
        {
            _values[i] = value;
            return this;
        }
        if (_count == _keys.Length)
        {
            int size = Math.Max(4, _count * 2);
            Array.Resize(ref _keys, size);
            Array.Resize(ref _values, size);
        }
        _keys[_count] = name;
        _values[_count] = value;
        _index?.Add(name, _count);
        _count++;
        if (_index is null && _count > IndexFrom)
        {
            _index = new Dictionary<string, int>(_count * 2, StringComparer.Ordinal);
            for (int k = 0; k < _count; k++) _index[_keys[k]] = k;
        }
        return this;
    }

    public string KeyAt(int index) => _keys[index];
    public AttributeValue ValueAt(int index) => _values[index];

    private int IndexOf(string name)
    {
        if (_index is not null) return _index.TryGetValue(name, out int i) ? i : -1;
        var keys = _keys;
        for (int i = 0; i < _count; i++)
        {
            if (string.Equals(keys[i], name, StringComparison.Ordinal)) return i;
        }
        return -1;
    }

    /// <summary>A shallow copy (values are immutable or shared).</summary>
    public Attributes Clone()
    {
        var copy = new Attributes(_count);
        for (int i = 0; i < _count; i++) copy.Set(_keys[i], _values[i]);
        return copy;
    }

    public IEnumerator<KeyValuePair<string, AttributeValue>> GetEnumerator()
    {
        for (int i = 0; i < _count; i++) yield return new(_keys[i], _values[i]);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => AttributeJson.Serialize(AttributeValue.FromObject(this));
}
