namespace Attune.Storage.Sqlite;

/// <summary>
/// The feed's tail in memory: the last committed changes and the events of small appends, exactly as
/// <see cref="ReadChangesAsync"/> and <see cref="ReadEventsAsync(long, long, CancellationToken)"/> would read them back. A server
/// that just acknowledged a write catches its live state up from here instead of two SQLite queries per request (one process
/// owns a data folder, see <see cref="DataFolderLock"/>, so what this store committed is the whole feed).
/// </summary>
/// <remarks>
/// Only what the writer knows for certain is kept: events of <see cref="AppendEventsAsync"/> calls whose owner is the user id
/// or a never-identified anonymous id (bulk imports, and events owned through an older link, are read from SQLite). A commit
/// that changes who owns stored events (a link that moves an anonymous history, an erasure) empties the event tail, so a read
/// never returns an owner or an event SQLite no longer has. Reads outside the tail go to SQLite as before.
/// </remarks>
public sealed partial class SqliteStore
{
    private const int TailChanges = 8192;
    private const int TailEvents = 1 << 16;
    /// <summary>Appends larger than this are not copied into the tail (they are imports, not requests waiting for an answer).</summary>
    private const int TailLargestAppend = 4096;

    private readonly FeedTail _tail = new();

    // Writer-owned: what the open transaction adds to the tail.
    private readonly List<StoredEvent> _pendingTailEvents = [];
    /// <summary>Some event of the open transaction is not in <see cref="_pendingTailEvents"/>.</summary>
    private bool _pendingTailIncomplete;
    /// <summary>The open transaction changes the owner of stored events, or erases some.</summary>
    private bool _pendingTailInvalidates;
    /// <summary>The open transaction deleted feed rows (an erasure): the tail's copy of the feed is dropped.</summary>
    private bool _pendingTailForgetsChanges;

    /// <summary>Keeps an appended event for the tail (called right after <see cref="AddEvent"/> gave it <see cref="_lastEventSeq"/>).</summary>
    private void TailEvent(Model.Event e, int typeCode, string? extra)
    {
        if (_pendingTailIncomplete) return;
        string owner;
        bool anonymous;
        if (e.UserId is not null) (owner, anonymous) = (e.UserId, false);
        else if (_anonymous.TryGetValue(e.AnonymousId!, out int a) && _canonical[a] == a) (owner, anonymous) = (e.AnonymousId!, true);
        else
        {
            // Owned through an older link: the user's id is not at hand here.
            TailIncomplete();
            return;
        }
        _pendingTailEvents.Add(new StoredEvent(owner, anonymous, e.ItemId, typeCode, e.Timestamp.ToUnixTimeMilliseconds(), e.Value,
            _lastEventSeq, extra));
    }

    private void TailIncomplete()
    {
        _pendingTailIncomplete = true;
        _pendingTailEvents.Clear();
    }

    private void TailInvalidate()
    {
        _pendingTailInvalidates = true;
        TailIncomplete();
    }

    /// <summary>After COMMIT: the transaction's changes (seqs up to <paramref name="lastChangeSeq"/>) and events join the tail.</summary>
    private void PublishTail(List<StoreChange> changes, long lastEventSeq)
    {
        if (_pendingTailInvalidates) _tail.ClearEvents();
        if (_pendingTailForgetsChanges) _tail.ClearChanges();
        if (_pendingTailIncomplete) _tail.RestartEvents(lastEventSeq);
        else _tail.AddEvents(_pendingTailEvents);
        _tail.AddChanges(changes);
        ResetPendingTail();
    }

    private void ResetPendingTail()
    {
        _pendingTailEvents.Clear();
        _pendingTailIncomplete = false;
        _pendingTailInvalidates = false;
        _pendingTailForgetsChanges = false;
    }

    /// <summary>Two rings, each holding a run of consecutive seqs; readers copy under the lock, the writer appends under it.</summary>
    private sealed class FeedTail
    {
        private readonly Lock _lock = new();
        private readonly StoreChange[] _changes = new StoreChange[TailChanges];
        private long _lastChange = -1;
        private int _changeCount;
        private readonly StoredEvent[] _events = new StoredEvent[TailEvents];
        /// <summary>The seq the held events end at (they are the <see cref="_eventCount"/> seqs up to it); -1 until known.</summary>
        private long _lastEvent = -1;
        private int _eventCount;

        public void AddChanges(List<StoreChange> changes)
        {
            if (changes.Count == 0) return;
            lock (_lock)
            {
                if (changes[0].Seq != _lastChange + 1) _changeCount = 0;
                foreach (var c in changes)
                {
                    _changes[(int)(c.Seq % TailChanges)] = c;
                    _changeCount = Math.Min(_changeCount + 1, TailChanges);
                }
                _lastChange = changes[^1].Seq;
            }
        }

        public void AddEvents(List<StoredEvent> events)
        {
            if (events.Count == 0) return;
            lock (_lock)
            {
                if (_lastEvent < 0 || events[0].Seq != _lastEvent + 1) _eventCount = 0;
                foreach (var e in events)
                {
                    _events[(int)(e.Seq % TailEvents)] = e;
                    _eventCount = Math.Min(_eventCount + 1, TailEvents);
                }
                _lastEvent = events[^1].Seq;
            }
        }

        /// <summary>Forgets the held events; the next ones start a new run after <paramref name="lastEventSeq"/>.</summary>
        public void RestartEvents(long lastEventSeq)
        {
            lock (_lock)
            {
                _eventCount = 0;
                _lastEvent = lastEventSeq;
            }
        }

        public void ClearEvents()
        {
            lock (_lock) _eventCount = 0;
        }

        /// <summary>Forgets the held changes; the next ones start a new run (reads of older seqs go to SQLite).</summary>
        public void ClearChanges()
        {
            lock (_lock) _changeCount = 0;
        }

        /// <summary>Every change after <paramref name="afterSeq"/>, when the tail holds them all; otherwise null.</summary>
        public StoreChange[]? Changes(long afterSeq)
        {
            lock (_lock)
            {
                if (_changeCount == 0 || afterSeq < _lastChange - _changeCount) return null;
                int n = (int)Math.Max(0, _lastChange - afterSeq);
                var result = new StoreChange[n];
                for (int k = 0; k < n; k++) result[k] = _changes[(int)((afterSeq + 1 + k) % TailChanges)];
                return result;
            }
        }

        /// <summary>The events with <paramref name="afterSeq"/> &lt; seq ≤ <paramref name="upToSeq"/>, when the tail holds them all.</summary>
        public StoredEvent[]? Events(long afterSeq, long upToSeq)
        {
            lock (_lock)
            {
                if (_eventCount == 0 || afterSeq < _lastEvent - _eventCount || upToSeq > _lastEvent) return null;
                int n = (int)Math.Max(0, upToSeq - afterSeq);
                var result = new StoredEvent[n];
                for (int k = 0; k < n; k++) result[k] = _events[(int)((afterSeq + 1 + k) % TailEvents)];
                return result;
            }
        }
    }
}
