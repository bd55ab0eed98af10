using System.Globalization;
using System.Text.RegularExpressions;

namespace Attune.Experiments.Assignment;

// The compiled form of a condition: one node per construct of the SDK's mongrule.ts. Conditions are compiled once (paths
// split, sets hashed, regexes built, versions padded) and evaluated without allocating for strings, numbers and booleans.

/// <summary><c>evalCondition(obj, condition)</c>: a condition over an object.</summary>
internal abstract class ConditionNode
{
    public abstract bool Eval(in AttributeValue obj, SavedGroups groups);
}

internal sealed class ConstantNode(bool value) : ConditionNode
{
    public static readonly ConstantNode True = new(true);
    public static readonly ConstantNode False = new(false);
    public override bool Eval(in AttributeValue obj, SavedGroups groups) => value;
}

/// <summary>Every part passes (the entries of a condition object, and <c>$and</c>).</summary>
internal sealed class AllNode(ConditionNode[] parts) : ConditionNode
{
    public override bool Eval(in AttributeValue obj, SavedGroups groups)
    {
        foreach (var p in parts)
        {
            if (!p.Eval(obj, groups)) return false;
        }
        return true;
    }
}

/// <summary><c>$or</c> (an empty list passes), or with <c>negate</c> <c>$nor</c> (an empty list fails).</summary>
internal sealed class AnyNode(ConditionNode[] parts, bool negate) : ConditionNode
{
    public override bool Eval(in AttributeValue obj, SavedGroups groups)
    {
        bool any = parts.Length == 0;
        foreach (var p in parts)
        {
            if (p.Eval(obj, groups))
            {
                any = true;
                break;
            }
        }
        return any != negate;
    }
}

internal sealed class NotNode(ConditionNode inner) : ConditionNode
{
    public override bool Eval(in AttributeValue obj, SavedGroups groups) => !inner.Eval(obj, groups);
}

/// <summary>A dotted path and the condition its value must meet; a missing step reads as null (<c>getPath</c>).</summary>
internal sealed class PathNode(string[] path, Matcher matcher) : ConditionNode
{
    public override bool Eval(in AttributeValue obj, SavedGroups groups) => matcher.Match(Resolve(obj, path), groups);

    private static AttributeValue Resolve(in AttributeValue obj, string[] path)
    {
        var current = obj;
        foreach (string part in path)
        {
            if (current.Kind == AttributeKind.Object)
            {
                if (!current.AsObject!.TryGetValue(part, out current)) return default;
            }
            else if (current.Kind == AttributeKind.Array)
            {
                var items = current.ArrayUnchecked;
                if (part == "length") current = items.Length;
                else if (IsIndex(part, out int i) && i < items.Length) current = items[i];
                else return default;
            }
            else return default;
        }
        return current;
    }

    private static bool IsIndex(string s, out int index)
    {
        index = -1;
        return s.Length > 0 && (s.Length == 1 || s[0] != '0') && VersionString.AllDigits(s)
            && int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out index);
    }
}

/// <summary><c>evalConditionValue(condition, value)</c>: a condition on one value.</summary>
internal abstract class Matcher
{
    public abstract bool Match(in AttributeValue actual, SavedGroups groups);
}

internal sealed class FalseMatcher : Matcher
{
    public static readonly FalseMatcher Instance = new();
    public override bool Match(in AttributeValue actual, SavedGroups groups) => false;
}

/// <summary>A string condition: <c>value + "" === condition</c> (case-folded inside <c>$alli</c>).</summary>
internal sealed class StringEqualsMatcher(string expected, bool ignoreCase) : Matcher
{
    public override bool Match(in AttributeValue actual, SavedGroups groups) => ignoreCase
        ? string.Equals(Js.ToJsString(actual), expected, StringComparison.OrdinalIgnoreCase)
        : Js.StringEquals(actual, expected);
}

/// <summary>A number condition: <c>value * 1 === condition</c>.</summary>
internal sealed class NumberEqualsMatcher(double expected) : Matcher
{
    public override bool Match(in AttributeValue actual, SavedGroups groups) => Js.ToNumber(actual) == expected;
}

/// <summary>A boolean condition: <c>value !== null &amp;&amp; !!value === condition</c>.</summary>
internal sealed class BooleanEqualsMatcher(bool expected) : Matcher
{
    public override bool Match(in AttributeValue actual, SavedGroups groups) => !actual.IsNull && actual.IsTruthy == expected;
}

internal sealed class NullMatcher : Matcher
{
    public static readonly NullMatcher Instance = new();
    public override bool Match(in AttributeValue actual, SavedGroups groups) => actual.IsNull;
}

/// <summary>An array or plain object condition: equal as JSON.</summary>
internal sealed class JsonEqualsMatcher(AttributeValue expected) : Matcher
{
    public override bool Match(in AttributeValue actual, SavedGroups groups) => Js.JsonEquals(actual, expected);
}

/// <summary>An operator object: every operator passes.</summary>
internal sealed class AllOperatorsMatcher(Matcher[] operators) : Matcher
{
    public override bool Match(in AttributeValue actual, SavedGroups groups)
    {
        foreach (var m in operators)
        {
            if (!m.Match(actual, groups)) return false;
        }
        return true;
    }
}

internal enum Comparison : byte { Eq, Ne, Lt, Lte, Gt, Gte }

/// <summary><c>$veq</c> … <c>$vlte</c>: padded version strings compared as strings.</summary>
internal sealed class VersionMatcher(Comparison op, string paddedExpected) : Matcher
{
    public override bool Match(in AttributeValue actual, SavedGroups groups) =>
        Holds(op, VersionString.Compare(actual, paddedExpected));

