using System.Runtime.CompilerServices;
using System.Text.Json;
using Attune.Model;
using Attune.Security;
using Microsoft.Data.Sqlite;

namespace Attune.Storage.Sqlite;

/// <summary>What serving asks of the store: event replay past a watermark, identity links, documents, the recommendation log.</summary>
public sealed partial class SqliteStore
{
    /// <summary>
    /// The columns of a <see cref="StoredEvent"/>, read by <see cref="ReadStoredEvent"/>. Events are re-owned to the user when an
    /// anonymous id is identified, so <c>p</c> is already the unified owner.
    /// </summary>
    private const string StoredEventSelect = """
        SELECT p.id, p.kind, i.id, e.type, e.ts, e.value, e.seq, e.extra
        FROM events e JOIN profiles p ON p.idx = e.profile LEFT JOIN items i ON i.idx = e.item
        """;

    /// <summary>
    /// The WHERE of the partial index <c>events_by_recommendation</c> (see <see cref="CreateSchema"/>), on the alias <c>e</c>. A
    /// query must repeat this same expression, beside an equality on the indexed <c>json_extract</c>, for SQLite to use the index
    /// instead of scanning every event (checked with EXPLAIN QUERY PLAN: <c>SEARCH e USING INDEX events_by_recommendation</c>).
    /// </summary>
    private const string CarriesRecommendation = """instr(e.extra, '"recommendationId":') > 0""";

    private RawStatement? _putDocument, _logRecommendation, _recordExposure;

    private static StoredEvent ReadStoredEvent(SqliteDataReader r) =>
        new(r.GetString(0), r.GetInt32(1) == KindAnonymous, r.IsDBNull(2) ? null : r.GetString(2), r.GetInt32(3), r.GetInt64(4),
            r.IsDBNull(5) ? null : r.GetDouble(5), r.GetInt64(6), r.IsDBNull(7) ? null : r.GetString(7));

