using System.Collections.Concurrent;
using Attune.Experiments.Definitions;
using Attune.Storage;
using Experiment = Attune.Experiments.Definitions.Experiment;

namespace Attune.Experiments.Running;

/// <summary>
/// Results kept up to date as things happen, never a rescan per request: each exposed person's metric values since their
/// first exposure, and per phase and variant the sums the statistics engine needs (<see cref="MetricSums"/>), moved by the
/// difference whenever one person's value changes. Events come from the change feed (every writer, in order), exposures from
/// the router, answers' guardrails from the answer path.
/// </summary>
/// <remarks>
/// People are keyed by the id their events carry (the user id, or the anonymous id until it is identified; <see cref="Link"/>
/// re-keys). Events whose seq is not past <see cref="EventsAppliedThrough"/> are ignored, so a start-up replay and the feed
/// never count one twice.
/// </remarks>
public sealed partial class ExperimentTracker
{
    private readonly ConcurrentDictionary<string, Tracked> _experiments = new(StringComparer.Ordinal);
    private long _appliedThrough;
    /// <summary>Held by every change to people (not by answers served) and by a checkpoint, so a checkpoint is one moment.</summary>
    private readonly Lock _gate = new();

    /// <summary>Whether any experiment is tracked.</summary>
    public bool IsTracking => !_experiments.IsEmpty;

    /// <summary>The newest event seq counted.</summary>
    public long EventsAppliedThrough => Volatile.Read(ref _appliedThrough);

    /// <summary>Starts (or refreshes the definition of) the tracking of an experiment; its people and sums stay.</summary>
    public void Track(Experiment experiment)
    {
        var tracked = _experiments.GetOrAdd(experiment.Id, _ => new Tracked());
        tracked.Define(experiment);
    }

    /// <summary>A person's first exposure. <paramref name="ownerId"/> is the id their events carry.</summary>
    public void Expose(Exposure exposure, string ownerId)
    {
        if (!_experiments.TryGetValue(exposure.ExperimentId, out var tracked)) return;
        lock (_gate) tracked.Expose(exposure, ownerId);
    }

    /// <summary>An answer served under a variant: click-through's denominator and the serving guardrails.</summary>
    public void Served(string experimentId, string ownerId, string variant, double latencyMs, bool empty, bool error = false)
    {
        if (_experiments.TryGetValue(experimentId, out var tracked)) tracked.Served(ownerId, variant, latencyMs, empty, error);
    }

    public void Observe(in StoredEvent e)
    {
        lock (_gate)
        {
            if (e.Seq != 0)
            {
                if (e.Seq <= _appliedThrough) return;
                Volatile.Write(ref _appliedThrough, e.Seq);
            }
            foreach (var tracked in _experiments.Values) tracked.Observe(e);
        }
    }

    /// <summary>An anonymous id was identified: its tracked state now belongs to the user (unless the user is tracked already).</summary>
    public void Link(string anonymousId, string userId)
    {
        lock (_gate)
            foreach (var tracked in _experiments.Values) tracked.Link(anonymousId, userId);
    }

    /// <summary>A person was erased: their contribution leaves every result.</summary>
    public void Forget(string ownerId)
    {
        lock (_gate)
            foreach (var tracked in _experiments.Values) tracked.Forget(ownerId);
    }

    /// <summary>
    /// CUPED: a person's events of the pre-exposure period (read from the store when they were exposed) give each metric's
    /// pre-exposure value, which results regress on. Events outside [exposure − the experiment's pre-period, exposure) are ignored.
    /// </summary>
    public void SetPre(string experimentId, string ownerId, IReadOnlyList<StoredEvent> events)
    {
        if (!_experiments.TryGetValue(experimentId, out var tracked)) return;
        lock (_gate) tracked.SetPre(ownerId, events);
    }

    /// <summary>
    /// An interleaved answer: which of its items came from the first recipe (team A) and which from the second (team B).
    /// Clicks and views carrying its recommendation id then credit that team for the person.
    /// </summary>
    public void Interleaved(string experimentId, string recommendationId, string ownerId, IReadOnlyList<string> teamA, IReadOnlyList<string> teamB)
    {
        if (_experiments.TryGetValue(experimentId, out var tracked)) tracked.Interleaved(recommendationId, ownerId, teamA, teamB);
    }

    /// <summary>The event type codes an experiment's metrics count (what a pre-period read needs), or null for all.</summary>
    public IReadOnlyList<int>? EventTypes(string experimentId) => _experiments.TryGetValue(experimentId, out var tracked) ? tracked.EventTypes : null;

