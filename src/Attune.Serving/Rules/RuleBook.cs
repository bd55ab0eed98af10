using Attune.Model;
using Attune.Search.Understanding;
using Attune.Serving.Catalog;
using Attune.Serving.Filtering;

namespace Attune.Serving.Rules;

/// <summary>
/// The active business rules, compiled, with a per-item cache of each rule's verdict (a rule's filter over item fields gives
/// the same answer until the item changes, so a request reads a byte per item instead of evaluating the expression).
/// Replaced whole when rules change or a new model (item index space) is activated.
/// </summary>
public sealed class RuleBook
{
    private readonly CompiledRule[] _rules;

    public RuleBook(IReadOnlyList<BusinessRule> rules, int capacity)
    {
        Rules = rules;
        _rules = rules.Where(r => r.Enabled).Select(r => new CompiledRule(r, capacity)).ToArray();
    }

    public static readonly RuleBook Empty = new([], 0);

    public IReadOnlyList<BusinessRule> Rules { get; }

    internal ReadOnlySpan<CompiledRule> Compiled => _rules;

    /// <summary>An item changed: forget every cached verdict about it.</summary>
    public void Invalidate(int item)
    {
        foreach (var r in _rules) r.Invalidate(item);
    }

    internal sealed class CompiledRule
    {
        private readonly sbyte[] _cache;

        public CompiledRule(BusinessRule rule, int capacity)
        {
            Rule = rule;
            Filter = rule.Filter is null ? null : ItemFilter.Parse(rule.Filter);
            // A verdict over item fields alone holds until the item changes: cache it. One that reads the context: never.
            _cache = Filter is { UsesContext: false } ? new sbyte[capacity] : [];
            _queries = new string[rule.Queries.Count];
            for (int k = 0; k < _queries.Length; k++) _queries[k] = Synonyms.Normalize(rule.Queries[k]);
            _exact = rule.QueryMatch == "exact";
        }

        private readonly string[] _queries;
        private readonly bool _exact;

        public BusinessRule Rule { get; }
        public ItemFilter? Filter { get; }

        /// <summary>Whether the rule applies to a request of <paramref name="scenario"/> searching <paramref name="query"/>
        /// (null: not a search; a rule for some queries then never applies).</summary>
        public bool AppliesTo(string scenario, string? query) => AppliesTo(scenario) && (_queries.Length == 0 || MatchesQuery(query));

        private bool MatchesQuery(string? query)
        {
            if (string.IsNullOrWhiteSpace(query)) return false;
            string q = Synonyms.Normalize(query);
            foreach (string wanted in _queries)
            {
                if (_exact ? q == wanted : ContainsPhrase(q, wanted)) return true;
            }
            return false;
        }

        /// <summary>Whether <paramref name="phrase"/>'s words occur in <paramref name="text"/> in order, whole words.</summary>
        private static bool ContainsPhrase(string text, string phrase)
        {
            for (int at = text.IndexOf(phrase, StringComparison.Ordinal); at >= 0; at = text.IndexOf(phrase, at + 1, StringComparison.Ordinal))
            {
                int end = at + phrase.Length;
                if ((at == 0 || text[at - 1] == ' ') && (end == text.Length || text[end] == ' ')) return true;
            }
            return false;
        }

        public bool AppliesTo(string scenario)
        {
            if (Rule.Scenarios.Count == 0) return true;
            foreach (string s in Rule.Scenarios) if (string.Equals(s, scenario, StringComparison.OrdinalIgnoreCase)) return true;
            return false;
        }

        public bool Matches(int index, Item item, FilterContext context)
        {
            if (Filter is null) return false;
            if ((uint)index >= (uint)_cache.Length) return Filter.Matches(item, context);
            sbyte v = _cache[index];
            if (v == 0) _cache[index] = v = Filter.Matches(item, context) ? (sbyte)1 : (sbyte)-1;
            return v > 0;
        }

        public void Invalidate(int item)
        {
            if ((uint)item < (uint)_cache.Length) _cache[item] = 0;
        }
    }
}