    public async IAsyncEnumerable<StoredEvent> ReadEventsOfTypeAsync(int typeCode, long fromMs, long upToSeq,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        // No index on the type: one pass over the events, in the background at start (an index would cost every write).
        await using var c = OpenRead();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"{StoredEventSelect} WHERE e.type = $type AND e.ts >= $from AND e.seq <= $upTo ORDER BY e.seq";
        cmd.Parameters.AddWithValue("$type", typeCode);
        cmd.Parameters.AddWithValue("$from", fromMs);
        cmd.Parameters.AddWithValue("$upTo", upToSeq);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) yield return ReadStoredEvent(r);
    }

    public async IAsyncEnumerable<StoredEvent> ReadEventsAsync(long afterSeq, long upToSeq,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        if (_tail.Events(afterSeq, upToSeq) is { } recent)
        {
            foreach (var e in recent) yield return e;
            yield break;
        }
        await using var c = OpenRead();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"{StoredEventSelect} WHERE e.seq > $after AND e.seq <= $upTo ORDER BY e.seq";
        cmd.Parameters.AddWithValue("$after", afterSeq);
        cmd.Parameters.AddWithValue("$upTo", upToSeq);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) yield return ReadStoredEvent(r);
    }

    public async Task<long> GetLastEventSeqAsync(CancellationToken ct = default)
    {
        await using var c = OpenRead();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT MAX(seq) FROM events";
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is long seq ? seq : 0;
    }

    public async IAsyncEnumerable<(string UserId, Consent Consent)> ReadStatedConsentsAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var c = OpenRead();
        await using var cmd = c.CreateCommand();
        // Consent is stored inside the user's JSON; a purpose absent from it (records from before purposes) is given. Plain
        // records are read by SQLite's JSON functions (encrypted ones are not JSON to it: the CASE hides them).
        cmd.CommandText = $"""
            SELECT id, json_extract(doc, '$.consent.personalization'), json_extract(doc, '$.consent.marketing'), json_extract(doc, '$.consent.analytics')
            FROM profiles WHERE kind = 0 AND doc IS NOT NULL
            AND json_type(CASE WHEN substr(doc, 1, {FieldCipher.Prefix.Length}) = '{FieldCipher.Prefix}' THEN NULL ELSE doc END, '$.consent') = 'object'
            """;
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
                yield return (r.GetString(0), new Consent
                {
                    Personalization = r.IsDBNull(1) || r.GetInt64(1) != 0,
                    Marketing = r.IsDBNull(2) || r.GetInt64(2) != 0,
                    Analytics = r.IsDBNull(3) || r.GetInt64(3) != 0,
                });
        }
        if (Cipher is null) yield break; // nothing is encrypted: the open checked that no key is needed
        // Encrypted records: decrypted here, one by one (at start, not per request).
        cmd.CommandText = $"SELECT id, doc FROM profiles WHERE kind = 0 AND substr(doc, 1, {FieldCipher.Prefix.Length}) = '{FieldCipher.Prefix}'";
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                string id = r.GetString(0);
                if (UserFrom(id, r.GetString(1)).Consent is { } consent) yield return (id, consent);
            }
        }
    }

    public async IAsyncEnumerable<(string AnonymousId, string UserId)> ReadIdentityLinksAsync(
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var c = OpenRead();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = """
            SELECT a.id, u.id FROM profiles a JOIN profiles u ON u.idx = a.canonical
            WHERE a.kind = 1 AND a.canonical <> a.idx AND u.kind = 0
            ORDER BY a.idx
            """;
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) yield return (r.GetString(0), r.GetString(1));
    }

    // ---------------------------------------------------------------- documents

    public async Task<IReadOnlyList<StoredDocument>> ListDocumentsAsync(string kind, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(kind);
        await using var c = OpenRead();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, json, updated_ms FROM documents WHERE kind = $kind ORDER BY id";
        cmd.Parameters.AddWithValue("$kind", kind);
        var list = new List<StoredDocument>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            list.Add(new StoredDocument(kind, r.GetString(0), RevealDocument(r.GetString(1)), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2))));
        return list;
    }

    public Task PutDocumentAsync(string kind, string id, string json, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(json);
        string stored = SealDocument(json); // on the caller's core, like serialization
        return Enqueue(s =>
        {
            var put = s._putDocument ??= new(s._writer.Handle!, """
                INSERT INTO documents(kind, id, json, updated_ms) VALUES(?1, ?2, ?3, ?4)
                ON CONFLICT(kind, id) DO UPDATE SET json = excluded.json, updated_ms = excluded.updated_ms
                """);
            put.Bind(1, kind);
            put.Bind(2, id);
            put.Bind(3, stored);
            put.Bind(4, s.NowMs);
            put.Execute();
            s.AddChange(ChangeKind.DocumentPut, id, kind);
            return 1;
        }, 1, ct);
    }

    public async Task<bool> DeleteDocumentAsync(string kind, string id, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(id);
        long deleted = await Enqueue(s =>
        {
            using var cmd = s._writer.CreateCommand();
            cmd.CommandText = "DELETE FROM documents WHERE kind = $kind AND id = $id";
            cmd.Parameters.AddWithValue("$kind", kind);
            cmd.Parameters.AddWithValue("$id", id);
            int deleted = cmd.ExecuteNonQuery();
            if (deleted > 0) s.AddChange(ChangeKind.DocumentDeleted, id, kind);
            return deleted;
        }, 1, ct).ConfigureAwait(false);
        return deleted > 0;
    }

    // ---------------------------------------------------------------- recommendation log

    /// <summary>
    /// Logs what answers showed. Many concurrent calls share one group commit; inside it every row is one step of a statement
    /// prepared once. A record logged again under the same id replaces the earlier one.
    /// </summary>
    public Task LogRecommendationsAsync(IReadOnlyList<RecommendationRecord> records, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0) return Task.CompletedTask;
        var list = records as RecommendationRecord[] ?? records.ToArray();
        // The item lists become JSON on the caller's core; the single writer only binds and steps.
        var items = new string[list.Length];
        for (int i = 0; i < list.Length; i++) items[i] = JsonSerializer.Serialize(list[i].ItemIds, AttuneJson.Options);
        return Enqueue(s =>
        {
            var insert = s._logRecommendation ??= new(s._writer.Handle!, """
                INSERT OR REPLACE INTO recommendations(id, person, anonymous, scenario, model, ts, items, recipe, experiment, variant, features)
                VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                """);
            for (int i = 0; i < list.Length; i++)
            {
                var rec = list[i];
                insert.Bind(1, rec.Id);
                insert.Bind(2, rec.PersonId);
                insert.Bind(3, rec.Anonymous ? 1L : 0L);
                insert.Bind(4, rec.Scenario);
                insert.Bind(5, rec.ModelVersion);
                insert.Bind(6, rec.Timestamp.ToUnixTimeMilliseconds());
                insert.Bind(7, items[i]);
                insert.Bind(8, rec.Recipe);
                insert.Bind(9, rec.Experiment);
                insert.Bind(10, rec.Variant);
                insert.Bind(11, rec.Features);
                insert.Execute();
            }
            return list.Length;
        }, list.Length, ct);
    }

    public async IAsyncEnumerable<RecommendationRecord> ReadRecommendationsAsync(long fromMs, long toMs,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var c = OpenRead();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = """
            SELECT id, person, anonymous, scenario, model, ts, items, recipe, experiment, variant, features FROM recommendations
            WHERE ts >= $from AND ts < $to ORDER BY ts, id
            """;
        cmd.Parameters.AddWithValue("$from", fromMs);
        cmd.Parameters.AddWithValue("$to", toMs);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            yield return new RecommendationRecord(r.GetString(0), r.GetString(1), r.GetInt64(2) != 0, r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)), JsonSerializer.Deserialize<string[]>(r.GetString(6)) ?? [],
                r.IsDBNull(7) ? null : r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8), r.IsDBNull(9) ? null : r.GetString(9),
                r.IsDBNull(10) ? null : r.GetString(10));
    }

    public async Task<RecommendationRecord?> GetRecommendationAsync(string id, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        await using var c = OpenRead();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT person, anonymous, scenario, model, ts, items, recipe, experiment, variant FROM recommendations WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await r.ReadAsync(ct).ConfigureAwait(false)) return null;
        return new RecommendationRecord(id, r.GetString(0), r.GetInt64(1) != 0, r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
            DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(4)), JsonSerializer.Deserialize<string[]>(r.GetString(5)) ?? [],
            r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8));
    }

    public async Task<PersonRecords> GetPersonRecordsAsync(IReadOnlyList<string> personIds, CancellationToken ct = default)
    {
        var recommendations = new List<RecommendationRecord>();
        var exposures = new List<Exposure>();
        if (personIds.Count == 0) return new PersonRecords(recommendations, exposures);
        await using var c = OpenRead();
        await using var cmd = c.CreateCommand();
        var names = new string[personIds.Count];
        for (int i = 0; i < personIds.Count; i++)
        {
            names[i] = "$p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            cmd.Parameters.AddWithValue(names[i], personIds[i]);
        }
        string list = string.Join(", ", names);
        cmd.CommandText = $"SELECT id, person, anonymous, scenario, model, ts, items, recipe, experiment, variant FROM recommendations WHERE person IN ({list}) ORDER BY ts, id";
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
                recommendations.Add(new RecommendationRecord(r.GetString(0), r.GetString(1), r.GetInt64(2) != 0, r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
                    DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)), JsonSerializer.Deserialize<string[]>(r.GetString(6)) ?? [],
                    r.IsDBNull(7) ? null : r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8), r.IsDBNull(9) ? null : r.GetString(9)));
        }
        cmd.CommandText = $"SELECT experiment, person, anonymous, phase, variant, ts FROM exposures WHERE person IN ({list}) ORDER BY ts, experiment";
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
                exposures.Add(new Exposure(r.GetString(0), r.GetString(1), r.GetInt64(2) != 0, r.GetInt32(3), r.GetString(4), r.GetInt64(5)));
        }
        return new PersonRecords(recommendations, exposures);
    }

    // ---------------------------------------------------------------- experiment exposures

    public Task RecordExposuresAsync(IReadOnlyList<Exposure> exposures, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(exposures);
        if (exposures.Count == 0) return Task.CompletedTask;
        var list = exposures.ToArray();
        return Enqueue(s =>
        {
            var insert = s._recordExposure ??= new(s._writer.Handle!,
                "INSERT OR IGNORE INTO exposures(experiment, person, anonymous, phase, variant, ts) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
            foreach (var e in list)
            {
                insert.Bind(1, e.ExperimentId);
                insert.Bind(2, e.PersonId);
                insert.Bind(3, e.Anonymous ? 1L : 0L);
                insert.Bind(4, e.Phase);
                insert.Bind(5, e.Variant);
                insert.Bind(6, e.AtMs);
                insert.Execute();
            }
            return list.Length;
        }, list.Length, ct);
    }

    public async IAsyncEnumerable<StoredEvent> ReadProfileEventsAsync(string profileId, bool anonymous, long fromMs, long toMs,
        IReadOnlyList<int>? typeCodes = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(profileId);
        await using var c = OpenRead();
        await using var cmd = c.CreateCommand();
        // events_by_profile (profile, ts) serves the range.
        cmd.CommandText = $"""
            {StoredEventSelect}
            WHERE e.profile = (SELECT idx FROM profiles WHERE kind = $kind AND id = $id) AND e.ts >= $from AND e.ts < $to
            {(typeCodes is null ? "" : $"AND e.type IN ({string.Join(",", typeCodes)})")}
            ORDER BY e.ts, e.seq
            """;
        cmd.Parameters.AddWithValue("$kind", anonymous ? KindAnonymous : KindUser);
        cmd.Parameters.AddWithValue("$id", profileId);
        cmd.Parameters.AddWithValue("$from", fromMs);
        cmd.Parameters.AddWithValue("$to", toMs);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) yield return ReadStoredEvent(r);
    }

    public async IAsyncEnumerable<StoredEvent> ReadProfilesEventsAsync(IReadOnlyList<(string ProfileId, bool Anonymous)> people, long fromMs, long toMs,
        IReadOnlyList<int>? typeCodes = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(people);
        if (people.Count == 0) yield break;
        await using var c = OpenRead();
        await using var cmd = c.CreateCommand();
        // Each kind's ids through the unique (kind, id) index, then events_by_profile (profile, ts) per person: one statement
        // for the whole batch instead of one prepared per person.
        var users = new List<string>();
        var anonymous = new List<string>();
        foreach (var (id, anon) in people)
        {
            ArgumentNullException.ThrowIfNull(id);
            string name = $"$p{cmd.Parameters.Count}";
            cmd.Parameters.AddWithValue(name, id);
            (anon ? anonymous : users).Add(name);
        }
        string Ids(int kind, List<string> names) => names.Count == 0 ? "" : $"SELECT idx FROM profiles WHERE kind = {kind} AND id IN ({string.Join(",", names)})";
        string profiles = string.Join(" UNION ALL ", new[] { Ids(KindUser, users), Ids(KindAnonymous, anonymous) }.Where(x => x.Length > 0));
        cmd.CommandText = $"""
            {StoredEventSelect}
            WHERE e.profile IN ({profiles}) AND e.ts >= $from AND e.ts < $to
            {(typeCodes is null ? "" : $"AND e.type IN ({string.Join(",", typeCodes)})")}
            ORDER BY e.profile, e.ts, e.seq
            """;
        cmd.Parameters.AddWithValue("$from", fromMs);
        cmd.Parameters.AddWithValue("$to", toMs);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) yield return ReadStoredEvent(r);
    }

    public async IAsyncEnumerable<Exposure> ReadExposuresAsync(string experimentId, [EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(experimentId);
        await using var c = OpenRead();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT person, anonymous, phase, variant, ts FROM exposures WHERE experiment = $e ORDER BY ts, person";
        cmd.Parameters.AddWithValue("$e", experimentId);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            yield return new Exposure(experimentId, r.GetString(0), r.GetInt64(1) != 0, r.GetInt32(2), r.GetString(3), r.GetInt64(4));
    }

    public async Task<IReadOnlyList<StoredEvent>> GetAttributedEventsAsync(string recommendationId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(recommendationId);
        await using var c = OpenRead();
        await using var cmd = c.CreateCommand();
        // Both terms are needed: the equality on the indexed expression, and the index's own WHERE so SQLite may use it.
        cmd.CommandText = $"""
            {StoredEventSelect}
            WHERE json_extract(e.extra, '$.recommendationId') = $rid AND {CarriesRecommendation}
            ORDER BY e.seq
            """;
        cmd.Parameters.AddWithValue("$rid", recommendationId);
        var list = new List<StoredEvent>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false)) list.Add(ReadStoredEvent(r));
        return list;
    }
}