    /// <summary>The pre-exposure period of an experiment in ms (0 = no CUPED), to read a person's history for <see cref="SetPre"/>.</summary>
    public long PrePeriodMs(string experimentId) => _experiments.TryGetValue(experimentId, out var tracked) ? tracked.PrePeriodMs : 0;

    /// <summary>A consistent copy of an experiment's sums, per phase and variant; null when it is not tracked.</summary>
    public ExperimentSums? Sums(string experimentId) => _experiments.TryGetValue(experimentId, out var tracked) ? tracked.Snapshot() : null;

    private sealed class Person(int phase, int variant, long exposedMs, int metrics)
    {
        public readonly int Phase = phase, Variant = variant;
        public readonly long ExposedMs = exposedMs;
        public double[] Numerator = new double[metrics], Denominator = new double[metrics];
        public double[] PreNumerator = new double[metrics], PreDenominator = new double[metrics];
        public bool PreKnown;
        public HashSet<string>? Orders;
        /// <summary>Interleaving: clicks on each team's items.</summary>
        public int CreditsA, CreditsB;
        /// <summary>The person's variant sums (kept for good once created), for the lock-free serving counters.</summary>
        public VariantSums? Sums;
    }

    /// <summary>One experiment's people and sums; one lock per experiment (events of other people cost one dictionary lookup).</summary>
    private sealed partial class Tracked
    {
        private readonly Lock _lock = new();
        private readonly ConcurrentDictionary<string, Person> _people = new(StringComparer.Ordinal);
        // Per phase (index = number - 1), per variant key: people and per-metric sums.
        private readonly List<Dictionary<string, VariantSums>> _phases = [];
        private CompiledMetric[] _metrics = [];
        private string[][] _phaseKeys = [];
        // Capping: each metric's cap now (+∞ = none), and for percentile caps the data version it was computed at.
        private double[] _caps = [];
        private long[] _capVersions = [];
        private MetricCapping?[] _cappings = [];
        private long _moves;

        public long PrePeriodMs { get; private set; }

        public IReadOnlyList<int>? EventTypes { get; private set; }

        private bool _interleaving;
        private volatile bool _usesAnswers;
        private long _windowMs;
        /// <summary>Interleaved answers by recommendation id: the person and each item's team (true = A).</summary>
        private readonly ConcurrentDictionary<string, InterleavedAnswer> _answers = new(StringComparer.Ordinal);

        private sealed record InterleavedAnswer(string Owner, long AtMs, Dictionary<string, bool> Teams);

        public void Interleaved(string recommendationId, string ownerId, IReadOnlyList<string> teamA, IReadOnlyList<string> teamB)
        {
            if (!_interleaving) return;
            var teams = new Dictionary<string, bool>(teamA.Count + teamB.Count, StringComparer.Ordinal);
            foreach (string i in teamA) teams[i] = true;
            foreach (string i in teamB) teams[i] = false;
            long now = Environment.TickCount64;
            // Bounded: answers older than the attribution window can no longer be credited.
            if (_answers.Count >= 1_000_000)
            {
                foreach (var (id, answer) in _answers) if (now - answer.AtMs > _windowMs) _answers.TryRemove(id, out _);
            }
            _answers[recommendationId] = new InterleavedAnswer(ownerId, now, teams);
        }

        private void Credit(in StoredEvent e, Person person)
        {
            if (e.ItemId is null || e.Extra is null || e.TypeCode is not ((int)Model.EventType.Click or (int)Model.EventType.View)) return;
            int i = e.Extra.IndexOf("\"recommendationId\":\"", StringComparison.Ordinal);
            if (i < 0) return;
            int start = i + 20, end = e.Extra.IndexOf('"', start);
            if (end <= start || !_answers.TryGetValue(e.Extra[start..end], out var answer) || !answer.Teams.TryGetValue(e.ItemId, out bool a)) return;
            if (a) person.CreditsA++;
            else person.CreditsB++;
        }

