using System.Text.RegularExpressions;
using Attune.Validation;

namespace Attune.Experiments.Assignment;

/// <summary>
/// A targeting condition in the SDKs' MongoDB-style language, compiled once and evaluated many times without allocating
/// for the common cases. Field conditions (<c>{"country": "DE"}</c>, dotted paths into objects and arrays), operators
/// <c>$eq $ne $lt $lte $gt $gte $in $nin $ini $nini $all $alli $elemMatch $size $exists $type $not $regex $regexi</c>,
/// versions <c>$veq $vne $vgt $vgte $vlt $vlte</c>, saved groups <c>$inGroup $notInGroup</c>, and <c>$and $or $nor $not</c>.
/// Types mix as in the JavaScript SDK (<c>"8"</c> is greater than 5; a missing attribute reads as null).
/// </summary>
/// <remarks>
/// Compiling never fails: what the SDK would evaluate to false (an unknown operator, an invalid regex, <c>$in</c> without an
/// array) evaluates to false. <see cref="Compile(in AttributeValue, ICollection{FieldError}, string)"/> also reports those
/// problems, for APIs that must refuse them.
/// </remarks>
public sealed class Condition
{
    private static readonly TimeSpan s_regexTimeout = TimeSpan.FromMilliseconds(50);

    private readonly ConditionNode _root;

    private Condition(AttributeValue source, ConditionNode root)
    {
        Source = source;
        _root = root;
    }

    /// <summary>The condition as written (JSON).</summary>
    public AttributeValue Source { get; }

    /// <summary>The empty condition <c>{}</c>: everyone passes.</summary>
    public static Condition Always { get; } = new(AttributeValue.FromObject(new Attributes(0)), ConstantNode.True);

    public static Condition Compile(in AttributeValue source) => new(source, new Compiler(null).Condition(source, "condition"));

    /// <summary>Compiles, adding a <see cref="FieldError"/> (under <paramref name="field"/>) for every part the SDK would ignore or fail.</summary>
    public static Condition Compile(in AttributeValue source, ICollection<FieldError> problems, string field = "condition") =>
        new(source, new Compiler(problems).Condition(source, field));

    /// <summary>Parses and compiles JSON text; throws <see cref="System.Text.Json.JsonException"/> when it is not JSON.</summary>
    public static Condition Parse(string json) => Compile(AttributeJson.Parse(json));

    public bool Evaluate(Attributes attributes, SavedGroups? savedGroups = null) =>
        _root.Eval(AttributeValue.FromObject(attributes), savedGroups ?? SavedGroups.Empty);

    /// <summary>Evaluates over any value (the SDK evaluates prerequisites over <c>{"value": …}</c>).</summary>
    public bool Evaluate(in AttributeValue obj, SavedGroups? savedGroups = null) => _root.Eval(obj, savedGroups ?? SavedGroups.Empty);

    public override string ToString() => Source.ToJson();

    private sealed class Compiler(ICollection<FieldError>? problems)
    {
        private void Problem(string field, string message) => problems?.Add(new FieldError(field, message));

        public ConditionNode Condition(in AttributeValue c, string field)
        {
            switch (c.Kind)
            {
                case AttributeKind.Object:
                    var obj = c.AsObject!;
                    var parts = new ConditionNode[obj.Count];
                    for (int i = 0; i < obj.Count; i++) parts[i] = Entry(obj.KeyAt(i), obj.ValueAt(i), $"{field}.{obj.KeyAt(i)}");
                    return parts.Length switch { 0 => ConstantNode.True, 1 => parts[0], _ => new AllNode(parts) };
                case AttributeKind.Array:
                    // Object.entries of an array: its indices as fields.
                    Problem(field, "must be an object: field → condition");
                    var items = c.ArrayUnchecked;
                    var byIndex = new ConditionNode[items.Length];
                    for (int i = 0; i < items.Length; i++) byIndex[i] = new PathNode([i.ToString(System.Globalization.CultureInfo.InvariantCulture)], Value(items[i], field, false));
                    return byIndex.Length == 0 ? ConstantNode.True : new AllNode(byIndex);
                case AttributeKind.Null:
                    Problem(field, "must be an object: field → condition");
                    return ConstantNode.False; // the SDK throws
                default:
                    // Object.entries of a number or boolean is empty; a string's characters are rarely meant.
                    Problem(field, "must be an object: field → condition");
                    return c.Kind == AttributeKind.String && c.StringUnchecked.Length > 0 ? ConstantNode.False : ConstantNode.True;
            }
        }

