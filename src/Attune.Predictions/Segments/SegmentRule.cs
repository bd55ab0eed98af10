using System.Globalization;
using Attune.Predictions.Propensity;

namespace Attune.Predictions.Segments;

/// <summary>A segment rule that does not parse or names an unknown field: where (0-based character position) and why.</summary>
public sealed class SegmentRuleException(int position, string reason) : FormatException($"at position {position}: {reason}")
{
    public int Position { get; } = position;
    public string Reason { get; } = reason;
}

/// <summary>
/// A segment rule: comparisons of a person's facts joined by <c>and</c>, <c>or</c>, <c>not</c> and parentheses, e.g.
/// <c>predictions.purchase7d &gt; 0.6 and clv.value90d &gt; 100</c>, <c>activity.purchases30d &gt;= 2 or rfm.segment = 'champions'</c>,
/// <c>user.country in ('DE', 'AT') and not anonymous</c>. Numbers compare with <c>= != &lt; &lt;= &gt; &gt;=</c>; text with
/// <c>=</c>, <c>!=</c> and <c>in (…)</c>; a missing fact makes the comparison false (and <c>not</c> of it true).
/// </summary>
public sealed class SegmentRule
{
    private readonly Node _root;

    private SegmentRule(string text, Node root, IReadOnlyList<string> fields)
    {
        Text = text;
        _root = root;
        Fields = fields;
    }

    public string Text { get; }

    /// <summary>The fields the rule names (for deciding what facts to gather).</summary>
    public IReadOnlyList<string> Fields { get; }

    public bool UsesUser => Fields.Any(f => f.StartsWith("user.", StringComparison.Ordinal));

    public bool Matches(PersonFacts person) => _root.Evaluate(person);

    /// <summary>Parses and type-checks <paramref name="text"/>; a <see cref="SegmentRuleException"/> names the position.</summary>
    public static SegmentRule Parse(string text)
    {
        if (text.Length > 4000) throw new SegmentRuleException(4000, "a rule is at most 4,000 characters");
        var parser = new Parser(text);
        var root = parser.ParseRule();
        return new SegmentRule(text, root, parser.FieldsSeen);
    }

    // ------------------------------------------------------------------ nodes

    private abstract class Node
    {
        public abstract bool Evaluate(PersonFacts p);
    }

    private sealed class And(Node a, Node b) : Node { public override bool Evaluate(PersonFacts p) => a.Evaluate(p) && b.Evaluate(p); }
    private sealed class Or(Node a, Node b) : Node { public override bool Evaluate(PersonFacts p) => a.Evaluate(p) || b.Evaluate(p); }
    private sealed class Not(Node a) : Node { public override bool Evaluate(PersonFacts p) => !a.Evaluate(p); }

    private enum Op { Eq, Ne, Lt, Le, Gt, Ge }

    private sealed class NumberComparison(Func<PersonFacts, double> read, Op op, double value) : Node
    {
        public override bool Evaluate(PersonFacts p)
        {
            double x = read(p);
            if (double.IsNaN(x)) return false;
            return op switch
            {
                Op.Eq => x == value,
                Op.Ne => x != value,
                Op.Lt => x < value,
                Op.Le => x <= value,
                Op.Gt => x > value,
                _ => x >= value,
            };
        }
    }

    private sealed class TextComparison(Func<PersonFacts, string?> read, bool negate, string[] values) : Node
    {
        public override bool Evaluate(PersonFacts p)
        {
            if (read(p) is not { } x) return false;
            bool any = Array.IndexOf(values, x) >= 0;
            return negate ? !any : any;
        }
    }

    private sealed class Flag(Func<PersonFacts, bool> read) : Node { public override bool Evaluate(PersonFacts p) => read(p); }

    // ------------------------------------------------------------------ parser

    private enum Kind { Number, Text, Boolean }

    private sealed class Parser(string text)
    {
        private int _at;
        private int _depth;
        public List<string> FieldsSeen { get; } = [];

        public Node ParseRule()
        {
            SkipSpace();
            if (_at >= text.Length) throw new SegmentRuleException(0, "the rule is empty");
            var node = ParseOr();
            SkipSpace();
            if (_at < text.Length)
                throw new SegmentRuleException(_at, text[_at] == ')' ? "unexpected ')' with no matching '('" : $"expected 'and', 'or' or the end of the rule, found '{Peek()}'");
            return node;
        }