        public void Define(Experiment e)
        {
            lock (_lock)
            {
                var ids = new List<string> { e.Metrics.Primary };
                ids.AddRange(e.Metrics.Secondary);
                ids.AddRange(e.Metrics.Guardrails);
                var metrics = new List<CompiledMetric>();
                foreach (string id in ids.Distinct())
                {
                    var def = Definitions.Metrics.BuiltIn.GetValueOrDefault(id) ?? e.CustomMetrics.FirstOrDefault(m => m.Id == id);
                    if (def is not null && def.Kind != MetricKind.Serving) metrics.Add(new CompiledMetric(def, e.Analysis.AttributionHours));
                }
                // Metrics are fixed once people are counted (a definition change keeps their order; new ones start from now).
                var known = _metrics.ToDictionary(m => m.Id);
                var ordered = _metrics.Select(m => metrics.Find(x => x.Id == m.Id) ?? m).ToList();
                ordered.AddRange(metrics.Where(m => !known.ContainsKey(m.Id)));
                if (ordered.Count != _metrics.Length && !_people.IsEmpty)
                {
                    foreach (var person in _people.Values)
                    {
                        // Grow each person's arrays; a metric added later counts from now on.
                        Array.Resize(ref person.Numerator, ordered.Count);
                        Array.Resize(ref person.Denominator, ordered.Count);
                        Array.Resize(ref person.PreNumerator, ordered.Count);
                        Array.Resize(ref person.PreDenominator, ordered.Count);
                    }
                }
                _metrics = [.. ordered];
                // A metric keeps its cap while its capping is unchanged; a changed one starts over (its sums are rebuilt below).
                var caps = new double[_metrics.Length];
                var versions = new long[_metrics.Length];
                var cappings = new MetricCapping?[_metrics.Length];
                var rebuild = new List<int>();
                for (int m = 0; m < caps.Length; m++)
                {
                    cappings[m] = _metrics[m].Definition.Capping;
                    if (m < _cappings.Length && Equals(_cappings[m], cappings[m]))
                    {
                        caps[m] = _caps[m];
                        versions[m] = _capVersions[m];
                        continue;
                    }
                    caps[m] = cappings[m] is { Type: CappingType.Absolute } a ? a.Value : double.PositiveInfinity;
                    versions[m] = -1;
                    if (m < _caps.Length && caps[m] != _caps[m]) rebuild.Add(m);
                }
                _caps = caps;
                _capVersions = versions;
                _cappings = cappings;
                PrePeriodMs = e.Analysis.Cuped ? (long)(e.Analysis.PrePeriodDays * 86_400_000) : 0;
                _interleaving = e.Method == ExperimentMethod.Interleaving;
                _usesAnswers = _metrics.Any(m => m.UsesAnswers);
                var codes = new List<int>();
                foreach (var metric in _metrics)
                {
                    for (int c = 0; c < metric.Numerator.Length; c++)
                        if (metric.Numerator[c] || (metric.Denominator is { } d && d[c])) codes.Add(c);
                }
                EventTypes = [.. codes.Distinct().Order()];
                _windowMs = (long)(e.Analysis.AttributionHours * 3_600_000);
                // An interleaving experiment's people are all in one arm: each of them sees both recipes.
                _phaseKeys = [.. e.Phases.Select(p => _interleaving ? [ExperimentRouter.Interleaved] : p.Variants.Select(v => v.Key).ToArray())];
                while (_phases.Count < e.Phases.Count) _phases.Add(new Dictionary<string, VariantSums>(StringComparer.Ordinal));
                for (int p = 0; p < e.Phases.Count; p++)
                {
                    foreach (string key in _phaseKeys[p])
                    {
                        if (!_phases[p].ContainsKey(key)) _phases[p][key] = new VariantSums(_metrics.Length);
                        _phases[p][key].Grow(_metrics.Length);
                    }
                }
                if (rebuild.Count > 0) Rebuild(rebuild);
            }
        }

        public void Expose(Exposure exposure, string ownerId)
        {
            lock (_lock)
            {
                if (_people.ContainsKey(ownerId) || exposure.Phase < 1 || exposure.Phase > _phases.Count) return;
                var sums = _phases[exposure.Phase - 1];
                if (!sums.TryGetValue(exposure.Variant, out var variant)) return;
                int index = Array.IndexOf(_phaseKeys[exposure.Phase - 1], exposure.Variant);
                _people[ownerId] = new Person(exposure.Phase, index, exposure.AtMs, _metrics.Length) { Sums = variant };
                variant.People++;
            }
        }

