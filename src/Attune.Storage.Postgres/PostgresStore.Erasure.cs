using System.Text.Json;
using Attune.Model;

namespace Attune.Storage.Postgres;

/// <summary>Erasure, retention and a person's records: a port of the SQLite store's.</summary>
public sealed partial class PostgresStore
{
    /// <summary>The change kinds whose rows name an erased person once the erasure is finished.</summary>
    private static readonly ChangeKind[] ErasedPersonKinds =
        [ChangeKind.UserDeleted, ChangeKind.VisitorDeleted, ChangeKind.UserUpserted, ChangeKind.IdentityLinked];

    public Task<ErasedPerson?> ErasePersonAsync(string id, bool anonymous, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return WriteAsync(w => ErasePersonInAsync(w, id, anonymous, ct), ct);
    }

    /// <summary>In the write transaction. An anonymous id linked to a user is that user: the unified person is erased.</summary>
    private static async Task<ErasedPerson?> ErasePersonInAsync(Writer w, string id, bool anonymous, CancellationToken ct)
    {
        if (!anonymous)
        {
            if (await w.ScalarAsync("SELECT idx FROM profiles WHERE kind = @kind AND id = @id", ct,
                ("kind", (short)KindUser), ("id", id)).ConfigureAwait(false) is long user)
                return await EraseAsync(w, id, user, isUser: true, ct).ConfigureAwait(false);
            await EraseDecisionsOfPersonAsync(w, id, anonymous: false, ct).ConfigureAwait(false); // decisions can name someone the store has no profile of
            return null;
        }
        (long Idx, long Canonical)? visitor = null;
        await using (var cmd = w.Command("SELECT idx, canonical FROM profiles WHERE kind = @kind AND id = @id",
            ("kind", (short)KindAnonymous), ("id", id)))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            if (await r.ReadAsync(ct).ConfigureAwait(false)) visitor = (r.GetInt64(0), r.GetInt64(1));
        }
        if (visitor is not { } found)
        {
            await EraseDecisionsOfPersonAsync(w, id, anonymous: true, ct).ConfigureAwait(false);
            return null;
        }
        var (a, idx) = found;
        if (idx == a) return await EraseAsync(w, id, a, isUser: false, ct).ConfigureAwait(false);
        if (await w.ScalarAsync("SELECT id FROM profiles WHERE kind = @kind AND idx = @idx", ct,
            ("kind", (short)KindUser), ("idx", idx)).ConfigureAwait(false) is string userId)
            return await EraseAsync(w, userId, idx, isUser: true, ct).ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// The ids leave the feed's records of their deletions (and any older upsert or link still naming them). Always true:
    /// PostgreSQL has no write-ahead log the store could truncate the way SQLite's is, so there is nothing to retry.
    /// </summary>
    /// <remarks>
    /// Rows deleted by an erasure are invisible to every transaction that starts after its commit, but they stay in the table
    /// and index pages as dead tuples until PostgreSQL's VACUUM (autovacuum, which runs on its own once enough rows of a table
    /// changed) removes them and frees their space for reuse; even then the old bytes may stay in the files until new rows
    /// overwrite them (only <c>VACUUM FULL</c> rewrites a table), and they can remain in the server's write-ahead log
    /// segments, WAL archives and backups until those are recycled or expire. Making deleted data unrecoverable from the files
    /// is thus the database operator's business (autovacuum settings, WAL and backup retention), not something this call can
    /// force: <c>VACUUM</c> cannot run inside the store's transactions, and it does not touch the log or backups.
    /// </remarks>
    public Task<bool> FinishErasuresAsync(IReadOnlyCollection<string> ids, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var list = ids.ToArray();
        return WriteAsync(async w =>
        {
            await w.ForgetInChangesAsync(list, ErasedPersonKinds, ct).ConfigureAwait(false);
            return true;
        }, ct);
    }

