using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Npgsql;

namespace Attune.Storage.Postgres;

/// <summary>
/// The decision log (a port of the SQLite store's): <c>decisions</c> (one row per ranked event), <c>decision_action_sets</c>
/// (each distinct action set once, so a client that sends the same fifty actions with every rank costs one row, not fifty
/// feature lists a decision) and <c>decision_rewards</c> (one row per rewarded slot; its identity seq, handed out under the
/// write lock and so committed in order, is the order learners follow through the change feed).
/// </summary>
public sealed partial class PostgresStore
{
    /// <summary>Action-set keys known to be committed (a write skips their JSON). Sets are never deleted, so the cache
    /// stays true whichever node wrote them.</summary>
    private readonly ConcurrentDictionary<string, byte> _actionSets = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<bool>> LogDecisionsAsync(IReadOnlyList<DecisionRecord> decisions, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(decisions);
        if (decisions.Count == 0) return [];
        var list = decisions as DecisionRecord[] ?? [.. decisions];

        // The action sets not known to be stored, each once (the first decision's JSON, as the first insert would win).
        var setKeys = new List<string>();
        var setJson = new List<string>();
        var newSets = new HashSet<string>(StringComparer.Ordinal);
        // The decisions to insert: the first of each event id in the call (a later one is a duplicate, as if logged one by one).
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var rows = new List<int>(list.Length);
        for (int i = 0; i < list.Length; i++)
        {
            var d = list[i];
            if (!_actionSets.ContainsKey(d.ActionSetKey) && newSets.Add(d.ActionSetKey))
            {
                setKeys.Add(d.ActionSetKey);
                setJson.Add(d.ActionSet);
            }
            if (seen.Add(d.EventId)) rows.Add(i);
        }
        int n = rows.Count;
        var ids = new string[n];
        var points = new string[n];
        var persons = new string?[n];
        var anonymous = new bool[n];
        var times = new long[n];
        var contexts = new string[n];
        var sets = new string[n];
        var slots = new string[n];
        var slotIds = new string[n];
        var activated = new long?[n];
        var waits = new long[n];
        var defaults = new double[n];
        var policies = new string?[n];
        for (int j = 0; j < n; j++)
        {
            var d = list[rows[j]];
            (ids[j], points[j], persons[j], anonymous[j], times[j], contexts[j], sets[j], slots[j]) =
                (d.EventId, d.Point, d.PersonId, d.Anonymous, d.TimestampMs, d.Context, d.ActionSetKey, d.Slots);
            slotIds[j] = d.SlotIds is [""] ? "[\"\"]" : JsonSerializer.Serialize(d.SlotIds); // the single decision: no serializer
            (activated[j], waits[j], defaults[j], policies[j]) = (d.ActivatedMs, d.WaitMs, d.DefaultReward, d.Policy);
        }

        var inserted = await WriteAsync(async w =>
        {
            if (setKeys.Count > 0)
                await w.ExecAsync("""
                    INSERT INTO decision_action_sets(key, actions) SELECT * FROM unnest(@keys, @actions)
                    ON CONFLICT (key) DO NOTHING
                    """, ct, ("keys", setKeys.ToArray()), ("actions", setJson.ToArray())).ConfigureAwait(false);
            var logged = new HashSet<string>(StringComparer.Ordinal);
            await using var cmd = w.Command("""
                INSERT INTO decisions(event_id, point, person, anonymous, ts, context, action_set, slots, slot_ids, activated_ms, wait_ms,
                    default_reward, policy)
                SELECT id, point, person, anon, ts, context, set_key, slots, slot_ids, activated, wait, dflt, policy
                FROM unnest(@ids, @points, @persons, @anonymous, @times, @contexts, @sets, @slots, @slotIds, @activated, @waits, @defaults,
                    @policies) WITH ORDINALITY
                    AS u(id, point, person, anon, ts, context, set_key, slots, slot_ids, activated, wait, dflt, policy, n)
                ORDER BY n
                ON CONFLICT (event_id) DO NOTHING
                RETURNING event_id
                """, ("ids", ids), ("points", points), ("persons", persons), ("anonymous", anonymous), ("times", times),
                ("contexts", contexts), ("sets", sets), ("slots", slots), ("slotIds", slotIds), ("activated", activated), ("waits", waits),
                ("defaults", defaults), ("policies", policies));
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false)) logged.Add(r.GetString(0));
            return logged;
        }, ct).ConfigureAwait(false);
        foreach (var key in setKeys) _actionSets.TryAdd(key, 0);

        var result = new bool[list.Length];
        foreach (int i in rows) result[i] = inserted.Contains(list[i].EventId);
        return result;
    }

    public Task<bool> ActivateDecisionAsync(string eventId, long nowMs, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(eventId);
        return WriteAsync(async w => await w.ExecAsync(
            "UPDATE decisions SET activated_ms = COALESCE(activated_ms, @now) WHERE event_id = @id", ct,
            ("now", nowMs), ("id", eventId)).ConfigureAwait(false) > 0, ct);
    }

    public async Task<IReadOnlyList<RewardOutcome>> RecordRewardsAsync(IReadOnlyList<DecisionReward> rewards, long nowMs,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(rewards);
        if (rewards.Count == 0) return [];
        var list = rewards.ToArray();
        var eventIds = list.Select(r => r.EventId).Where(id => id is not null).Distinct(StringComparer.Ordinal).ToArray();
        return await WriteAsync(async w =>
        {
            // The decisions named and the slots already rewarded: no other write runs while this one holds the lock.
            var found = new Dictionary<string, (string[] Slots, long? Activated, long Wait)>(StringComparer.Ordinal);
            await using (var cmd = w.Command("SELECT event_id, slot_ids, activated_ms, wait_ms FROM decisions WHERE event_id = ANY(@ids)",
                ("ids", eventIds)))
            await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                    found[r.GetString(0)] = (JsonSerializer.Deserialize<string[]>(r.GetString(1)) ?? [], r.IsDBNull(2) ? null : r.GetInt64(2),
                        r.GetInt64(3));
            }
            var rewarded = new HashSet<(string EventId, string Slot)>();
            await using (var cmd = w.Command("SELECT event_id, slot FROM decision_rewards WHERE event_id = ANY(@ids)", ("ids", eventIds)))
            await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await r.ReadAsync(ct).ConfigureAwait(false)) rewarded.Add((r.GetString(0), r.GetString(1)));
            }

            // Each reward checked on its own, in order (an earlier one of this call counts as already stored).
            var outcomes = new RewardOutcome[list.Length];
            var recorded = new List<DecisionReward>();
            var slotCounts = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < list.Length; i++)
            {
                var reward = list[i];
                if (reward.EventId is null || !found.TryGetValue(reward.EventId, out var decision))
                    outcomes[i] = RewardOutcome.UnknownEvent;
                else if (Array.IndexOf(decision.Slots, reward.Slot) < 0) outcomes[i] = RewardOutcome.UnknownSlot;
                else if (decision.Activated is null) outcomes[i] = RewardOutcome.NotActivated;
                else if (nowMs > decision.Activated.Value + decision.Wait) outcomes[i] = RewardOutcome.TooLate;
                else if (!rewarded.Add((reward.EventId, reward.Slot))) outcomes[i] = RewardOutcome.AlreadyRewarded;
                else
                {
                    outcomes[i] = RewardOutcome.Recorded;
                    recorded.Add(reward);
                    slotCounts[reward.EventId] = decision.Slots.Length;
                }
            }
            if (recorded.Count == 0) return outcomes;

            await InsertRewardsAsync(w, [.. recorded.Select(x => x.EventId)], [.. recorded.Select(x => x.Slot)],
                [.. recorded.Select(x => x.Value)], [.. recorded.Select(x => x.Detail)], isDefault: false, nowMs, ct).ConfigureAwait(false);
            // Settled once each of its slots has a reward.
            await w.ExecAsync("""
                UPDATE decisions d SET settled = true FROM unnest(@ids, @counts) AS u(id, slots)
                WHERE d.event_id = u.id AND NOT d.settled AND (SELECT COUNT(*) FROM decision_rewards r WHERE r.event_id = u.id) >= u.slots
                """, ct, ("ids", slotCounts.Keys.ToArray()), ("counts", slotCounts.Values.ToArray())).ConfigureAwait(false);
            return outcomes;
        }, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Inserts rewards in the order given (their seqs ascend in it), leaving out slots that already have one, and records the
    /// <see cref="ChangeKind.DecisionRewards"/> change covering the new seqs.
    /// </summary>
    private static async Task InsertRewardsAsync(Writer w, string[] eventIds, string[] slots, double[] values, string?[] details,
        bool isDefault, long nowMs, CancellationToken ct)
    {
        await using var cmd = w.Command("""
            WITH added AS (
                INSERT INTO decision_rewards(event_id, slot, value, is_default, ts, detail)
                SELECT e, s, v, @isDefault, @ts, x FROM unnest(@ids, @slots, @values, @details) WITH ORDINALITY AS u(e, s, v, x, n) ORDER BY n
                ON CONFLICT (event_id, slot) DO NOTHING
                RETURNING seq)
            SELECT MIN(seq), MAX(seq) FROM added
            """, ("isDefault", isDefault), ("ts", nowMs), ("ids", eventIds), ("slots", slots), ("values", values), ("details", details));
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await r.ReadAsync(ct).ConfigureAwait(false);
        if (!r.IsDBNull(0)) w.AddRangeChange(ChangeKind.DecisionRewards, r.GetInt64(0) - 1, r.GetInt64(1));
    }

    public Task<int> SettleDecisionsAsync(long nowMs, int maxDecisions, CancellationToken ct = default) =>
        WriteAsync(async w =>
        {
            // No ORDER BY, as in the SQLite store: the open decisions as the index (or the table) holds them.
            var due = new List<(string Id, string[] Slots, double Default)>();
            await using (var cmd = w.Command("""
                SELECT event_id, slot_ids, default_reward FROM decisions
                WHERE NOT settled AND activated_ms IS NOT NULL AND activated_ms + wait_ms <= @now LIMIT @max
                """, ("now", nowMs), ("max", maxDecisions < 0 ? long.MaxValue : (long)maxDecisions))) // SQLite's negative LIMIT: none
            await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                    due.Add((r.GetString(0), JsonSerializer.Deserialize<string[]>(r.GetString(1)) ?? [], r.GetDouble(2)));
            }
            if (due.Count == 0) return 0;
            var ids = new List<string>();
            var slots = new List<string>();
            var values = new List<double>();
            foreach (var (eventId, names, reward) in due)
            {
                foreach (var name in names)
                {
                    ids.Add(eventId);
                    slots.Add(name);
                    values.Add(reward);
                }
            }
            if (ids.Count > 0)
                await InsertRewardsAsync(w, [.. ids], [.. slots], [.. values], new string?[ids.Count], isDefault: true, nowMs, ct)
                    .ConfigureAwait(false);
            await w.ExecAsync("UPDATE decisions SET settled = true WHERE event_id = ANY(@ids)", ct,
                ("ids", due.Select(d => d.Id).ToArray())).ConfigureAwait(false);
            return due.Count;
        }, ct);

    private const string DecisionColumns =
        "d.event_id, d.point, d.person, d.anonymous, d.ts, d.context, d.action_set, a.actions, d.slots, d.slot_ids, d.activated_ms, d.wait_ms, "
        + "d.default_reward, d.policy";

    private static DecisionRecord ReadDecision(NpgsqlDataReader r, int at) => new(
        r.GetString(at), r.GetString(at + 1), r.IsDBNull(at + 2) ? null : r.GetString(at + 2), r.GetBoolean(at + 3), r.GetInt64(at + 4),
        r.GetString(at + 5), r.GetString(at + 6), r.GetString(at + 7), r.GetString(at + 8),
        JsonSerializer.Deserialize<string[]>(r.GetString(at + 9)) ?? [], r.IsDBNull(at + 10) ? null : r.GetInt64(at + 10), r.GetInt64(at + 11),
        r.GetDouble(at + 12), r.IsDBNull(at + 13) ? null : r.GetString(at + 13));

    /// <summary>
    /// Decisions with their rewards in one statement (one snapshot): <see cref="DecisionColumns"/>, then the rewards' slots,
    /// values, defaults and details as four parallel arrays (NULL when there is none); read by <see cref="ReadLogged"/>.
    /// </summary>
    private static string LoggedQuery(string where) => $"""
        SELECT {DecisionColumns}, rw.slots, rw.vals, rw.dflts, rw.details
        FROM decisions d JOIN decision_action_sets a ON a.key = d.action_set
        CROSS JOIN LATERAL (
            SELECT array_agg(slot) AS slots, array_agg(value) AS vals, array_agg(is_default) AS dflts, array_agg(detail) AS details
            FROM decision_rewards WHERE event_id = d.event_id) rw
        WHERE {where}
        """;

    private static LoggedDecision ReadLogged(NpgsqlDataReader r)
    {
        var rewards = new Dictionary<string, (double, bool)>(StringComparer.Ordinal);
        var details = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!r.IsDBNull(14))
        {
            var slots = r.GetFieldValue<string[]>(14);
            var values = r.GetFieldValue<double[]>(15);
            var defaults = r.GetFieldValue<bool[]>(16);
            var texts = r.GetFieldValue<string?[]>(17);
            for (int i = 0; i < slots.Length; i++)
            {
                rewards[slots[i]] = (values[i], defaults[i]);
                if (texts[i] is { } detail) details[slots[i]] = detail;
            }
        }
        return new LoggedDecision(ReadDecision(r, 0), rewards) { Details = details };
    }

    public async Task<LoggedDecision?> GetDecisionAsync(string eventId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(eventId);
        await using var cmd = _source.CreateCommand(LoggedQuery("d.event_id = @id"));
        cmd.Parameters.AddWithValue("id", eventId);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await r.ReadAsync(ct).ConfigureAwait(false) ? ReadLogged(r) : null;
    }

    public async IAsyncEnumerable<RewardedDecision> ReadRewardsAsync(long afterSeq, long toSeq, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var cmd = _source.CreateCommand($"""
            SELECT r.seq, r.slot, r.value, r.is_default, r.ts, {DecisionColumns}, r.detail
            FROM decision_rewards r JOIN decisions d ON d.event_id = r.event_id JOIN decision_action_sets a ON a.key = d.action_set
            WHERE r.seq > @after AND r.seq <= @to ORDER BY r.seq
            """);
        cmd.Parameters.AddWithValue("after", afterSeq);
        cmd.Parameters.AddWithValue("to", toSeq);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            yield return new RewardedDecision(r.GetInt64(0), ReadDecision(r, 5), r.GetString(1), r.GetDouble(2), r.GetBoolean(3), r.GetInt64(4),
                r.IsDBNull(19) ? null : r.GetString(19));
    }

    public async Task<long> GetLastRewardSeqAsync(CancellationToken ct = default)
    {
        // The identity's last value counts rewards not committed yet: the table's is what is readable.
        await using var cmd = _source.CreateCommand("SELECT COALESCE(MAX(seq), 0) FROM decision_rewards");
        return (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    public IAsyncEnumerable<LoggedDecision> ReadDecisionsAsync(string point, long fromMs, long toMs, CancellationToken ct = default) =>
        ReadLoggedAsync("d.point = @point AND d.ts >= @from AND d.ts < @to", [("point", point), ("from", fromMs), ("to", toMs)], ct);

    public IAsyncEnumerable<LoggedDecision> ReadPersonDecisionsAsync(string point, string person, bool anonymous, CancellationToken ct = default) =>
        ReadLoggedAsync("d.person = @person AND d.anonymous = @anonymous AND d.point = @point",
            [("point", point), ("person", person), ("anonymous", anonymous)], ct);

    private async IAsyncEnumerable<LoggedDecision> ReadLoggedAsync(string where, (string Name, object Value)[] parameters,
        [EnumeratorCancellation] CancellationToken ct)
    {
        // Ties in time by event id, compared as bytes (SQLite's BINARY collation), whatever the database's collation.
        await using var cmd = _source.CreateCommand(LoggedQuery(where) + " ORDER BY d.ts, d.event_id COLLATE \"C\"");
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) yield return ReadLogged(r);
    }
}
