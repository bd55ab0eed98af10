using Attune.Model;
using Attune.Storage;

namespace Attune.Tests.Storage;

// Appends under an idempotency key (POST /v1/events with Idempotency-Key): stored once, with the events, durably.
public abstract partial class StoreContractTests
{
    [Fact]
    public async Task ABatchUnderAStoredIdempotencyKeyIsNotAppendedAgainEvenAfterAReopen()
    {
        byte[] hash = [1, 2, 3, 4], other = [9, 9, 9, 9];
        Event[] batch = [View("idem-u", "a", 0), View("idem-u", "b", 1)];
        Assert.Equal(IdempotentAppend.Stored, await Store.AppendEventsAsync(batch, "key-1", hash, Ct));
        Assert.Equal(IdempotentAppend.Replayed, await Store.AppendEventsAsync(batch, "key-1", hash, Ct));
        Assert.Equal(IdempotentAppend.Conflict, await Store.AppendEventsAsync([View("idem-u", "c", 2)], "key-1", other, Ct));
        Assert.Equal(2, (await Store.GetStatsAsync(Ct)).Events);

        // Two sends of one key at once (a retry racing the original): one stores, the other is a replay.
        var racing = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Store.AppendEventsAsync(batch, "key-2", hash, Ct)));
        Assert.Equal([IdempotentAppend.Stored, IdempotentAppend.Replayed], racing.Order());
        Assert.Equal(4, (await Store.GetStatsAsync(Ct)).Events);

        // Keys are stored with the events: a reopened store still knows them; another key stores.
        Store = await ReopenAsync(Store);
        Assert.Equal(IdempotentAppend.Replayed, await Store.AppendEventsAsync(batch, "key-1", hash, Ct));
        Assert.Equal(IdempotentAppend.Stored, await Store.AppendEventsAsync(batch, "key-3", hash, Ct));
        Assert.Equal(6, (await Store.GetStatsAsync(Ct)).Events);
        var events = await ListAsync(Store.ReadEventsAsync(Ct));
        Assert.Equal(6, events.Count(e => e.ProfileId == "idem-u"));
    }
}