        private ConditionNode Entry(string key, in AttributeValue v, string field) => key switch
        {
            "$or" => new AnyNode(List(v, field), negate: false),
            "$nor" => new AnyNode(List(v, field), negate: true),
            "$and" => new AllNode(List(v, field)),
            "$not" => new NotNode(Condition(v, field)),
            _ => new PathNode(key.Split('.'), Value(v, field, false)),
        };

        private ConditionNode[] List(in AttributeValue v, string field)
        {
            if (v.Kind != AttributeKind.Array)
            {
                Problem(field, "must be an array of conditions");
                return [];
            }
            var items = v.ArrayUnchecked;
            var nodes = new ConditionNode[items.Length];
            for (int i = 0; i < items.Length; i++) nodes[i] = Condition(items[i], $"{field}[{i}]");
            return nodes;
        }

        private static bool IsOperatorObject(in AttributeValue v)
        {
            if (v.Kind != AttributeKind.Object || v.AsObject!.Count == 0) return false;
            var obj = v.AsObject;
            for (int i = 0; i < obj.Count; i++)
            {
                if (!obj.KeyAt(i).StartsWith('$')) return false;
            }
            return true;
        }

        public Matcher Value(in AttributeValue v, string field, bool ignoreCase)
        {
            switch (v.Kind)
            {
                case AttributeKind.String: return new StringEqualsMatcher(v.StringUnchecked, ignoreCase);
                case AttributeKind.Number: return new NumberEqualsMatcher(v.NumberUnchecked);
                case AttributeKind.Boolean: return new BooleanEqualsMatcher(v.AsBoolean);
                case AttributeKind.Null: return NullMatcher.Instance;
            }
            if (!IsOperatorObject(v))
            {
                if (v.AsObject is { } o && o.Any(kv => kv.Key.StartsWith('$')))
                    Problem(field, "mixes operators ($…) and fields; it would only match an equal object");
                return new JsonEqualsMatcher(v);
            }
            var obj = v.AsObject!;
            var ops = new Matcher[obj.Count];
            for (int i = 0; i < obj.Count; i++) ops[i] = Operator(obj.KeyAt(i), obj.ValueAt(i), $"{field}.{obj.KeyAt(i)}");
            return ops.Length == 1 ? ops[0] : new AllOperatorsMatcher(ops);
        }

