using System.Collections.Concurrent;
using System.Text.Json;
using Attune.Predictions.Propensity;
using Attune.Predictions.Segments;
using Attune.Serving;
using Attune.Storage;
using Microsoft.Extensions.Logging;

namespace Attune.Server.Hosting;

/// <summary>A segment as stored (documents of kind <see cref="SegmentService.DocumentKind"/>) or built in (RFM, clusters).</summary>
/// <param name="Kind"><c>rule</c> (yours), <c>rfm</c> or <c>cluster</c> (built in, read-only).</param>
/// <param name="Recipe">The recipe that serves the members (outside experiments, when a request names none); null: the default.</param>
public sealed record SegmentDefinition(string Id, string Kind, string? Name, string? Description, string Rule, DateTimeOffset? UpdatedAt,
    string? Recipe = null);

/// <summary>
/// Segments of people: rule segments (<see cref="SegmentRule"/> over activity, predictions, customer value, RFM, cluster and
/// user attributes), the ten RFM segments (<c>rfm-champions</c> …) and behavioural clusters (<c>cluster-…</c>, k-means over
/// the matrix factorization's user vectors, named by their strongest categories). Membership is evaluated from the people's
/// held scores (<see cref="PropensityService"/>): for everyone after each full scoring and when a segment changes, and for one
/// person each time they are rescored (within a fraction of a second of their event).
/// </summary>
public sealed class SegmentService
{
    public const string DocumentKind = "segment";
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    private readonly IAttuneStore _store;
    private readonly PropensityService _people;
    private readonly ServingEngine _engine;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Lock _lock = new();
    private volatile Compiled[] _segments = [];
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<(string Id, bool Anonymous), long>> _members = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Id, bool Anonymous), string[]> _ofPerson = new();
    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, string>> _users = new(StringComparer.Ordinal);
    private volatile RfmScores? _rfm;
    private volatile ClusterState? _clusters;

    private static readonly int s_recency = PersonFeatures.IndexOf("daysSinceLastPurchase"), s_purchases = PersonFeatures.IndexOf("purchasesAll"),
        s_spend = PersonFeatures.IndexOf("spendAll");

    private sealed record Compiled(SegmentDefinition Definition, SegmentRule Rule);

    private sealed record ClusterState(Dictionary<string, string> ByUser, ClusterInfo[] Clusters, DateTimeOffset At, string ModelVersion);

    public SegmentService(IAttuneStore store, PropensityService people, ServingEngine engine, TimeProvider time, ILogger<SegmentService> log)
    {
        (_store, _people, _engine, _time, _log) = (store, people, engine, time, log);
        people.ScoredEveryone += () => RecomputeAll();
        people.Scored += Update;
        engine.UserChanged += id => _users.TryRemove(id, out _);
    }

    /// <summary>How many clusters the behavioural clustering makes.</summary>
    public int ClusterCount { get; init; } = 8;

    /// <summary>Every segment: yours, then the built-in RFM and cluster segments.</summary>
    public IReadOnlyList<SegmentDefinition> Definitions => [.. _segments.Select(s => s.Definition)];

    public SegmentDefinition? Find(string id) => Array.Find(_segments, s => s.Definition.Id == id)?.Definition;

    /// <summary>The current behavioural clusters (null before the first clustering).</summary>
    public IReadOnlyList<ClusterInfo>? Clusters => _clusters?.Clusters;

    public int MemberCount(string id) => _members.TryGetValue(id, out var m) ? m.Count : 0;

    /// <summary>The recipe of the first of a person's segments (in segment id order) that has one, or null.</summary>
    public string? RecipeOf(string id, bool anonymous)
    {
        if (!_ofPerson.TryGetValue((id, anonymous), out var mine)) return null;
        foreach (var s in _segments)
            if (s.Definition.Recipe is { } recipe && Array.IndexOf(mine, s.Definition.Id) >= 0) return recipe;
        return null;
    }

    /// <summary>A person's segments (ids), empty when none.</summary>
    public IReadOnlyList<string> SegmentsOf(string id, bool anonymous) => _ofPerson.TryGetValue((id, anonymous), out var s) ? s : [];

    /// <summary>The members in id order (see <see cref="Key"/>): (id, anonymous, since when, ms), sorted once per call; page with
    /// <see cref="After"/>.</summary>
    public IReadOnlyList<(string Id, bool Anonymous, long SinceMs)> Members(string segment)
    {
        if (!_members.TryGetValue(segment, out var members)) return [];
        var list = new List<(string Id, bool Anonymous, long SinceMs)>(members.Count);
        foreach (var ((id, anonymous), since) in members) list.Add((id, anonymous, since));
        list.Sort((a, b) => string.CompareOrdinal(Key(a.Id, a.Anonymous), Key(b.Id, b.Anonymous)));
        return list;
    }

    /// <summary>Where the members after the paging key <paramref name="after"/> start in <paramref name="sorted"/> (binary search).</summary>
    public static int After(IReadOnlyList<(string Id, bool Anonymous, long SinceMs)> sorted, string? after)
    {
        if (after is null) return 0;
        int lo = 0, hi = sorted.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (string.CompareOrdinal(Key(sorted[mid].Id, sorted[mid].Anonymous), after) <= 0) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>The paging key of a member: anonymous visitors after users.</summary>
    public static string Key(string id, bool anonymous) => (anonymous ? "~" : "") + id;

    /// <summary>Reads the stored segments (and follows changes: <see cref="ServingEngine.FollowDocuments"/>), then re-evaluates everyone.</summary>
    public async Task LoadAsync(CancellationToken ct = default)
    {
        var compiled = new List<Compiled>();
        foreach (var doc in await _store.ListDocumentsAsync(DocumentKind, ct).ConfigureAwait(false))
        {
            try
            {
                var d = JsonSerializer.Deserialize<SegmentDefinition>(doc.Json, s_json)!;
                compiled.Add(new Compiled(d with { Id = doc.Id, Kind = "rule", UpdatedAt = doc.UpdatedAt }, SegmentRule.Parse(d.Rule)));
            }
            catch (Exception e) when (e is JsonException or FormatException or NullReferenceException)
            {
                _log.LogWarning("Segment {Id} is stored with a rule that no longer parses: {Message}", doc.Id, e.Message);
            }
        }
        compiled.Sort((a, b) => string.CompareOrdinal(a.Definition.Id, b.Definition.Id));
        foreach (var (id, description) in RfmScores.Segments)
            compiled.Add(new Compiled(new SegmentDefinition("rfm-" + id, "rfm", id, description, $"rfm.segment = '{id}'", null), SegmentRule.Parse($"rfm.segment = '{id}'")));
        if (_clusters is { } clusters)
            foreach (var c in clusters.Clusters)
            {
                string rule = $"cluster = '{c.Name.Replace("'", "''", StringComparison.Ordinal)}'";
                compiled.Add(new Compiled(new SegmentDefinition(ClusterId(c.Name), "cluster", c.Name,
                    $"shoppers whose tastes centre on {string.Join(" and ", c.TopCategories)} (k-means over taste vectors)", rule, clusters.At), SegmentRule.Parse(rule)));
            }
        _segments = [.. compiled];
        foreach (var id in _members.Keys) if (!compiled.Any(c => c.Definition.Id == id)) _members.TryRemove(id, out _);
        RecomputeAll();
    }

    /// <summary>Stores a rule segment (its rule already parsed) and applies it to everyone.</summary>
    public async Task<SegmentDefinition> PutAsync(string id, string? name, string? description, SegmentRule rule, string? recipe = null,
        CancellationToken ct = default)
    {
        var definition = new SegmentDefinition(id, "rule", name, description, rule.Text, _time.GetUtcNow(), recipe);
        await _store.PutDocumentAsync(DocumentKind, id, JsonSerializer.Serialize(definition, s_json), ct).ConfigureAwait(false);
        await LoadAsync(ct).ConfigureAwait(false);
        return Find(id) ?? definition;
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken ct = default)
    {
        bool deleted = await _store.DeleteDocumentAsync(DocumentKind, id, ct).ConfigureAwait(false);
        if (deleted) await LoadAsync(ct).ConfigureAwait(false);
        return deleted;
    }

    public static string ClusterId(string name)
    {
        var slug = new System.Text.StringBuilder("cluster-");
        foreach (char c in name.ToLowerInvariant())
            if (char.IsAsciiLetterOrDigit(c)) slug.Append(c);
            else if (slug[^1] != '-') slug.Append('-');
        return slug.ToString().TrimEnd('-');
    }

    /// <summary>
    /// Clusters the people of the active model by their taste vectors (the matrix factorization's), names the clusters by
    /// their strongest categories and re-evaluates everyone. Null when the active model has no user vectors.
    /// </summary>
    public async Task<IReadOnlyList<ClusterInfo>?> ClusterAsync(CancellationToken ct = default)
    {
        if (_engine.UserVectors() is not { } vectors) return null;
        var (assignment, clusters) = await Task.Run(() => BehaviourClusters.Fit(vectors.UserFactors, vectors.Rank, ClusterCount, vectors.ItemFactors,
            vectors.ItemCategories), ct).ConfigureAwait(false);
        var byUser = new Dictionary<string, string>(vectors.UserIds.Length, StringComparer.Ordinal);
        for (int u = 0; u < assignment.Length; u++) byUser[vectors.UserIds[u]] = clusters[assignment[u]].Name;
        _clusters = new ClusterState(byUser, clusters, _time.GetUtcNow(), vectors.ModelVersion);
        _log.LogInformation("Behavioural clusters of {People} people: {Names}", assignment.Length, string.Join("; ", clusters.Select(c => $"{c.Name} ({c.Members})")));
        await LoadAsync(ct).ConfigureAwait(false);
        return clusters;
    }

    /// <summary>Whether the clusters are older than the active model (the host reclusters after each training).</summary>
    public bool ClustersStale(string? activeModelVersion) => _clusters is not { } c || c.ModelVersion != activeModelVersion;

    /// <summary>Everyone's memberships from their held scores (RFM quintiles refitted first).</summary>
    public void RecomputeAll()
    {
        lock (_lock)
        {
            var people = _people.All.ToArray();
            _rfm = RfmScores.Fit(people.Select(p => (p.Features[s_recency], p.Features[s_purchases], p.Features[s_spend])));
            var segments = _segments;
            var fresh = segments.ToDictionary(s => s.Definition.Id, _ => new ConcurrentDictionary<(string, bool), long>(), StringComparer.Ordinal);
            var ofPerson = new ConcurrentDictionary<(string, bool), string[]>();
            long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            bool usesUsers = segments.Any(s => s.Rule.UsesUser);
            Parallel.ForEach(people, person =>
            {
                var matched = Evaluate(person, segments, usesUsers);
                if (matched.Length == 0) return;
                var key = (person.Id, person.Anonymous);
                ofPerson[key] = matched;
                foreach (var id in matched)
                {
                    long since = _members.TryGetValue(id, out var old) && old.TryGetValue(key, out long s) ? s : now;
                    fresh[id][key] = since;
                }
            });
            foreach (var (id, members) in fresh) _members[id] = members;
            _ofPerson.Clear();
            foreach (var (key, ids) in ofPerson) _ofPerson[key] = ids;
        }
    }

    /// <summary>One person was rescored (or dropped): their memberships follow.</summary>
    public void Update(string id, bool anonymous, PersonScores? scores)
    {
        var key = (id, anonymous);
        var segments = _segments;
        string[] matched = scores is null ? [] : Evaluate(scores, segments, segments.Any(s => s.Rule.UsesUser));
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_lock)
        {
            var before = _ofPerson.TryGetValue(key, out var b) ? b : [];
            foreach (var old in before)
                if (Array.IndexOf(matched, old) < 0 && _members.TryGetValue(old, out var m)) m.TryRemove(key, out _);
            foreach (var segment in matched)
                _members.GetOrAdd(segment, _ => new()).TryAdd(key, now);
            if (matched.Length == 0) _ofPerson.TryRemove(key, out _);
            else _ofPerson[key] = matched;
        }
    }

    private string[] Evaluate(PersonScores person, Compiled[] segments, bool usesUsers)
    {
        if (segments.Length == 0) return [];
        var facts = Facts(person, usesUsers);
        List<string>? matched = null;
        foreach (var s in segments)
            if (s.Rule.Matches(facts)) (matched ??= []).Add(s.Definition.Id);
        return matched is null ? [] : [.. matched];
    }

    /// <summary>The facts segment rules see about a held person.</summary>
    public PersonFacts Facts(PersonScores person, bool withUser = true)
    {
        var predictions = new float[SegmentFields.Predictions.Count];
        Array.Fill(predictions, float.NaN);
        if (_people.Scorer is { } scorer && person.Probabilities.Length == scorer.Models.Count)
            for (int m = 0; m < scorer.Models.Count; m++)
            {
                int at = IndexOfPrediction(scorer.Models[m].Target.Name);
                if (at >= 0) predictions[at] = person.Probabilities[m];
            }
        var facts = new PersonFacts
        {
            Id = person.Id,
            Anonymous = person.Anonymous,
            Features = person.Features,
            Predictions = predictions,
            ClvPAlive = person.Clv?.ProbabilityAlive,
            ClvPurchases90d = person.Clv?.ExpectedPurchases,
            ClvValue90d = person.Clv?.ExpectedValue,
        };
        if (_rfm is { } rfm)
        {
            var (r, f, m, segment) = rfm.Score(person.Features[s_recency], person.Features[s_purchases], person.Features[s_spend]);
            (facts.RfmR, facts.RfmF, facts.RfmM, facts.RfmSegment) = (r, f, m, segment);
        }
        if (!person.Anonymous && _clusters is { } clusters && clusters.ByUser.TryGetValue(person.Id, out var cluster)) facts.Cluster = cluster;
        if (withUser && !person.Anonymous) facts.User = UserAttributes(person.Id);
        return facts;
    }

    private static int IndexOfPrediction(string name)
    {
        for (int i = 0; i < SegmentFields.Predictions.Count; i++) if (SegmentFields.Predictions[i] == name) return i;
        return -1;
    }

    private IReadOnlyDictionary<string, string> UserAttributes(string id)
    {
        if (_users.TryGetValue(id, out var known)) return known;
        var attributes = _store.GetUserAsync(id).GetAwaiter().GetResult()?.Attributes ?? new Dictionary<string, string>();
        if (_users.Count > 200_000) _users.Clear();
        _users[id] = attributes;
        return attributes;
    }
}
