using System.Collections.Concurrent;
using System.Text;
using Attune.Model;

namespace Attune.Search.Semantic;

/// <summary>
/// The catalog's meaning, searchable: each item's text (title, categories, brand, description) embedded in the background
/// and kept in a <see cref="VectorIndex"/>; queries embedded on demand and cached. The model loads on the first use
/// (<see cref="Start"/>); until an item's vector is ready, semantic search simply does not find it (lexical search does).
/// </summary>
public sealed class SemanticIndex : IDisposable
{
    /// <summary>Texts embedded per model call in the background.</summary>
    public const int BatchSize = 32;

    /// <summary>Batches taken from the queue at once (sorted by length, then split over the cores).</summary>
    private const int TakeBatches = 8;

    /// <summary>Queries whose vectors are kept; the cache starts over when full.</summary>
    public const int QueryCacheSize = 50_000;

    private readonly Func<ITextEmbedder> _factory;
    private readonly object _gate = new();
    private readonly Dictionary<string, string> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ulong> _textHash = new(StringComparer.Ordinal);
    /// <summary>The hash of the text each vector was computed from (what the vector file saves).</summary>
    private readonly Dictionary<string, ulong> _vectorHash = new(StringComparer.Ordinal);
    private readonly string? _file;
    private Dictionary<string, VectorFile.Entry>? _saved;
    private bool _unsaved, _savedOnce;
    private long _lastSave;
    private long _restored;
    private readonly ConcurrentDictionary<string, float[]> _queries = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _signal = new(0);
    private ITextEmbedder? _embedder;
    private VectorIndex? _vectors;
    private Task? _worker;
    private TaskCompletionSource _idle = NewIdle();
    private Exception? _failure;
    private long _embedded;

    /// <summary>Vectors are saved at most this often (and at shutdown) while items change.</summary>
    public static readonly TimeSpan SaveEvery = TimeSpan.FromMinutes(1);

    /// <param name="factory">Loads the model (on the first use).</param>
    /// <param name="vectorFile">Where the vectors are saved, to be read back at the next start (null: not saved).</param>
    public SemanticIndex(Func<ITextEmbedder> factory, string? vectorFile = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _factory = factory;
        _file = vectorFile;
    }

    /// <summary>Vectors read back from the saved file instead of computed (their item's text unchanged).</summary>
    public long Restored => Interlocked.Read(ref _restored);

    /// <summary>Why the saved vectors could not be read or written, if they could not (they are then computed).</summary>
    public string? FileProblem { get; private set; }

    /// <summary>Whether the model has been asked for (vectors are being or have been computed).</summary>
    public bool Started => _worker is not null;

    /// <summary>Items waiting for their vector.</summary>
    public int Pending
    {
        get { lock (_gate) return _pending.Count; }
    }

    /// <summary>Items with a vector.</summary>
    public int Count => _vectors?.Count ?? 0;

    /// <summary>Item texts embedded since the start (re-embeddings of changed texts included).</summary>
    public long Embedded => Interlocked.Read(ref _embedded);

    /// <summary>Bytes the item vectors take.</summary>
    public long MemoryBytes => _vectors?.MemoryBytes ?? 0;

    /// <summary>The model's name, once loaded.</summary>
    public string? Model => _embedder?.Name;

    /// <summary>Why the model could not be loaded or run, if it could not (semantic search then finds nothing).</summary>
    public Exception? Failure => _failure;

    /// <summary>Queues <paramref name="item"/>'s text for embedding; an unchanged text is not embedded again.</summary>
    public void Upsert(Item item)
    {
        ArgumentNullException.ThrowIfNull(item);
        string text = TextOf(item);
        ulong hash = VectorFile.Hash(text);
        lock (_gate)
        {
            if (_textHash.TryGetValue(item.Id, out ulong known) && known == hash && !_pending.ContainsKey(item.Id)) return;
            _textHash[item.Id] = hash;
            _pending[item.Id] = text;
            if (_pending.Count == 1 && _idle.Task.IsCompleted) _idle = NewIdle();
        }
        if (_worker is not null) _signal.Release();
    }

    public void Remove(string itemId)
    {
        lock (_gate)
        {
            _pending.Remove(itemId);
            _textHash.Remove(itemId);
            _unsaved |= _vectorHash.Remove(itemId);
            if (_pending.Count == 0) _idle.TrySetResult();
        }
        _vectors?.Remove(itemId);
    }

    /// <summary>Loads the model and starts embedding what is queued, in the background (once; later calls do nothing).</summary>
    public void Start()
    {
        if (_worker is not null) return;
        lock (_gate)
        {
            if (_worker is not null) return;
            _worker = Task.Run(RunAsync);
        }
    }

    /// <summary>Completes when nothing is waiting for a vector (or the model failed to load).</summary>
    public Task WhenIdleAsync(CancellationToken ct = default)
    {
        Start();
        Task idle;
        lock (_gate) idle = _pending.Count == 0 ? Task.CompletedTask : _idle.Task;
        return idle.WaitAsync(ct);
    }

