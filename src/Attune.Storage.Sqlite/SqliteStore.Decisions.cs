using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Attune.Storage.Sqlite;

/// <summary>
/// The decision log: <c>decisions</c> (one row per ranked event), <c>decision_action_sets</c> (each distinct action set once,
/// so a client that sends the same fifty actions with every rank costs one row, not fifty feature lists a decision) and
/// <c>decision_rewards</c> (one row per rewarded slot, AUTOINCREMENT seq: the order learners follow through the change feed).
/// </summary>
public sealed partial class SqliteStore
{
    private const string DecisionSchema = """
        CREATE TABLE IF NOT EXISTS decision_action_sets(  -- schema 3
            key TEXT PRIMARY KEY,
            actions TEXT NOT NULL) WITHOUT ROWID;       -- JSON [{"id", "features"}]
        CREATE TABLE IF NOT EXISTS decisions(             -- schema 3: one ranked event of a decision point
            event_id TEXT PRIMARY KEY,
            point TEXT NOT NULL,
            person TEXT,                    -- user id, or anonymous id when anonymous = 1; NULL when nobody was named
            anonymous INTEGER NOT NULL,
            ts INTEGER NOT NULL,            -- Unix milliseconds
            context TEXT NOT NULL,          -- JSON features as ranked
            action_set TEXT NOT NULL,       -- decision_action_sets.key
            slots TEXT NOT NULL,            -- JSON per slot: id, features, chosen, ranking with probabilities
            slot_ids TEXT NOT NULL,         -- JSON array of the slot ids ([""] for a single decision)
            activated_ms INTEGER,           -- NULL while activation is deferred
            wait_ms INTEGER NOT NULL,
            default_reward REAL NOT NULL,
            policy TEXT,
            settled INTEGER NOT NULL DEFAULT 0); -- 1 once every slot has a reward (given or default)
        CREATE INDEX IF NOT EXISTS decisions_by_point ON decisions(point, ts);
        CREATE INDEX IF NOT EXISTS decisions_by_person ON decisions(person) WHERE person IS NOT NULL;
        CREATE INDEX IF NOT EXISTS decisions_open ON decisions(activated_ms + wait_ms) WHERE settled = 0 AND activated_ms IS NOT NULL;
        CREATE TABLE IF NOT EXISTS decision_rewards(      -- schema 3
            seq INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: the learners' watermark
            event_id TEXT NOT NULL,
            slot TEXT NOT NULL,
            value REAL NOT NULL,
            is_default INTEGER NOT NULL,
            ts INTEGER NOT NULL,
            detail TEXT,                    -- JSON of what happened (an offer's outcome), or NULL
            UNIQUE(event_id, slot));
        """;

    /// <summary>Action-set keys known to be committed (the writer skips their JSON).</summary>
    private readonly ConcurrentDictionary<string, byte> _actionSets = new(StringComparer.Ordinal);
    private RawStatement? _insertDecision, _insertActionSet;
    private SqliteCommand? _findDecision, _insertReward, _settleDecision;

    private sealed class LogDecisionsOp(DecisionRecord[] decisions, string[] slotIds) : WriteOp
    {
        private readonly List<string> _newSets = [];
        public readonly bool[] Logged = new bool[decisions.Length];

        public override int Size => decisions.Length;

        public override void Run(SqliteStore store)
        {
            _newSets.Clear();
            var db = store._writer.Handle!;
            var sets = store._insertActionSet ??= new(db, "INSERT OR IGNORE INTO decision_action_sets(key, actions) VALUES(?1, ?2)");
            var insert = store._insertDecision ??= new(db, """
                INSERT OR IGNORE INTO decisions(event_id, point, person, anonymous, ts, context, action_set, slots, slot_ids, activated_ms, wait_ms, default_reward, policy)
                VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
                """);
            for (int i = 0; i < decisions.Length; i++)
            {
                var d = decisions[i];
                if (!store._actionSets.ContainsKey(d.ActionSetKey) && !_newSets.Contains(d.ActionSetKey))
                {
                    sets.Bind(1, d.ActionSetKey);
                    sets.Bind(2, d.ActionSet);
                    sets.Execute();
                    _newSets.Add(d.ActionSetKey);
                }
                insert.Bind(1, d.EventId);
                insert.Bind(2, d.Point);
                insert.Bind(3, d.PersonId);
                insert.Bind(4, d.Anonymous ? 1L : 0L);
                insert.Bind(5, d.TimestampMs);
                insert.Bind(6, d.Context);
                insert.Bind(7, d.ActionSetKey);
                insert.Bind(8, d.Slots);
                insert.Bind(9, slotIds[i]);
                if (d.ActivatedMs is { } at) insert.Bind(10, at); else insert.BindNull(10);
                insert.Bind(11, d.WaitMs);
                insert.Bind(12, d.DefaultReward);
                insert.Bind(13, d.Policy);
                insert.Execute();
                Logged[i] = raw.sqlite3_changes(db) > 0;
            }
        }