        private Matcher Operator(string op, in AttributeValue expected, string field)
        {
            switch (op)
            {
                case "$veq": return Version(Comparison.Eq, expected, field);
                case "$vne": return Version(Comparison.Ne, expected, field);
                case "$vgt": return Version(Comparison.Gt, expected, field);
                case "$vgte": return Version(Comparison.Gte, expected, field);
                case "$vlt": return Version(Comparison.Lt, expected, field);
                case "$vlte": return Version(Comparison.Lte, expected, field);
                case "$eq": return new StrictEqualsMatcher(expected, negate: false);
                case "$ne": return new StrictEqualsMatcher(expected, negate: true);
                case "$lt": return new RelationalMatcher(Comparison.Lt, expected);
                case "$lte": return new RelationalMatcher(Comparison.Lte, expected);
                case "$gt": return new RelationalMatcher(Comparison.Gt, expected);
                case "$gte": return new RelationalMatcher(Comparison.Gte, expected);
                case "$exists":
                    if (expected.Kind != AttributeKind.Boolean) Problem(field, "must be true or false");
                    return new ExistsMatcher(expected.IsTruthy);
                case "$in": return In(expected, field, ignoreCase: false, negate: false);
                case "$nin": return In(expected, field, ignoreCase: false, negate: true);
                case "$ini": return In(expected, field, ignoreCase: true, negate: false);
                case "$nini": return In(expected, field, ignoreCase: true, negate: true);
                case "$inGroup":
                case "$notInGroup":
                    if (expected.Kind != AttributeKind.String) Problem(field, "must be a saved group id (a string)");
                    return new GroupMatcher(Js.ToJsString(expected), negate: op == "$notInGroup");
                case "$not": return new NotMatcher(Value(expected, field, false));
                case "$size": return new SizeMatcher(Value(expected, field, false));
                case "$elemMatch":
                    return IsOperatorObject(expected)
                        ? new ElemMatchMatcher(Value(expected, field, false), null)
                        : new ElemMatchMatcher(null, Condition(expected, field));
                case "$all":
                case "$alli":
                    if (expected.Kind != AttributeKind.Array)
                    {
                        Problem(field, "must be an array");
                        return FalseMatcher.Instance;
                    }
                    var items = expected.ArrayUnchecked;
                    var each = new Matcher[items.Length];
                    for (int i = 0; i < items.Length; i++) each[i] = Value(items[i], $"{field}[{i}]", ignoreCase: op == "$alli");
                    return new AllMatcher(each);
                case "$regex":
                case "$regexi":
                    if (expected.Kind != AttributeKind.String)
                    {
                        Problem(field, "must be a regular expression (a string)");
                        return FalseMatcher.Instance;
                    }
                    return CompileRegex(expected.StringUnchecked, op == "$regexi") is { } regex ? new RegexMatcher(regex) : Invalid(field);
                case "$type":
                    string? type = expected.AsString;
                    if (type is not ("null" or "boolean" or "number" or "string" or "array" or "object" or "undefined"))
                    {
                        Problem(field, "must be one of null, boolean, number, string, array, object");
                        return FalseMatcher.Instance;
                    }
                    return new TypeMatcher(type);
                default:
                    Problem(field, $"unknown operator '{op}'");
                    return FalseMatcher.Instance;
            }
        }

        private Matcher Invalid(string field)
        {
            Problem(field, "is not a valid regular expression");
            return FalseMatcher.Instance;
        }

        private Matcher Version(Comparison op, in AttributeValue expected, string field)
        {
            if (expected.Kind is not (AttributeKind.String or AttributeKind.Number)) Problem(field, "must be a version such as \"1.2.3\"");
            return new VersionMatcher(op, VersionString.Pad(expected));
        }

        private Matcher In(in AttributeValue expected, string field, bool ignoreCase, bool negate)
        {
            if (expected.Kind != AttributeKind.Array)
            {
                Problem(field, "must be an array");
                return FalseMatcher.Instance;
            }
            return new InMatcher(new ValueSet(expected.AsArray, ignoreCase), negate);
        }

        /// <summary>
        /// A JavaScript pattern as .NET runs it: ECMAScript mode first (same \d, \w and escapes), the default engine for what
        /// that mode refuses (lookbehind, Unicode classes); null when neither accepts it (the SDK then fails the condition).
        /// </summary>
        // REVIEW: .NET's ECMAScript mode is close to JavaScript's RegExp (no 'u' flag), not identical: patterns using
        // JavaScript-only syntax (\u{…}, named groups in ECMAScript mode) may compile differently or not at all.
        private static Regex? CompileRegex(string pattern, bool ignoreCase)
        {
            var icase = ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None;
            try
            {
                return new Regex(pattern, RegexOptions.ECMAScript | icase, s_regexTimeout);
            }
            catch (ArgumentException)
            {
                try
                {
                    return new Regex(pattern, RegexOptions.CultureInvariant | icase, s_regexTimeout);
                }
                catch (ArgumentException)
                {
                    return null;
                }
            }
        }
    }
}