        private Node ParseOr()
        {
            var left = ParseAnd();
            while (TryKeyword("or")) left = new Or(left, ParseAnd());
            return left;
        }

        private Node ParseAnd()
        {
            var left = ParseNot();
            while (TryKeyword("and")) left = new And(left, ParseNot());
            return left;
        }

        private Node ParseNot()
        {
            if (++_depth > 32) throw new SegmentRuleException(_at, "the rule nests deeper than 32 levels");
            try
            {
                if (TryKeyword("not")) return new Not(ParseNot());
                SkipSpace();
                if (_at < text.Length && text[_at] == '(')
                {
                    _at++;
                    var inner = ParseOr();
                    SkipSpace();
                    if (_at >= text.Length || text[_at] != ')') throw new SegmentRuleException(_at, "expected ')'");
                    _at++;
                    return inner;
                }
                return ParseComparison();
            }
            finally { _depth--; }
        }

        private Node ParseComparison()
        {
            SkipSpace();
            int start = _at;
            string field = Identifier();
            if (field.Length == 0) throw new SegmentRuleException(start, _at < text.Length ? $"expected a field name, found '{Peek()}'" : "expected a field name, found the end of the rule");
            var (kind, number, textValue, flag) = Resolve(field, start);
            FieldsSeen.Add(field);
            if (kind == Kind.Boolean)
            {
                // `anonymous` alone, or `anonymous = true|false`.
                SkipSpace();
                if (_at < text.Length && text[_at] is '=' or '!')
                {
                    int opAt = _at;
                    var op = Operator();
                    if (op is not (Op.Eq or Op.Ne)) throw new SegmentRuleException(opAt, $"{field} is true or false: compare it with = or !=");
                    bool value = BooleanValue();
                    return new Flag(p => flag!(p) == value == (op == Op.Eq));
                }
                return new Flag(flag!);
            }
            SkipSpace();
            int at = _at;
            if (TryKeyword("in"))
            {
                if (kind != Kind.Text) throw new SegmentRuleException(at, $"{field} is a number: 'in' takes text fields");
                return new TextComparison(textValue!, false, List());
            }
            if (TryKeyword("not"))
            {
                if (kind != Kind.Text || !TryKeyword("in")) throw new SegmentRuleException(at, "expected 'not in' with a text field");
                return new TextComparison(textValue!, true, List());
            }
            if (_at >= text.Length) throw new SegmentRuleException(_at, $"expected a comparison after {field}, found the end of the rule");
            var comparison = Operator();
            SkipSpace();
            int valueAt = _at;
            if (kind == Kind.Number)
            {
                if (!TryNumber(out double value)) throw new SegmentRuleException(valueAt, $"{field} is a number: expected a number");
                return new NumberComparison(number!, comparison, value);
            }
            if (comparison is not (Op.Eq or Op.Ne)) throw new SegmentRuleException(at, $"{field} is text: compare it with =, != or in (…)");
            return new TextComparison(textValue!, comparison == Op.Ne, [Quoted()]);
        }

        private static readonly Dictionary<string, Func<PersonFacts, double>> s_numbers = Numbers();

        private static Dictionary<string, Func<PersonFacts, double>> Numbers()
        {
            var numbers = new Dictionary<string, Func<PersonFacts, double>>(StringComparer.Ordinal)
            {
                ["clv.palive"] = p => p.ClvPAlive ?? double.NaN,
                ["clv.purchases90d"] = p => p.ClvPurchases90d ?? double.NaN,
                ["clv.value90d"] = p => p.ClvValue90d ?? double.NaN,
                ["rfm.r"] = p => p.RfmR > 0 ? p.RfmR : double.NaN,
                ["rfm.f"] = p => p.RfmF > 0 ? p.RfmF : double.NaN,
                ["rfm.m"] = p => p.RfmM > 0 ? p.RfmM : double.NaN,
            };
            for (int f = 0; f < PersonFeatures.Count; f++)
            {
                int index = f;
                numbers["activity." + PersonFeatures.All[f].Name] = p => p.Features[index];
            }
            for (int m = 0; m < SegmentFields.Predictions.Count; m++)
            {
                int index = m;
                numbers["predictions." + SegmentFields.Predictions[m]] = p => index < p.Predictions.Length ? p.Predictions[index] : double.NaN;
            }
            return numbers;
        }