        public override void AfterCommit(SqliteStore store)
        {
            foreach (var key in _newSets) store._actionSets.TryAdd(key, 0);
            Result = decisions.Length;
        }
    }

    public async Task<IReadOnlyList<bool>> LogDecisionsAsync(IReadOnlyList<DecisionRecord> decisions, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(decisions);
        if (decisions.Count == 0) return [];
        var list = decisions as DecisionRecord[] ?? [.. decisions];
        var slotIds = new string[list.Length];
        for (int i = 0; i < list.Length; i++)
            slotIds[i] = list[i].SlotIds is [""] ? "[\"\"]" : JsonSerializer.Serialize(list[i].SlotIds); // the single decision: no serializer
        var op = new LogDecisionsOp(list, slotIds);
        await Enqueue(op, ct).ConfigureAwait(false);
        return op.Logged;
    }

    public Task<bool> ActivateDecisionAsync(string eventId, long nowMs, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(eventId);
        return Enqueue(s =>
        {
            using var cmd = s._writer.CreateCommand();
            cmd.CommandText = "UPDATE decisions SET activated_ms = COALESCE(activated_ms, $now) WHERE event_id = $id";
            cmd.Parameters.AddWithValue("$now", nowMs);
            cmd.Parameters.AddWithValue("$id", eventId);
            return cmd.ExecuteNonQuery();
        }, 1, ct).ContinueWith(t => t.Result > 0, ct, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private sealed class RecordRewardsOp(DecisionReward[] rewards, long nowMs) : WriteOp
    {
        public readonly RewardOutcome[] Outcomes = new RewardOutcome[rewards.Length];

        public override int Size => rewards.Length;

        public override void Run(SqliteStore store)
        {
            var find = store._findDecision ??= store.Prepare(
                "SELECT slot_ids, activated_ms, wait_ms, settled FROM decisions WHERE event_id = $id", "$id");
            var insert = store._insertReward ??= store.Prepare(
                "INSERT OR IGNORE INTO decision_rewards(event_id, slot, value, is_default, ts, detail) VALUES($id, $slot, $value, 0, $ts, $detail)",
                "$id", "$slot", "$value", "$ts", "$detail");
            long first = 0, last = 0;
            for (int i = 0; i < rewards.Length; i++)
            {
                var reward = rewards[i];
                find.Parameters[0].Value = reward.EventId;
                string[] slots;
                long? activated;
                long wait;
                using (var r = find.ExecuteReader())
                {
                    if (!r.Read())
                    {
                        Outcomes[i] = RewardOutcome.UnknownEvent;
                        continue;
                    }
                    slots = JsonSerializer.Deserialize<string[]>(r.GetString(0)) ?? [];
                    activated = r.IsDBNull(1) ? null : r.GetInt64(1);
                    wait = r.GetInt64(2);
                }
                if (Array.IndexOf(slots, reward.Slot) < 0) Outcomes[i] = RewardOutcome.UnknownSlot;
                else if (activated is null) Outcomes[i] = RewardOutcome.NotActivated;
                else if (nowMs > activated.Value + wait) Outcomes[i] = RewardOutcome.TooLate;
                else
                {
                    insert.Parameters[0].Value = reward.EventId;
                    insert.Parameters[1].Value = reward.Slot;
                    insert.Parameters[2].Value = reward.Value;
                    insert.Parameters[3].Value = nowMs;
                    insert.Parameters[4].Value = (object?)reward.Detail ?? DBNull.Value;
                    if (insert.ExecuteNonQuery() == 0)
                    {
                        Outcomes[i] = RewardOutcome.AlreadyRewarded;
                        continue;
                    }
                    long seq = raw.sqlite3_last_insert_rowid(store._writer.Handle!);
                    if (first == 0) first = seq;
                    last = seq;
                    Outcomes[i] = RewardOutcome.Recorded;
                    store.SettleIfComplete(reward.EventId, slots.Length);
                }
            }
            if (last != 0) store._pendingChanges.Add(new(ChangeKind.DecisionRewards, null, null, first - 1, last));
        }
    }

    private SqliteCommand Prepare(string sql, params string[] names)
    {
        var cmd = _writer.CreateCommand();
        cmd.CommandText = sql;
        foreach (var name in names) cmd.Parameters.Add(new SqliteParameter(name, null));
        cmd.Prepare();
        return cmd;
    }

    /// <summary>Marks a decision settled once each of its slots has a reward.</summary>
    private void SettleIfComplete(string eventId, int slotCount)
    {
        var settle = _settleDecision ??= Prepare("""
            UPDATE decisions SET settled = 1
            WHERE event_id = $id AND (SELECT COUNT(*) FROM decision_rewards WHERE event_id = $id) >= $slots
            """, "$id", "$slots");
        settle.Parameters[0].Value = eventId;
        settle.Parameters[1].Value = slotCount;
        settle.ExecuteNonQuery();
    }

    public async Task<IReadOnlyList<RewardOutcome>> RecordRewardsAsync(IReadOnlyList<DecisionReward> rewards, long nowMs, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(rewards);
        if (rewards.Count == 0) return [];
        var op = new RecordRewardsOp([.. rewards], nowMs);
        await Enqueue(op, ct).ConfigureAwait(false);
        return op.Outcomes;
    }

    public async Task<int> SettleDecisionsAsync(long nowMs, int maxDecisions, CancellationToken ct = default)
    {
        return (int)await Enqueue(s =>
        {
            var due = new List<(string Id, string[] Slots, double Default)>();
            using (var cmd = s._writer.CreateCommand())
            {
                cmd.CommandText = """
                    SELECT event_id, slot_ids, default_reward FROM decisions
                    WHERE settled = 0 AND activated_ms IS NOT NULL AND activated_ms + wait_ms <= $now LIMIT $max
                    """;
                cmd.Parameters.AddWithValue("$now", nowMs);
                cmd.Parameters.AddWithValue("$max", maxDecisions);
                using var r = cmd.ExecuteReader();
                while (r.Read()) due.Add((r.GetString(0), JsonSerializer.Deserialize<string[]>(r.GetString(1)) ?? [], r.GetDouble(2)));
            }
            if (due.Count == 0) return 0;
            using var insert = s._writer.CreateCommand();
            insert.CommandText = "INSERT OR IGNORE INTO decision_rewards(event_id, slot, value, is_default, ts) VALUES($id, $slot, $value, 1, $ts)";
            var id = insert.Parameters.Add("$id", SqliteType.Text);
            var slot = insert.Parameters.Add("$slot", SqliteType.Text);
            var value = insert.Parameters.Add("$value", SqliteType.Real);
            insert.Parameters.AddWithValue("$ts", nowMs);
            using var settle = s._writer.CreateCommand();
            settle.CommandText = "UPDATE decisions SET settled = 1 WHERE event_id = $id";
            var settleId = settle.Parameters.Add("$id", SqliteType.Text);
            long first = 0, last = 0;
            foreach (var (eventId, slots, reward) in due)
            {
                foreach (var name in slots)
                {
                    id.Value = eventId;
                    slot.Value = name;
                    value.Value = reward;
                    if (insert.ExecuteNonQuery() == 0) continue;
                    long seq = raw.sqlite3_last_insert_rowid(s._writer.Handle!);
                    if (first == 0) first = seq;
                    last = seq;
                }
                settleId.Value = eventId;
                settle.ExecuteNonQuery();
            }
            if (last != 0) s._pendingChanges.Add(new(ChangeKind.DecisionRewards, null, null, first - 1, last));
            return due.Count;
        }, 1, ct).ConfigureAwait(false);
    }

    private const string DecisionColumns =
        "d.event_id, d.point, d.person, d.anonymous, d.ts, d.context, d.action_set, a.actions, d.slots, d.slot_ids, d.activated_ms, d.wait_ms, d.default_reward, d.policy";

    private static DecisionRecord ReadDecision(SqliteDataReader r, int at) => new(
        r.GetString(at), r.GetString(at + 1), r.IsDBNull(at + 2) ? null : r.GetString(at + 2), r.GetInt64(at + 3) != 0, r.GetInt64(at + 4),
        r.GetString(at + 5), r.GetString(at + 6), r.GetString(at + 7), r.GetString(at + 8),
        JsonSerializer.Deserialize<string[]>(r.GetString(at + 9)) ?? [], r.IsDBNull(at + 10) ? null : r.GetInt64(at + 10), r.GetInt64(at + 11),
        r.GetDouble(at + 12), r.IsDBNull(at + 13) ? null : r.GetString(at + 13));

    public async Task<LoggedDecision?> GetDecisionAsync(string eventId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(eventId);
        await using var c = OpenRead();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {DecisionColumns} FROM decisions d JOIN decision_action_sets a ON a.key = d.action_set WHERE d.event_id = $id";
        cmd.Parameters.AddWithValue("$id", eventId);
        DecisionRecord decision;
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            if (!await r.ReadAsync(ct).ConfigureAwait(false)) return null;
            decision = ReadDecision(r, 0);
        }
        cmd.CommandText = "SELECT slot, value, is_default, detail FROM decision_rewards WHERE event_id = $id";
        var rewards = new Dictionary<string, (double, bool)>(StringComparer.Ordinal);
        var details = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                rewards[r.GetString(0)] = (r.GetDouble(1), r.GetInt64(2) != 0);
                if (!r.IsDBNull(3)) details[r.GetString(0)] = r.GetString(3);
            }
        }
        return new LoggedDecision(decision, rewards) { Details = details };
    }

    public async IAsyncEnumerable<RewardedDecision> ReadRewardsAsync(long afterSeq, long toSeq, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var c = OpenRead();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"""
            SELECT r.seq, r.slot, r.value, r.is_default, r.ts, {DecisionColumns}, r.detail
            FROM decision_rewards r JOIN decisions d ON d.event_id = r.event_id JOIN decision_action_sets a ON a.key = d.action_set
            WHERE r.seq > $after AND r.seq <= $to ORDER BY r.seq
            """;
        cmd.Parameters.AddWithValue("$after", afterSeq);
        cmd.Parameters.AddWithValue("$to", toSeq);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            yield return new RewardedDecision(r.GetInt64(0), ReadDecision(r, 5), r.GetString(1), r.GetDouble(2), r.GetInt64(3) != 0, r.GetInt64(4),
                r.IsDBNull(19) ? null : r.GetString(19));
    }

    public async Task<long> GetLastRewardSeqAsync(CancellationToken ct = default)
    {
        await using var c = OpenRead();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COALESCE(MAX(seq), 0) FROM decision_rewards";
        return (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    public IAsyncEnumerable<LoggedDecision> ReadDecisionsAsync(string point, long fromMs, long toMs, CancellationToken ct = default) =>
        ReadLoggedAsync("d.point = $point AND d.ts >= $from AND d.ts < $to", [("$point", point), ("$from", fromMs), ("$to", toMs)], ct);

    public IAsyncEnumerable<LoggedDecision> ReadPersonDecisionsAsync(string point, string person, bool anonymous, CancellationToken ct = default) =>
        ReadLoggedAsync("d.person = $person AND d.anonymous = $anonymous AND d.point = $point",
            [("$point", point), ("$person", person), ("$anonymous", anonymous ? 1L : 0L)], ct);

    private async IAsyncEnumerable<LoggedDecision> ReadLoggedAsync(string where, (string Name, object Value)[] parameters,
        [EnumeratorCancellation] CancellationToken ct)
    {
        await using var c = OpenRead();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"""
            SELECT {DecisionColumns},
                (SELECT json_group_array(json_array(slot, value, is_default, detail)) FROM decision_rewards WHERE event_id = d.event_id)
            FROM decisions d JOIN decision_action_sets a ON a.key = d.action_set
            WHERE {where} ORDER BY d.ts, d.event_id
            """;
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            var rewards = new Dictionary<string, (double, bool)>(StringComparer.Ordinal);
            var details = new Dictionary<string, string>(StringComparer.Ordinal);
            using (var doc = JsonDocument.Parse(r.GetString(14)))
            {
                foreach (var row in doc.RootElement.EnumerateArray())
                {
                    string slot = row[0].GetString()!;
                    rewards[slot] = (row[1].GetDouble(), row[2].GetInt64() != 0);
                    if (row[3].ValueKind == JsonValueKind.String) details[slot] = row[3].GetString()!;
                }
            }
            yield return new LoggedDecision(ReadDecision(r, 0), rewards) { Details = details };
        }
    }

    private void EraseDecisionsOf(string person, bool anonymous)
    {
        using var cmd = _writer.CreateCommand();
        cmd.Parameters.AddWithValue("$person", person);
        cmd.Parameters.AddWithValue("$anonymous", anonymous ? 1 : 0);
        EraseDecisions(cmd);
    }

    /// <summary>Erasure: the person's decisions and their rewards (inside the erasure's transaction).</summary>
    private long EraseDecisions(SqliteCommand cmd)
    {
        cmd.CommandText = "DELETE FROM decision_rewards WHERE event_id IN (SELECT event_id FROM decisions WHERE person = $person AND anonymous = $anonymous)";
        cmd.ExecuteNonQuery();
        cmd.CommandText = "DELETE FROM decisions WHERE person = $person AND anonymous = $anonymous";
        return cmd.ExecuteNonQuery();
    }
}
