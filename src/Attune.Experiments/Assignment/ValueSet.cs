namespace Attune.Experiments.Assignment;

/// <summary>
/// A set of values for <c>$in</c>, <c>$nin</c> and saved groups, with <c>Array.prototype.includes</c> semantics (SameValueZero:
/// strings and numbers by value, NaN equal to NaN, arrays and objects never equal). Hashed, so a group of 10,000 ids costs one
/// lookup. Case-insensitive sets (<c>$ini</c>) compare strings with <see cref="StringComparer.OrdinalIgnoreCase"/>.
/// </summary>
internal sealed class ValueSet
{
    private readonly HashSet<string>? _strings;
    private readonly HashSet<double>? _numbers;
    private readonly bool _true, _false, _null;

    public ValueSet(ReadOnlySpan<AttributeValue> values, bool ignoreCase = false)
    {
        foreach (var v in values)
        {
            switch (v.Kind)
            {
                case AttributeKind.String:
                    // REVIEW: OrdinalIgnoreCase, not JavaScript's toLowerCase(): the same for ASCII, different for a few letters
                    // outside it (e.g. Turkish dotted İ), where $ini/$nini/$alli may then match what the SDK would not.
                    (_strings ??= new HashSet<string>(ignoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal)).Add(v.StringUnchecked);
                    break;
                case AttributeKind.Number:
                    (_numbers ??= []).Add(v.NumberUnchecked + 0.0); // -0 → 0
                    break;
                case AttributeKind.Boolean:
                    if (v.AsBoolean) _true = true;
                    else _false = true;
                    break;
                case AttributeKind.Null:
                    _null = true;
                    break;
            }
        }
    }

    public static ValueSet Empty { get; } = new([]);

    public bool Contains(in AttributeValue v) => v.Kind switch
    {
        AttributeKind.String => _strings is not null && _strings.Contains(v.StringUnchecked),
        AttributeKind.Number => _numbers is not null && _numbers.Contains(v.NumberUnchecked + 0.0),
        AttributeKind.Boolean => v.AsBoolean ? _true : _false,
        AttributeKind.Null => _null,
        _ => false,
    };

    /// <summary>The SDK's <c>isIn</c>: an array attribute matches when any of its items is in the set.</summary>
    public bool Intersects(in AttributeValue actual)
    {
        if (actual.Kind != AttributeKind.Array) return Contains(actual);
        foreach (var item in actual.ArrayUnchecked)
        {
            if (Contains(item)) return true;
        }
        return false;
    }
}

/// <summary>
/// Saved groups for <c>$inGroup</c>/<c>$notInGroup</c>: group id → the values in it (user ids, countries…). Immutable; each
/// group is hashed once.
/// </summary>
public sealed class SavedGroups
{
    private readonly Dictionary<string, ValueSet> _groups;

    public SavedGroups(IReadOnlyDictionary<string, IReadOnlyList<AttributeValue>> groups)
    {
        _groups = new Dictionary<string, ValueSet>(groups.Count, StringComparer.Ordinal);
        foreach (var (id, values) in groups) _groups[id] = new ValueSet(values.ToArray());
    }

    /// <summary>From the SDK payload's <c>savedGroups</c> object (id → array); entries that are not arrays are empty groups.</summary>
    public static SavedGroups FromJson(in AttributeValue json)
    {
        var groups = new Dictionary<string, IReadOnlyList<AttributeValue>>(StringComparer.Ordinal);
        if (json.AsObject is { } obj)
        {
            foreach (var (id, v) in obj) groups[id] = v.AsList ?? [];
        }
        return new SavedGroups(groups);
    }

    public static SavedGroups Empty { get; } = new(new Dictionary<string, IReadOnlyList<AttributeValue>>());

    public int Count => _groups.Count;

    internal ValueSet Get(string id) => _groups.GetValueOrDefault(id) ?? ValueSet.Empty;
}