    internal static bool Holds(Comparison op, int c) => op switch
    {
        Comparison.Eq => c == 0,
        Comparison.Ne => c != 0,
        Comparison.Lt => c < 0,
        Comparison.Lte => c <= 0,
        Comparison.Gt => c > 0,
        _ => c >= 0,
    };
}

/// <summary><c>$eq</c>/<c>$ne</c>: <c>===</c>/<c>!==</c>.</summary>
internal sealed class StrictEqualsMatcher(AttributeValue expected, bool negate) : Matcher
{
    public override bool Match(in AttributeValue actual, SavedGroups groups) => Js.StrictEquals(actual, expected) != negate;
}

/// <summary><c>$lt</c> … <c>$gte</c>: JavaScript's <c>&lt;</c>, <c>&lt;=</c>, <c>&gt;</c>, <c>&gt;=</c>.</summary>
internal sealed class RelationalMatcher(Comparison op, AttributeValue expected) : Matcher
{
    private readonly bool _expectedIsString = expected.Kind == AttributeKind.String;
    private readonly double _expectedNumber = expected.Kind is AttributeKind.Array or AttributeKind.Object ? double.NaN : Js.ToNumber(expected);
    private readonly bool _simple = expected.Kind is not (AttributeKind.Array or AttributeKind.Object);

    public override bool Match(in AttributeValue actual, SavedGroups groups)
    {
        int? c;
        if (_simple && actual.Kind is AttributeKind.Number or AttributeKind.Null or AttributeKind.Boolean)
        {
            // Not both strings: a numeric comparison.
            double x = actual.NumberUnchecked;
            c = double.IsNaN(x) || double.IsNaN(_expectedNumber) ? null : x < _expectedNumber ? -1 : x > _expectedNumber ? 1 : 0;
        }
        else if (_simple && actual.Kind == AttributeKind.String)
        {
            if (_expectedIsString) c = Math.Sign(string.CompareOrdinal(actual.StringUnchecked, expected.StringUnchecked));
            else
            {
                double x = Js.StringToNumber(actual.StringUnchecked);
                c = double.IsNaN(x) || double.IsNaN(_expectedNumber) ? null : x < _expectedNumber ? -1 : x > _expectedNumber ? 1 : 0;
            }
        }
        else c = Js.Compare(actual, expected);
        return c is { } v && op switch
        {
            Comparison.Lt => v < 0,
            Comparison.Lte => v <= 0,
            Comparison.Gt => v > 0,
            _ => v >= 0,
        };
    }
}

/// <summary><c>$exists</c>: <c>value != null</c> (or <c>== null</c>).</summary>
internal sealed class ExistsMatcher(bool exists) : Matcher
{
    public override bool Match(in AttributeValue actual, SavedGroups groups) => actual.IsNull != exists;
}

/// <summary><c>$in</c>, <c>$nin</c>, <c>$ini</c>, <c>$nini</c>.</summary>
internal sealed class InMatcher(ValueSet set, bool negate) : Matcher
{
    public override bool Match(in AttributeValue actual, SavedGroups groups) => set.Intersects(actual) != negate;
}

/// <summary><c>$inGroup</c>/<c>$notInGroup</c>: membership in a saved group (an unknown group is empty).</summary>
internal sealed class GroupMatcher(string groupId, bool negate) : Matcher
{
    public override bool Match(in AttributeValue actual, SavedGroups groups) => groups.Get(groupId).Intersects(actual) != negate;
}

internal sealed class NotMatcher(Matcher inner) : Matcher
{
    public override bool Match(in AttributeValue actual, SavedGroups groups) => !inner.Match(actual, groups);
}

/// <summary><c>$size</c>: an array whose length meets the condition.</summary>
internal sealed class SizeMatcher(Matcher inner) : Matcher
{
    public override bool Match(in AttributeValue actual, SavedGroups groups) =>
        actual.Kind == AttributeKind.Array && inner.Match(AttributeValue.FromNumber(actual.ArrayUnchecked.Length), groups);
}

/// <summary><c>$elemMatch</c>: some truthy item of an array meets a value condition or an object condition.</summary>
internal sealed class ElemMatchMatcher(Matcher? value, ConditionNode? condition) : Matcher
{
    public override bool Match(in AttributeValue actual, SavedGroups groups)
    {
        if (actual.Kind != AttributeKind.Array) return false;
        foreach (var item in actual.ArrayUnchecked)
        {
            if (item.IsTruthy && (value?.Match(item, groups) ?? condition!.Eval(item, groups))) return true;
        }
        return false;
    }
}

/// <summary><c>$all</c>/<c>$alli</c>: every condition is met by some item of an array.</summary>
internal sealed class AllMatcher(Matcher[] each) : Matcher
{
    public override bool Match(in AttributeValue actual, SavedGroups groups)
    {
        if (actual.Kind != AttributeKind.Array) return false;
        var items = actual.ArrayUnchecked;
        foreach (var m in each)
        {
            bool passed = false;
            foreach (var item in items)
            {
                if (m.Match(item, groups))
                {
                    passed = true;
                    break;
                }
            }
            if (!passed) return false;
        }
        return true;
    }
}

/// <summary><c>$regex</c>/<c>$regexi</c>: the value's string form matches (null reads as "null", as in JavaScript).</summary>
internal sealed class RegexMatcher(Regex regex) : Matcher
{
    public override bool Match(in AttributeValue actual, SavedGroups groups)
    {
        try
        {
            return regex.IsMatch(Js.ToJsString(actual));
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }
}

/// <summary><c>$type</c>: the SDK's type name (null, boolean, number, string, array, object).</summary>
internal sealed class TypeMatcher(string typeName) : Matcher
{
    public override bool Match(in AttributeValue actual, SavedGroups groups) => Js.TypeName(actual.Kind) == typeName;
}