        public void Served(string ownerId, string variant, double latencyMs, bool empty, bool error)
        {
            if (!_people.TryGetValue(ownerId, out var person)) return;
            // Serving guardrails are counted without the experiment's lock (every answer passes here, from every thread);
            // only metrics over answers served (click-through) need it.
            var variantSums = person.Sums;
            if (variantSums is null) return;
            variantSums.Serving.Add(latencyMs, empty, error);
            if (!_usesAnswers) return;
            lock (_lock)
            {
                var sums = variantSums;
                for (int m = 0; m < _metrics.Length; m++)
                {
                    if (!_metrics[m].UsesAnswers) continue;
                    double before = person.Denominator[m];
                    person.Denominator[m] = before + 1;
                    sums.Metrics[m].MoveDenominator(before, before + 1, Cap(m, person.Numerator[m]), Cap(m, person.PreNumerator[m]), person.PreDenominator[m]);
                }
            }
        }

        public void Observe(in StoredEvent e)
        {
            if (!_people.TryGetValue(e.ProfileId, out var person)) return;
            if (e.TimestampMs < person.ExposedMs) return;
            lock (_lock)
            {
                var sums = VariantOf(person);
                if (sums is null) return;
                if (_interleaving && e.TimestampMs < person.ExposedMs + _windowMs) Credit(e, person);
                bool newOrder = false;
                bool ordersChecked = false;
                for (int m = 0; m < _metrics.Length; m++)
                {
                    var metric = _metrics[m];
                    if (e.TimestampMs >= person.ExposedMs + metric.WindowMs) continue;
                    if (!ordersChecked && metric.UsesOrders && metric.CountsAsOrder(e))
                    {
                        ordersChecked = true;
                        newOrder = (person.Orders ??= new HashSet<string>(StringComparer.Ordinal)).Add(OrderKey(e));
                    }
                    double n = metric.NumeratorDelta(e, newOrder);
                    if (n != 0)
                    {
                        double before = person.Numerator[m];
                        double after = metric.Kind == MetricKind.Binomial ? 1 : before + n;
                        person.Numerator[m] = after;
                        _moves++;
                        sums.Metrics[m].MoveNumerator(Cap(m, before), Cap(m, after), person.Denominator[m], Cap(m, person.PreNumerator[m]), person.PreDenominator[m]);
                    }
                    double d = metric.DenominatorDelta(e, newOrder);
                    if (d != 0)
                    {
                        double before = person.Denominator[m];
                        person.Denominator[m] = before + d;
                        sums.Metrics[m].MoveDenominator(before, before + d, Cap(m, person.Numerator[m]), Cap(m, person.PreNumerator[m]), person.PreDenominator[m]);
                    }
                }
            }
        }

