namespace Attune.Storage.Postgres;

/// <summary>Erasure, retention and a person's records (TO WRITE: a port of the SQLite store's).</summary>
public sealed partial class PostgresStore
{
    public Task<ErasedPerson?> ErasePersonAsync(string id, bool anonymous, CancellationToken ct = default) => throw new NotImplementedException();
    public Task<bool> FinishErasuresAsync(IReadOnlyCollection<string> ids, CancellationToken ct = default) => throw new NotImplementedException();
    public Task<PersonRecords> GetPersonRecordsAsync(IReadOnlyList<string> personIds, CancellationToken ct = default) => throw new NotImplementedException();
    public Task<(int Deleted, long NextSeq)> PurgeEventsAsync(string type, long beforeMs, long afterSeq, int maxRows, CancellationToken ct = default) => throw new NotImplementedException();
}