    public async Task<PersonRecords> GetPersonRecordsAsync(IReadOnlyList<string> personIds, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(personIds);
        var recommendations = new List<RecommendationRecord>();
        var exposures = new List<Exposure>();
        if (personIds.Count == 0) return new PersonRecords(recommendations, exposures);
        var ids = personIds.ToArray();
        // Ties on time are broken in code-point order of the id, as SQLite's binary collation does.
        await using (var cmd = _source.CreateCommand("""
            SELECT id, person, anonymous, scenario, model, ts, items, recipe, experiment, variant FROM recommendations
            WHERE person = ANY(@ids) ORDER BY ts, id COLLATE "C"
            """))
        {
            cmd.Parameters.AddWithValue("ids", ids);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
                recommendations.Add(new RecommendationRecord(r.GetString(0), r.GetString(1), r.GetBoolean(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
                    DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)), JsonSerializer.Deserialize<string[]>(r.GetString(6)) ?? [],
                    r.IsDBNull(7) ? null : r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8), r.IsDBNull(9) ? null : r.GetString(9)));
        }
        await using (var cmd = _source.CreateCommand("""
            SELECT experiment, person, anonymous, phase, variant, ts FROM exposures
            WHERE person = ANY(@ids) ORDER BY ts, experiment COLLATE "C"
            """))
        {
            cmd.Parameters.AddWithValue("ids", ids);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
                exposures.Add(new Exposure(r.GetString(0), r.GetString(1), r.GetBoolean(2), r.GetInt32(3), r.GetString(4), r.GetInt64(5)));
        }
        return new PersonRecords(recommendations, exposures);
    }

    public async Task<(int Deleted, long NextSeq)> PurgeEventsAsync(string type, long beforeMs, long afterSeq, int maxRows, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentOutOfRangeException.ThrowIfNegative(maxRows);
        return await WriteAsync(async w =>
        {
            int code = EventTypes.TryGetBuiltIn(type, out var t) ? (int)t
                : await w.ScalarAsync("SELECT code FROM event_types WHERE name = @n", ct, ("n", type)).ConfigureAwait(false) is int custom ? custom : -1;
            if (code < 0) return (0, 0L);
            // The primary key walks forward from the cursor: each batch reads only the rows after the last one. Seqs come
            // from a sequence, so deleted ones, even the newest, are never handed out again.
            w.EventsRewritten();
            await using var cmd = w.Command("""
                WITH batch AS (SELECT seq FROM events WHERE seq > @after AND type = @type AND ts < @before ORDER BY seq LIMIT @n)
                DELETE FROM events WHERE seq IN (SELECT seq FROM batch) RETURNING seq
                """, ("after", afterSeq), ("type", code), ("before", beforeMs), ("n", maxRows));
            int deleted = 0;
            long last = 0;
            await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await r.ReadAsync(ct).ConfigureAwait(false))
                {
                    deleted++;
                    last = Math.Max(last, r.GetInt64(0));
                }
            }
            if (deleted == 0) return (0, 0L);
            return (deleted, deleted < maxRows ? 0L : last);
        }, ct).ConfigureAwait(false);
    }

    /// <summary>In the write transaction: removes the profile <paramref name="idx"/> (<paramref name="id"/>) and everything naming it.</summary>
    private static async Task<ErasedPerson> EraseAsync(Writer w, string id, long idx, bool isUser, CancellationToken ct)
    {
        // Event seqs come from a sequence: deleting the newest ones does not let them be handed out again.
        w.EventsRewritten();
        long events = await w.ExecAsync("DELETE FROM events WHERE profile = @idx", ct, ("idx", idx)).ConfigureAwait(false);
        var anonymousIds = new List<string>();
        if (isUser)
        {
            await using var cmd = w.Command("SELECT id FROM profiles WHERE kind = @kind AND canonical = @idx ORDER BY idx",
                ("kind", (short)KindAnonymous), ("idx", idx));
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false)) anonymousIds.Add(r.GetString(0));
        }
        else anonymousIds.Add(id);
        // Every node's memory of profile indexes is stale now (see PostgresStore.RememberedProfileIndexesAsync).
        await w.ExecAsync("""
            INSERT INTO attune_meta(key, value) VALUES('profile-deletions', '1')
            ON CONFLICT (key) DO UPDATE SET value = (attune_meta.value::bigint + 1)::text
            """, ct).ConfigureAwait(false);
        await w.ExecAsync("DELETE FROM profiles WHERE idx = @idx OR (kind = @kind AND canonical = @idx)", ct,
            ("idx", idx), ("kind", (short)KindAnonymous)).ConfigureAwait(false);
        // The recommendation log and experiment exposures name the person by id (the user's, or one of their anonymous ids).
        long recommendations = 0, exposures = 0;
        async Task ByPersonAsync(string person, bool anonymous)
        {
            recommendations += await w.ExecAsync("DELETE FROM recommendations WHERE person = @person AND anonymous = @anonymous", ct,
                ("person", person), ("anonymous", anonymous)).ConfigureAwait(false);
            exposures += await w.ExecAsync("DELETE FROM exposures WHERE person = @person", ct, ("person", person)).ConfigureAwait(false);
            await EraseDecisionsOfPersonAsync(w, person, anonymous, ct).ConfigureAwait(false);
        }
        await ByPersonAsync(id, anonymous: !isUser).ConfigureAwait(false);
        if (isUser)
            foreach (string anonId in anonymousIds) await ByPersonAsync(anonId, anonymous: true).ConfigureAwait(false);
        // The feed's older records of the person (their upserts and links) go too; the deletion's own record keeps the ids
        // until every follower has handled it (FinishErasuresAsync).
        await w.ForgetInChangesAsync(isUser ? [id, .. anonymousIds] : anonymousIds, [ChangeKind.UserUpserted, ChangeKind.IdentityLinked], ct)
            .ConfigureAwait(false);
        if (isUser) w.AddChange(ChangeKind.UserDeleted, id, anonymousIds.Count == 0 ? null : string.Join('\n', anonymousIds));
        else w.AddChange(ChangeKind.VisitorDeleted, id);
        return new ErasedPerson(isUser ? id : null, anonymousIds, events, recommendations, exposures);
    }

    /// <summary>Erasure: the person's decisions and their rewards (inside the erasure's transaction). Returns how many
    /// decisions it deleted.</summary>
    private static async Task<long> EraseDecisionsOfPersonAsync(Writer w, string person, bool anonymous, CancellationToken ct)
    {
        await w.ExecAsync("""
            DELETE FROM decision_rewards WHERE event_id IN (SELECT event_id FROM decisions WHERE person = @person AND anonymous = @anonymous)
            """, ct, ("person", person), ("anonymous", anonymous)).ConfigureAwait(false);
        return await w.ExecAsync("DELETE FROM decisions WHERE person = @person AND anonymous = @anonymous", ct,
            ("person", person), ("anonymous", anonymous)).ConfigureAwait(false);
    }
}