        /// <summary>An order: the event's session, or without one the minute it happened in.</summary>
        private static string OrderKey(in StoredEvent e)
        {
            if (e.Extra is { } extra)
            {
                int i = extra.IndexOf("\"sessionId\":\"", StringComparison.Ordinal);
                if (i >= 0)
                {
                    int start = i + 13, end = extra.IndexOf('"', start);
                    if (end > start) return extra[start..end];
                }
            }
            return "t" + (e.TimestampMs / 60_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        public void SetPre(string ownerId, IReadOnlyList<StoredEvent> events)
        {
            if (!_people.TryGetValue(ownerId, out var person) || person.PreKnown) return;
            lock (_lock)
            {
                var sums = VariantOf(person);
                if (sums is null || person.PreKnown) return;
                long from = person.ExposedMs - PrePeriodMs;
                HashSet<string>? orders = null;
                foreach (var e in events)
                {
                    if (e.TimestampMs < from || e.TimestampMs >= person.ExposedMs) continue;
                    bool newOrder = false, ordersChecked = false;
                    for (int m = 0; m < _metrics.Length; m++)
                    {
                        var metric = _metrics[m];
                        if (!ordersChecked && metric.UsesOrders && metric.CountsAsOrder(e))
                        {
                            ordersChecked = true;
                            newOrder = (orders ??= new HashSet<string>(StringComparer.Ordinal)).Add(OrderKey(e));
                        }
                        double n = metric.NumeratorDelta(e, newOrder);
                        if (n != 0) person.PreNumerator[m] = metric.Kind == MetricKind.Binomial ? 1 : person.PreNumerator[m] + n;
                        person.PreDenominator[m] += metric.DenominatorDelta(e, newOrder);
                    }
                }
                person.PreKnown = true;
                for (int m = 0; m < _metrics.Length; m++)
                    sums.Metrics[m].AddPre(Cap(m, person.Numerator[m]), person.Denominator[m], Cap(m, person.PreNumerator[m]), person.PreDenominator[m]);
            }
        }

        public void Link(string anonymousId, string userId)
        {
            lock (_lock)
            {
                if (_people.ContainsKey(userId) || !_people.TryRemove(anonymousId, out var person)) return;
                _people[userId] = person;
            }
        }

        public void Forget(string ownerId)
        {
            lock (_lock)
            {
                if (!_people.TryRemove(ownerId, out var person)) return;
                var sums = VariantOf(person);
                if (sums is null) return;
                sums.People--;
                for (int m = 0; m < _metrics.Length; m++)
                {
                    if (person.PreKnown)
                        sums.Metrics[m].AddPre(Cap(m, person.Numerator[m]), person.Denominator[m], Cap(m, person.PreNumerator[m]), person.PreDenominator[m], sign: -1);
                    sums.Metrics[m].MoveNumerator(Cap(m, person.Numerator[m]), 0, person.Denominator[m]);
                    sums.Metrics[m].MoveDenominator(person.Denominator[m], 0, 0);
                }
            }
        }

        private VariantSums? VariantOf(Person person)
        {
            var keys = _phaseKeys[person.Phase - 1];
            return person.Variant < keys.Length && _phases[person.Phase - 1].TryGetValue(keys[person.Variant], out var v) ? v : null;
        }

        public ExperimentSums Snapshot()
        {
            lock (_lock)
            {
                RefreshCaps();
                var phases = new List<IReadOnlyDictionary<string, VariantSnapshot>>();
                foreach (var phase in _phases)
                {
                    phases.Add(phase.ToDictionary(kv => kv.Key, kv => new VariantSnapshot(kv.Value.People, [.. kv.Value.Metrics],
                        kv.Value.Serving.Answers, kv.Value.Serving.Errors, kv.Value.Serving.Empty, kv.Value.Serving.LatencyQuantile(0.99))));
                }
                List<InterleavingCounts>? interleaving = null;
                if (_interleaving)
                {
                    var counts = new InterleavingCounts[_phases.Count];
                    foreach (var person in _people.Values)
                    {
                        ref var c = ref counts[person.Phase - 1];
                        c.People++;
                        c.ClicksA += person.CreditsA;
                        c.ClicksB += person.CreditsB;
                        if (person.CreditsA > person.CreditsB) c.PreferA++;
                        else if (person.CreditsB > person.CreditsA) c.PreferB++;
                        else if (person.CreditsA > 0) c.Ties++;
                    }
                    interleaving = [.. counts];
                }
                var caps = new double?[_metrics.Length];
                for (int m = 0; m < caps.Length; m++) caps[m] = double.IsPositiveInfinity(_caps[m]) ? null : _caps[m];
                return new ExperimentSums([.. _metrics.Select(m => m.Definition)], phases, interleaving, caps);
            }
        }
    }

    private sealed class VariantSums(int metrics)
    {
        public long People;
        public MetricSums[] Metrics = new MetricSums[metrics];
        public readonly ServingSums Serving = new();

        public void Grow(int metrics)
        {
            if (Metrics.Length < metrics) Array.Resize(ref Metrics, metrics);
        }
    }
}

/// <summary>An experiment's sums at one moment: the metrics in the order of <see cref="VariantSnapshot.Metrics"/>, per phase and variant.</summary>
/// <param name="Caps">Per metric, the value each person's was capped at (null = not capped).</param>
public sealed record ExperimentSums(IReadOnlyList<MetricDefinition> Metrics, IReadOnlyList<IReadOnlyDictionary<string, VariantSnapshot>> Phases,
    IReadOnlyList<InterleavingCounts>? Interleaving = null, IReadOnlyList<double?>? Caps = null);

/// <summary>An interleaving phase: exposed people, and among those who clicked, who preferred which recipe's items.</summary>
/// <param name="Ties">People who clicked both teams' items equally often (people who clicked nothing are in neither).</param>
public struct InterleavingCounts
{
    public long People, PreferA, PreferB, Ties, ClicksA, ClicksB;
}

/// <param name="People">Exposed people of the variant in the phase.</param>
/// <param name="Metrics">Per metric (same order as <see cref="ExperimentSums.Metrics"/>).</param>
/// <param name="LatencyP99Ms">p99 answer latency of the variant's answers.</param>
public sealed record VariantSnapshot(long People, IReadOnlyList<MetricSums> Metrics, long Answers, long Errors, long Empty, double LatencyP99Ms);