    /// <summary>
    /// The <paramref name="count"/> items closest in meaning to <paramref name="query"/> with a cosine similarity of at least
    /// <paramref name="minSimilarity"/>, closest first; empty until the model is loaded (this call starts it).
    /// </summary>
    public IReadOnlyList<SearchHit> Search(string query, int count, float minSimilarity) =>
        QueryVector(query) is { } vector ? _vectors!.Search(vector, count, minSimilarity) : [];

    /// <summary>The closest <paramref name="count"/> items to a vector from <see cref="QueryVector"/>.</summary>
    public IReadOnlyList<SearchHit> Search(float[] queryVector, int count, float minSimilarity) =>
        _vectors?.Search(queryVector, count, minSimilarity) ?? [];

    /// <summary>The query's vector (cached; case and surrounding spaces ignored), or null until the model is loaded (this
    /// call starts it) or when it failed.</summary>
    public float[]? QueryVector(string query)
    {
        Start();
        if (_embedder is not { } embedder || _vectors is null || string.IsNullOrWhiteSpace(query)) return null;
        string key = query.Trim().ToLowerInvariant();
        if (_queries.TryGetValue(key, out var vector)) return vector;
        try { vector = embedder.Embed([key])[0]; }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _failure = e;
            return null;
        }
        if (_queries.Count >= QueryCacheSize) _queries.Clear();
        _queries[key] = vector;
        return vector;
    }

    /// <summary>The cosine similarity of a query vector to each of <paramref name="ids"/> (NaN: no vector yet).</summary>
    public void Similarities(float[] queryVector, IReadOnlyList<string> ids, Span<float> similarity)
    {
        if (_vectors is { } vectors) vectors.Similarities(queryVector, ids, similarity);
        else similarity[..ids.Count].Fill(float.NaN);
    }

    /// <summary>
    /// The text an item's vector is computed from: its title, category words, brand and description, each part or
    /// description sentence only when it adds a word the text does not hold yet ("Padded bike lock by Aerofit." after the
    /// title "Aerofit Sierra Padded Bike Lock" adds nothing). The model's time grows with the text's length.
    /// </summary>
    public static string TextOf(Item item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var text = new StringBuilder(256);
        var words = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        AppendPart(text, words, item.Title ?? item.Id);
        foreach (string category in item.Categories)
            AppendPart(text, words, category.Replace('/', ' ').Replace('-', ' ').Replace('_', ' '));
        if (item.Brand is { } brand) AppendPart(text, words, brand);
        if (item.Description is { } description)
        {
            int start = 0;
            while (start < description.Length && text.Length < MiniLmEmbedder.MaxTextLength)
            {
                int end = SentenceEnd(description, start);
                AppendPart(text, words, description[start..end].Trim());
                start = end;
            }
        }
        return text.Length > MiniLmEmbedder.MaxTextLength ? text.ToString(0, MiniLmEmbedder.MaxTextLength) : text.ToString();
    }

    private static readonly HashSet<string> Filler = new(StringComparer.OrdinalIgnoreCase)
    {
        "a", "an", "and", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with",
    };

    /// <summary>Appends <paramref name="part"/> (after ". ") when it holds a word not seen yet, and records its words.</summary>
    private static void AppendPart(StringBuilder text, HashSet<string> words, string part)
    {
        bool adds = false;
        foreach (var range in part.AsSpan().SplitAny(" ,.;:!?()\"'"))
        {
            string word = part[range];
            if (word.Length == 0 || Filler.Contains(word)) continue;
            adds |= words.Add(word);
        }
        if (!adds) return;
        if (text.Length > 0) text.Append(". ");
        text.Append(part.TrimEnd('.'));
    }

    /// <summary>Where the sentence starting at <paramref name="start"/> ends (after its full stop, or the text's end).</summary>
    private static int SentenceEnd(string text, int start)
    {
        for (int i = start; i < text.Length - 1; i++)
            if (text[i] is '.' or '!' or '?' && text[i + 1] == ' ') return i + 1;
        return text.Length;
    }

    private async Task RunAsync()
    {
        var ct = _stop.Token;
        try
        {
            var embedder = _factory();
            var vectors = new VectorIndex(embedder.Dimensions);
            if (_file is not null)
            {
                _saved = VectorFile.Read(_file, embedder.Name, vectors.CodeLength, out string? problem);
                FileProblem = problem;
            }
            _vectors = vectors;
            _embedder = embedder;
        }
        catch (Exception e)
        {
            _failure = e;
            lock (_gate) _idle.TrySetResult();
            return;
        }
        var ids = new List<string>(BatchSize);
        var texts = new List<string>(BatchSize);
        while (!ct.IsCancellationRequested)
        {
            ids.Clear();
            texts.Clear();
            lock (_gate)
            {
                foreach (var (id, text) in _pending)
                {
                    ids.Add(id);
                    texts.Add(text);
                    if (ids.Count == BatchSize * TakeBatches) break;
                }
                if (ids.Count == 0)
                {
                    _saved = null; // read back what it could: the rest of the catalog is computed
                    _idle.TrySetResult();
                }
            }
            if (ids.Count == 0)
            {
                SaveIfDue(force: !_savedOnce);
                // Woken by new work, or after a while to save what changed since the last save.
                try { await _signal.WaitAsync(SaveEvery, ct).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
                continue;
            }
            if (_saved is not null && Restore(ids, texts) == ids.Count) continue;
            // Similar lengths together: a batch is padded to its longest text.
            var order = Enumerable.Range(0, ids.Count).OrderBy(k => texts[k].Length).ToArray();
            var sortedIds = new List<string>(order.Length);
            var sortedTexts = new List<string>(order.Length);
            foreach (int k in order) { sortedIds.Add(ids[k]); sortedTexts.Add(texts[k]); }
            (ids, texts) = (sortedIds, sortedTexts);
            float[][] vectors;
            try { vectors = EmbedOnEveryCore(_embedder, texts, ct); }
            catch (OperationCanceledException) { return; }
            catch (Exception e)
            {
                _failure = e;
                lock (_gate)
                {
                    _pending.Clear();
                    _idle.TrySetResult();
                }
                return;
            }
            lock (_gate)
            {
                for (int k = 0; k < ids.Count; k++)
                {
                    // A text changed or removed meanwhile keeps its newer state (queued again, or gone).
                    if (!_pending.TryGetValue(ids[k], out string? now) || !ReferenceEquals(now, texts[k])) continue;
                    _pending.Remove(ids[k]);
                    _vectors.Set(ids[k], vectors[k]);
                    _vectorHash[ids[k]] = _textHash[ids[k]];
                    _unsaved = true;
                }
            }
            Interlocked.Add(ref _embedded, ids.Count);
        }
    }

    /// <summary>Takes the saved vector of every taken item whose text is unchanged (they leave the queue; the rest stay in
    /// <paramref name="ids"/>, <paramref name="texts"/>); returns how many were restored.</summary>
    private int Restore(List<string> ids, List<string> texts)
    {
        int restored = 0, kept = 0;
        lock (_gate)
        {
            for (int k = 0; k < ids.Count; k++)
            {
                if (_saved!.TryGetValue(ids[k], out var entry) && _textHash.TryGetValue(ids[k], out ulong hash) && entry.TextHash == hash
                    && _pending.TryGetValue(ids[k], out string? now) && ReferenceEquals(now, texts[k]))
                {
                    _vectors!.SetCodes(ids[k], entry.Codes, entry.Scale);
                    _vectorHash[ids[k]] = hash;
                    _pending.Remove(ids[k]);
                    restored++;
                    continue;
                }
                ids[kept] = ids[k];
                texts[kept++] = texts[k];
            }
        }
        Interlocked.Add(ref _restored, restored);
        if (restored == ids.Count) return restored;
        ids.RemoveRange(kept, ids.Count - kept);
        texts.RemoveRange(kept, texts.Count - kept);
        return restored;
    }

    /// <summary>Writes the vectors when some changed since the last write, at most every <see cref="SaveEvery"/> unless forced.</summary>
    private void SaveIfDue(bool force)
    {
        if (_file is null || _vectors is null || _embedder is null) return;
        Dictionary<string, ulong> hashes;
        lock (_gate)
        {
            if (!_unsaved && _savedOnce) return;
            if (!force && System.Diagnostics.Stopwatch.GetElapsedTime(_lastSave) < SaveEvery) return;
            hashes = new Dictionary<string, ulong>(_vectorHash, StringComparer.Ordinal);
            _unsaved = false;
        }
        try
        {
            VectorFile.Write(_file, _embedder.Name, _vectors, hashes);
            _savedOnce = true;
            _lastSave = System.Diagnostics.Stopwatch.GetTimestamp();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            FileProblem = $"{_file}: {e.Message}";
            lock (_gate) _unsaved = true;
        }
    }

    /// <summary>The batch split over the cores (the model runs single-threaded per call; calls run side by side).</summary>
    private static float[][] EmbedOnEveryCore(ITextEmbedder embedder, List<string> texts, CancellationToken ct)
    {
        int parts = Math.Min(Environment.ProcessorCount, Math.Max(1, texts.Count / 8));
        if (parts == 1) return embedder.Embed(texts, ct);
        var vectors = new float[texts.Count][];
        int chunk = (texts.Count + parts - 1) / parts;
        Parallel.For(0, parts, new ParallelOptions { CancellationToken = ct, MaxDegreeOfParallelism = parts }, p =>
        {
            int end = Math.Min(texts.Count, (p + 1) * chunk);
            for (int from = p * chunk; from < end; from += BatchSize)
            {
                int n = Math.Min(BatchSize, end - from);
                var part = embedder.Embed(texts.GetRange(from, n), ct);
                Array.Copy(part, 0, vectors, from, part.Length);
            }
        });
        return vectors;
    }

    private static TaskCompletionSource NewIdle() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Dispose()
    {
        _stop.Cancel();
        try { _worker?.Wait(TimeSpan.FromSeconds(10)); }
        catch (AggregateException) { }
        if (_worker is { IsCompleted: true }) SaveIfDue(force: true);
        _embedder?.Dispose();
        _stop.Dispose();
        _signal.Dispose();
    }
}