        private static (Kind, Func<PersonFacts, double>?, Func<PersonFacts, string?>?, Func<PersonFacts, bool>?) Resolve(string field, int at)
        {
            if (s_numbers.TryGetValue(field, out var number)) return (Kind.Number, number, null, null);
            switch (field)
            {
                case "rfm.segment": return (Kind.Text, null, p => p.RfmSegment, null);
                case "cluster": return (Kind.Text, null, p => p.Cluster, null);
                case "anonymous": return (Kind.Boolean, null, null, p => p.Anonymous);
            }
            if (field.StartsWith("user.", StringComparison.Ordinal) && field.Length > 5)
            {
                string name = field[5..];
                return (Kind.Text, null, p => p.User is { } u && u.TryGetValue(name, out var v) ? v : null, null);
            }
            throw new SegmentRuleException(at, $"unknown field '{field}'; known: {SegmentFields.Known}");
        }

        private string[] List()
        {
            SkipSpace();
            if (_at >= text.Length || text[_at] != '(') throw new SegmentRuleException(_at, "expected '(' and a list of quoted values");
            _at++;
            var values = new List<string>();
            while (true)
            {
                SkipSpace();
                values.Add(Quoted());
                SkipSpace();
                if (_at < text.Length && text[_at] == ',') { _at++; continue; }
                if (_at < text.Length && text[_at] == ')') { _at++; break; }
                throw new SegmentRuleException(_at, "expected ',' or ')' in the list");
            }
            return [.. values];
        }

        private string Quoted()
        {
            SkipSpace();
            if (_at >= text.Length || text[_at] is not ('\'' or '"')) throw new SegmentRuleException(_at, "expected a quoted value ('…' or \"…\")");
            char quote = text[_at];
            int start = ++_at;
            var value = new System.Text.StringBuilder();
            while (_at < text.Length)
            {
                if (text[_at] == quote)
                {
                    if (_at + 1 < text.Length && text[_at + 1] == quote) { value.Append(quote); _at += 2; continue; } // '' inside '…'
                    _at++;
                    return value.ToString();
                }
                value.Append(text[_at++]);
            }
            throw new SegmentRuleException(start - 1, "the quoted value is not closed");
        }

        private bool BooleanValue()
        {
            SkipSpace();
            if (TryKeyword("true")) return true;
            if (TryKeyword("false")) return false;
            throw new SegmentRuleException(_at, "expected true or false");
        }

        private Op Operator()
        {
            SkipSpace();
            int at = _at;
            string two = _at + 1 < text.Length ? text.Substring(_at, 2) : "";
            switch (two)
            {
                case "==": _at += 2; return Op.Eq;
                case "!=": case "<>": _at += 2; return Op.Ne;
                case "<=": _at += 2; return Op.Le;
                case ">=": _at += 2; return Op.Ge;
            }
            char c = text[_at];
            _at++;
            return c switch
            {
                '=' => Op.Eq,
                '<' => Op.Lt,
                '>' => Op.Gt,
                _ => throw new SegmentRuleException(at, $"expected a comparison (=, !=, <, <=, >, >=, in), found '{c}'"),
            };
        }

        private bool TryNumber(out double value)
        {
            int start = _at;
            if (_at < text.Length && text[_at] is '-' or '+') _at++;
            while (_at < text.Length && (char.IsAsciiDigit(text[_at]) || text[_at] is '.' or 'e' or 'E'
                || (text[_at] is '-' or '+' && text[_at - 1] is 'e' or 'E'))) _at++;
            if (double.TryParse(text.AsSpan(start, _at - start), NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value)) return true;
            _at = start;
            return false;
        }

        private string Identifier()
        {
            int start = _at;
            while (_at < text.Length && (char.IsAsciiLetterOrDigit(text[_at]) || text[_at] is '_' or '.' or '-' || (text[_at] > 127 && char.IsLetter(text[_at])))) _at++;
            return text[start.._at];
        }

        private bool TryKeyword(string word)
        {
            SkipSpace();
            if (_at + word.Length > text.Length || string.Compare(text, _at, word, 0, word.Length, StringComparison.OrdinalIgnoreCase) != 0) return false;
            int end = _at + word.Length;
            if (end < text.Length && (char.IsAsciiLetterOrDigit(text[end]) || text[end] is '_' or '.')) return false;
            _at = end;
            return true;
        }

        private char Peek() => text[_at];

        private void SkipSpace()
        {
            while (_at < text.Length && char.IsWhiteSpace(text[_at])) _at++;
        }
    }
}
