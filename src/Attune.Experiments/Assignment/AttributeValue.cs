using System.Globalization;
using System.Runtime.CompilerServices;

namespace Attune.Experiments.Assignment;

/// <summary>The JSON type of an <see cref="AttributeValue"/>. A missing attribute reads as <see cref="Null"/>, as the SDKs do.</summary>
public enum AttributeKind : byte
{
    Null = 0,
    Boolean,
    Number,
    String,
    Array,
    Object,
}

/// <summary>
/// A JSON value (null, boolean, number, string, array or object) as the GrowthBook SDKs see it: attributes, variation values,
/// feature values and condition operands. A small struct (no boxing): strings, arrays and objects are references, numbers and
/// booleans live inline. Comparisons follow the JavaScript SDK's loose rules (see <see cref="Js"/>), so a condition gives the
/// answer the reference SDK gives.
/// </summary>
[System.Text.Json.Serialization.JsonConverter(typeof(AttributeValueJsonConverter))]
public readonly struct AttributeValue : IEquatable<AttributeValue>
{
    private readonly object? _ref;     // string | AttributeValue[] | Attributes
    private readonly double _number;   // the number, or 1/0 for a boolean

    private AttributeValue(AttributeKind kind, double number, object? reference)
    {
        Kind = kind;
        _number = number;
        _ref = reference;
    }

    public AttributeKind Kind { get; }

    /// <summary>JSON null (also what a missing attribute reads as).</summary>
    public static AttributeValue Null => default;
    public static AttributeValue True { get; } = new(AttributeKind.Boolean, 1, null);
    public static AttributeValue False { get; } = new(AttributeKind.Boolean, 0, null);

    public bool IsNull => Kind == AttributeKind.Null;

    public static AttributeValue FromString(string? s) => s is null ? default : new(AttributeKind.String, 0, s);
    public static AttributeValue FromNumber(double d) => new(AttributeKind.Number, d, null);
    public static AttributeValue FromBoolean(bool b) => b ? True : False;
    /// <summary>An array; the array is kept, not copied: do not change it afterwards.</summary>
    public static AttributeValue FromArray(AttributeValue[] items) => new(AttributeKind.Array, 0, items ?? throw new ArgumentNullException(nameof(items)));
    public static AttributeValue FromArray(IEnumerable<AttributeValue> items) => FromArray(items.ToArray());
    public static AttributeValue FromObject(Attributes obj) => new(AttributeKind.Object, 0, obj ?? throw new ArgumentNullException(nameof(obj)));

    public static implicit operator AttributeValue(string? s) => FromString(s);
    public static implicit operator AttributeValue(double d) => FromNumber(d);
    public static implicit operator AttributeValue(int i) => FromNumber(i);
    public static implicit operator AttributeValue(long l) => FromNumber(l);
    public static implicit operator AttributeValue(bool b) => FromBoolean(b);
    public static implicit operator AttributeValue(Attributes obj) => FromObject(obj);

    /// <summary>The string; null when this is not a string.</summary>
    public string? AsString => Kind == AttributeKind.String ? (string)_ref! : null;
    /// <summary>The number (or 0 when this is not a number).</summary>
    public double AsNumber => Kind == AttributeKind.Number ? _number : 0;
    public bool AsBoolean => Kind == AttributeKind.Boolean && _number != 0;
    /// <summary>The items of an array (empty when this is not an array).</summary>
    public ReadOnlySpan<AttributeValue> AsArray => Kind == AttributeKind.Array ? (AttributeValue[])_ref! : default;
    /// <summary>The items of an array (null when this is not an array).</summary>
    public IReadOnlyList<AttributeValue>? AsList => Kind == AttributeKind.Array ? (AttributeValue[])_ref! : null;
    /// <summary>The object (null when this is not an object).</summary>
    public Attributes? AsObject => Kind == AttributeKind.Object ? (Attributes)_ref! : null;

    internal string StringUnchecked
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (string)_ref!;
    }

    internal double NumberUnchecked => _number;
    internal AttributeValue[] ArrayUnchecked => (AttributeValue[])_ref!;

    /// <summary>JavaScript truthiness: false for null, false, 0, NaN and "", true otherwise.</summary>
    public bool IsTruthy => Kind switch
    {
        AttributeKind.Null => false,
        AttributeKind.Boolean or AttributeKind.Number => _number != 0 && !double.IsNaN(_number),
        AttributeKind.String => ((string)_ref!).Length > 0,
        _ => true,
    };

    /// <summary>Structural equality as <c>JSON.stringify(a) === JSON.stringify(b)</c> decides it (object keys in order).</summary>
    public bool Equals(AttributeValue other) => Js.JsonEquals(this, other);
    public override bool Equals(object? obj) => obj is AttributeValue v && Equals(v);
    public override int GetHashCode() => Kind switch
    {
        AttributeKind.String => StringUnchecked.GetHashCode(StringComparison.Ordinal),
        AttributeKind.Number => double.IsFinite(_number) ? (_number + 0.0).GetHashCode() : 0, // NaN and ±Infinity equal null as JSON
        AttributeKind.Boolean => _number.GetHashCode(),
        AttributeKind.Array => ArrayUnchecked.Length,
        AttributeKind.Object => AsObject!.Count,
        _ => 0,
    };
    public static bool operator ==(AttributeValue a, AttributeValue b) => a.Equals(b);
    public static bool operator !=(AttributeValue a, AttributeValue b) => !a.Equals(b);

    /// <summary>The value as JSON (compact).</summary>
    public string ToJson() => AttributeJson.Serialize(this);

    /// <summary>The value as JavaScript's <c>String(value)</c> gives it (arrays joined with commas, objects "[object Object]").</summary>
    public override string ToString() => Js.ToJsString(this);
}
