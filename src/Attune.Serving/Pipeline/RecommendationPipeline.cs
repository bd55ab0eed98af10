using System.Runtime.InteropServices;
using Attune.Model;
using Attune.Serving.Catalog;
using Attune.Serving.Filtering;
using Attune.Serving.Rules;
using Attune.Serving.Scenarios;

namespace Attune.Serving.Pipeline;

/// <summary>
/// One scenario's answer for one person: candidate sources → weighted blend → guardrails and business rules → filter →
/// diversity → pins → explanations. Every source scores the whole catalog into a dense array (the catalog fits: 100,000 items
/// is 400 KB a source), scaled to a maximum of 1; the blend keeps, per item, the two sources that contributed most, which
/// become its reasons.
/// </summary>
internal sealed class RecommendationPipeline
{
    private const byte NoSource = 255;

    private const int SourceCount = 9;

    private float[] _blend = [];
    private bool[] _allowed = [];
    /// <summary>Per source: its own score buffer, the array it scored into this request (its buffer or a shared precomputed
    /// one), how many leading items it covers, and its scale (weight / max; 0 when it said nothing).</summary>
    private readonly float[][] _buffers = new float[SourceCount][];
    private readonly float[]?[] _scored = new float[SourceCount][];
    private readonly int[] _scoredLength = new int[SourceCount];
    private readonly float[] _scale = new float[SourceCount];

    private float[] _heapScores = [];
    private int[] _heapItems = [];
    private readonly List<int> _anchors = new(32);
    private readonly HashSet<int> _anchorCategories = [];
    private readonly List<(int Item, float Score)> _candidates = new(256);
    private readonly List<int> _chosen = new(64);
    private int[] _categoryCount = [], _brandCount = [];
    private float[] _maxSim = [];
    public readonly PersonView Person = new();

    [ThreadStatic] private static RecommendationPipeline? t_current;

    /// <summary>This thread's pipeline (its buffers are reused by every request on the thread).</summary>
    public static RecommendationPipeline Current => t_current ??= new RecommendationPipeline();

    private void Ensure(int n)
    {
        if (_blend.Length >= n) return;
        int size = Math.Max(n, _blend.Length * 2);
        _blend = new float[size];
        _allowed = new bool[size];
        for (int s = 0; s < SourceCount; s++) _buffers[s] = new float[size];
    }

    /// <summary>Runs the scenario. <paramref name="alsoExclude"/> holds items another row already shows.</summary>
    /// <remarks>
    /// Catalogs up to <see cref="ServingOptions.DenseCatalogLimit"/> items are scored whole. Larger ones are scored on a
    /// candidate pool (the anchors' neighbours, the most popular and trending items in this context, new and post-training
    /// items, the cart, the session model's best): every source then scores only the pool. When a filter or the guardrails
    /// leave fewer than <paramref name="count"/> items of the pool, the whole catalog is scored after all, so a filtered list
    /// is still full whenever enough items pass.
    /// </remarks>
    public List<RecommendedItem> Run(ServingState state, ServingContext ctx, ScenarioOptions scenario, string scenarioName,
        RecommendationRequest request, int count, IReadOnlySet<int>? alsoExclude = null, int? department = null)
    {
        int n = state.Catalog.Columns.Count;
        bool sparse = n > ctx.Options.DenseCatalogLimit || request.Candidates is not null;
        var result = RunOnce(state, ctx, scenario, scenarioName, request, count, alsoExclude, department, sparse);
        // Only a filter or a department row can make the pool short of items the catalog has (a restricted scenario's
        // sources name every item it may show, so the whole catalog would add nothing).
        if (sparse && result.Count < count && request.Candidates is null && scenario.ParsedRestrictTo is null
            && (request.Filter is not null || department is not null))
            result = RunOnce(state, ctx, scenario, scenarioName, request, count, alsoExclude, department, sparse: false);
        return result;
    }

    private List<RecommendedItem> RunOnce(ServingState state, ServingContext ctx, ScenarioOptions scenario, string scenarioName,
        RecommendationRequest request, int count, IReadOnlySet<int>? alsoExclude, int? department, bool sparse)
    {
        var catalog = state.Catalog;
        var columns = catalog.Columns;
        int n = columns.Count;
        Ensure(n);
        var blend = _blend.AsSpan(0, n);
        Array.Clear(_scored);
        Array.Clear(_scale);
        Array.Clear(_scoredLength);
        _pins.Clear();
        var person = Person;
        ComputeAnchors(catalog, scenario, request);

        // The items this answer considers: all of them, or the candidate pool.
        ReadOnlySpan<int> scope;
        if (sparse)
        {
            BuildPool(state, ctx, scenario, request, n);
            scope = CollectionsMarshal.AsSpan(_pool);
            foreach (int j in scope) blend[j] = 0;
        }
        else
        {
            if (_identity.Length < n) _identity = [.. Enumerable.Range(0, Math.Max(n, _identity.Length * 2))];
            scope = _identity.AsSpan(0, n);
            blend.Clear();
        }

        // Restricted scenarios and rankings consider only some items.
        bool candidatesOnly = request.Candidates is not null;
        bool restrict = scenario.ParsedRestrictTo is not null && !candidatesOnly;
        if (restrict || candidatesOnly) foreach (int j in scope) _allowed[j] = candidatesOnly;
        foreach (var (source, weight) in scenario.ParsedSources)
        {
            var scored = sparse ? ScoreScope(state, ctx, request, source, n, scope, out int m) : Score(state, ctx, request, source, n, out m);
            if (m == 0 || scored is null) continue;
            float max = 0;
            if (sparse) { foreach (int j in scope) if (j < m && scored[j] > max) max = scored[j]; }
            else max = System.Numerics.Tensors.TensorPrimitives.Max(scored.AsSpan(0, m));
            if (!(max > 0)) continue;
            int s = (int)source;
            _scored[s] = scored;
            _scoredLength[s] = m;
            float scale = _scale[s] = weight / max;
            // Each source is ≥ 0, so the blend is a weighted sum: one SIMD pass per source over a whole catalog.
            if (sparse) { foreach (int j in scope) if (j < m) blend[j] += scored[j] * scale; }
            else System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(scored.AsSpan(0, m), scale, blend[..m], blend[..m]);
            if (restrict && Array.IndexOf(scenario.ParsedRestrictTo!, source) >= 0)
            {
                foreach (int j in scope) if (j < m && scored[j] > 0) _allowed[j] = true;
            }
        }

        // Guardrails: what must never be shown.
        var showable = columns.Showable;
        foreach (int j in scope)
        {
            if (!showable[j] || ((restrict || candidatesOnly) && !_allowed[j])) blend[j] = float.NegativeInfinity;
        }
        if (department is { } dept)
        {
            var departments = columns.Department;
            foreach (int j in scope) if (departments[j] != dept) blend[j] = float.NegativeInfinity;
        }
        foreach (string id in request.Exclude)
        {
            int i = catalog.IndexOf(id);
            if (i >= 0 && i < n) blend[i] = float.NegativeInfinity;
        }
        if (alsoExclude is not null) foreach (int i in alsoExclude) if (i < n) blend[i] = float.NegativeInfinity;
        if (scenario.ExcludeAnchors) foreach (int i in _anchors) blend[i] = float.NegativeInfinity;
        if (scenario.ExcludeAnchorCategories && _anchors.Count > 0)
        {
            _anchorCategories.Clear();
            foreach (int i in _anchors) if (columns.Category[i] != 0) _anchorCategories.Add(columns.Category[i]);
            var categories = columns.Category;
            foreach (int j in scope) if (_anchorCategories.Contains(categories[j])) blend[j] = float.NegativeInfinity;
        }
        if (person.Personalized)
        {
            if (scenario.ExcludePurchased)
            {
                foreach (int i in person.Purchased)
                {
                    if (i < n && !ctx.IsRepeatBuy(columns.Items[i])) blend[i] = float.NegativeInfinity;
                }
            }
            if (ctx.Options.FrequencyCapImpressions > 0)
            {
                foreach (var (i, shown) in person.Impressions)
                {
                    if (i < n && shown.Count >= ctx.Options.FrequencyCapImpressions && shown.Engaged < shown.First) blend[i] = float.NegativeInfinity;
                }
            }
        }

        // Business rules: exclude, boost, bury.
        foreach (var rule in state.Rules.Compiled)
        {
            if (rule.Rule.Action == RuleAction.Pin || !rule.AppliesTo(scenarioName)) continue;
            var items = columns.Items;
            float factor = rule.Rule.Action switch
            {
                RuleAction.Boost => (float)(1 + rule.Rule.Weight),
                RuleAction.Bury => (float)(1 - rule.Rule.Weight),
                _ => float.NegativeInfinity,
            };
            foreach (int j in scope)
            {
                float b = blend[j];
                if (b == float.NegativeInfinity || items[j] is not { } item || !rule.Matches(j, item, request.Context)) continue;
                blend[j] = rule.Rule.Action == RuleAction.Exclude ? float.NegativeInfinity
                    : rule.Rule.Action == RuleAction.Bury && rule.Rule.Weight >= 1 ? -1f + b * 1e-3f
                    : b * factor;
            }
        }

        // The best candidates that pass the filter: more than asked, so diversity has room.
        int pool = Math.Min(n, count * 2 + 10);
        SelectTop(blend, scope, columns, request.Filter, request.Context, pool);
        Diversify(columns, scenario, count, catalog.NameCount);
        ApplyPins(state, scenarioName, request, blend, count);

        var result = new List<RecommendedItem>(_chosen.Count);
        for (int r = 0; r < _chosen.Count; r++)
        {
            int j = _chosen[r];
            var reasons = request.Explain ? Explanations.For(state, ctx, this, j, scenarioName) : [];
            result.Add(new RecommendedItem(columns.Ids[j], MathF.Round(Math.Max(blend[j], 0f), 5), r + 1, reasons, columns.Items[j]));
        }
        return result;
    }

    private int[] _identity = [];
    private readonly List<int> _pool = new(4096);
    private int[] _poolMark = [];
    private int _poolStamp;

    private void ComputeAnchors(Catalog.CatalogView catalog, ScenarioOptions scenario, RecommendationRequest request)
    {
        var person = Person;
        _anchors.Clear();
        switch (scenario.Anchor)
        {
            case AnchorKind.Request:
                foreach (string id in request.ItemIds)
                {
                    int i = catalog.IndexOf(id);
                    if (i >= 0 && !_anchors.Contains(i)) _anchors.Add(i);
                }
                break;
            case AnchorKind.Recent:
                // Item sources weight the end of a history most: oldest first, newest last.
                for (int k = person.Recent.Count - 1; k >= 0; k--) _anchors.Add(person.Recent[k]);
                break;
            case AnchorKind.RecentView:
                if (request.ItemIds.Count > 0 && catalog.IndexOf(request.ItemIds[0]) is >= 0 and var given) _anchors.Add(given);
                else if (person.LastViewed >= 0) _anchors.Add(person.LastViewed);
                break;
            case AnchorKind.Cart:
                _anchors.AddRange(person.Cart);
                break;
        }
    }

    /// <summary>Most popular and most trending items every pool starts from; items appended after training (newest first).</summary>
    private const int PopularPool = 800, TrendingPool = 200, NewItemsPool = 2000, SequencePool = 200, ContentPool = 200, NewestPool = 2000,
        PopularPoolForItems = 200;

    private void AddToPool(int item, int n)
    {
        if ((uint)item >= (uint)n || _poolMark[item] == _poolStamp) return;
        _poolMark[item] = _poolStamp;
        _pool.Add(item);
    }

    /// <summary>The candidate pool of a large catalog: what any source could rank high.</summary>
    private void BuildPool(ServingState state, ServingContext ctx, ScenarioOptions scenario, RecommendationRequest request, int n)
    {
        _pool.Clear();
        _sequenceReady = false;
        if (_poolMark.Length < n) _poolMark = new int[Math.Max(n, _poolMark.Length * 2)];
        if (++_poolStamp == int.MaxValue) { Array.Clear(_poolMark); _poolStamp = 1; }
        var bundle = state.Bundle;
        if (request.Candidates is { } candidates)
        {
            foreach (string id in candidates) AddToPool(state.Catalog.IndexOf(id), n);
            return;
        }
        // A product page or cart is answered mostly by its neighbours; popular items only fill in.
        int popular = scenario.Anchor == AnchorKind.Request ? PopularPoolForItems : PopularPool;
        foreach (var (source, _) in scenario.ParsedSources)
        {
            switch (source)
            {
                case Source.Viewed or Source.Bought:
                    var model = source == Source.Viewed ? bundle.ViewedTogether : bundle.BoughtTogether;
                    if (model is null) break;
                    foreach (int a in _anchors)
                    {
                        if ((uint)a >= (uint)model.Items) continue;
                        foreach (int j in model.Neighbours(a).Items.Span) AddToPool(j, n);
                    }
                    break;
                case Source.Content when _anchors.Count <= 3 && state.Content is { } content && content.Items <= n:
                {
                    // A product page or a small cart: its most similar items by content join the pool (only the items
                    // sharing a token with it are looked at).
                    Span<int> top = stackalloc int[ContentPool];
                    int k = content.MostSimilar(CollectionsMarshal.AsSpan(_anchors), ContentPool, top, Math.Max(2_000, n / 50));
                    for (int t = 0; t < k; t++) AddToPool(top[t], n);
                    foreach (int j in state.PopularTop(request.Device, request.Country, request.LocalHour, popular)) AddToPool(j, n);
                    break;
                }
                case Source.Popularity or Source.Als or Source.Content:
                    foreach (int j in state.PopularTop(request.Device, request.Country, request.LocalHour, popular)) AddToPool(j, n);
                    break;
                case Source.Trending:
                    foreach (int j in state.Trending.Top(TrendingPool)) AddToPool(j, n);
                    break;
                case Source.Cart:
                    foreach (int j in Person.Cart) AddToPool(j, n);
                    break;
                case Source.New:
                {
                    var published = state.Catalog.Columns.PublishedMs;
                    long now = request.Context.Now.ToUnixTimeMilliseconds();
                    long window = (long)(ctx.Options.NewArrivalDays * 86_400_000);
                    foreach (int j in state.Newest(NewestPool))
                    {
                        if (now - published[j] > window) break; // newest first: the rest are older still
                        AddToPool(j, n);
                    }
                    break;
                }
                case Source.Sequence:
                {
                    var scored = Score(state, ctx, request, Source.Sequence, n, out int m);
                    if (scored is null || m == 0) break;
                    Span<int> top = stackalloc int[SequencePool];
                    int k = Attune.Algorithms.Scoring.TopK.Select(scored.AsSpan(0, m), SequencePool, top);
                    for (int t = 0; t < k; t++) AddToPool(top[t], n);
                    _sequenceReady = true;
                    break;
                }
            }
        }
        // Items added since training: only content knows them yet.
        if (scenario.Uses(Source.Content) || scenario.Uses(Source.New))
        {
            for (int j = n - 1, added = 0; j >= state.Catalog.BundleItems && added < NewItemsPool; j--, added++) AddToPool(j, n);
        }
        foreach (int j in _anchors) AddToPool(j, n);
    }

    private bool _sequenceReady;

    /// <summary>One source's scores at the pool's items only (entries elsewhere are stale and never read).</summary>
    private float[]? ScoreScope(ServingState state, ServingContext ctx, RecommendationRequest request, Source source, int n,
        ReadOnlySpan<int> scope, out int m)
    {
        var bundle = state.Bundle;
        var person = Person;
        var buffer = _buffers[(int)source];
        m = 0;
        switch (source)
        {
            case Source.Als:
            {
                if (bundle.Als is not { } als || !person.Personalized || person.History.Count == 0 || als.Items > n) return null;
                Span<float> user = stackalloc float[als.Rank];
                bool stored = person.BundleUser >= 0 && !person.HasLive && person.BundleUser < als.Users;
                if (stored) als.UserVector(person.BundleUser).CopyTo(user);
                else als.InferUserVector(CollectionsMarshal.AsSpan(person.History), user);
                foreach (int j in scope)
                    buffer[j] = j < als.Items ? Math.Max(0f, System.Numerics.Tensors.TensorPrimitives.Dot(user, als.ItemVector(j))) : 0f;
                m = n;
                return buffer;
            }
            case Source.Viewed:
            case Source.Bought:
            {
                var model = source == Source.Viewed ? bundle.ViewedTogether : bundle.BoughtTogether;
                if (model is null || _anchors.Count == 0) return null;
                foreach (int j in scope) buffer[j] = 0;
                float w = 1f;
                for (int h = _anchors.Count - 1; h >= 0; h--, w *= model.HistoryDecay)
                {
                    int a = _anchors[h];
                    if ((uint)a >= (uint)model.Items) continue;
                    var (ids, sims) = model.Neighbours(a);
                    var idSpan = ids.Span;
                    var simSpan = sims.Span;
                    for (int p = 0; p < idSpan.Length; p++) if (idSpan[p] < n) buffer[idSpan[p]] += w * simSpan[p];
                }
                m = n;
                return buffer;
            }
            case Source.Sequence:
            {
                if (!_sequenceReady) return null;
                _sequenceReady = false;
                m = Math.Min(bundle.Sequence!.Items, n);
                return buffer; // scored whole while the pool was built (clipped at 0)
            }
            case Source.Content:
            {
                var content = state.Content;
                if (content is null || _anchors.Count == 0) return null;
                var anchors = CollectionsMarshal.AsSpan(_anchors);
                if (anchors.Length > ContentAnchors) anchors = anchors[^ContentAnchors..];
                foreach (int j in scope) buffer[j] = 0;
                content.ScoreItems(anchors, scope, buffer);
                m = n;
                return buffer;
            }
            case Source.Cart:
            {
                if (!person.Personalized || person.Cart.Count == 0) return null;
                foreach (int j in scope) buffer[j] = 0;
                FillCart(buffer, n);
                m = n;
                return buffer;
            }
            case Source.New:
            {
                var published = state.Catalog.Columns.PublishedMs;
                long now = request.Context.Now.ToUnixTimeMilliseconds();
                double window = ctx.Options.NewArrivalDays * 86_400_000;
                foreach (int j in scope) buffer[j] = Freshness(published[j], now, window);
                m = n;
                return buffer;
            }
            default:
                // Popularity and trending are shared arrays: read where needed.
                return Score(state, ctx, request, source, n, out m);
        }
    }

    /// <summary>The sources that contributed most to item <paramref name="j"/>'s score: the first, and the second when it gave at least half as much.</summary>
    internal (byte First, byte Second) TopSources(int j)
    {
        byte first = NoSource, second = NoSource;
        float best = 0, next = 0;
        for (int s = 0; s < SourceCount; s++)
        {
            if (_scored[s] is not { } values || j >= _scoredLength[s]) continue;
            float c = values[j] * _scale[s];
            if (!(c > 0)) continue;
            if (c > best) { next = best; second = first; best = c; first = (byte)s; }
            else if (c > next) { next = c; second = (byte)s; }
        }
        if (first == NoSource && _pins.Contains(j)) first = (byte)Source.Popularity;
        return (first, next >= 0.5f * best ? second : NoSource);
    }

    private readonly HashSet<int> _pins = [];
    internal IReadOnlyList<int> Anchors => _anchors;

    /// <summary>
    /// One source's scores, each ≥ 0: the source's own buffer, or an array precomputed for everyone (popularity, trending; not
    /// to be written). <paramref name="m"/> is how many leading items it covers (0 = nothing to say).
    /// </summary>
    private float[]? Score(ServingState state, ServingContext ctx, RecommendationRequest request, Source source, int n, out int m)
    {
        var bundle = state.Bundle;
        var person = Person;
        var buffer = _buffers[(int)source];
        m = 0;
        switch (source)
        {
            case Source.Als:
            {
                if (bundle.Als is not { } als || !person.Personalized || person.History.Count == 0 || als.Items > n) return null;
                bool stored = person.BundleUser >= 0 && !person.HasLive && person.BundleUser < als.Users;
                var history = CollectionsMarshal.AsSpan(person.History);
                als.Score(stored ? person.BundleUser : -1, history, buffer.AsSpan(0, als.Items));
                return Clipped(buffer, m = als.Items);
            }
            case Source.Viewed:
            case Source.Bought:
            {
                var model = source == Source.Viewed ? bundle.ViewedTogether : bundle.BoughtTogether;
                if (model is null || _anchors.Count == 0 || model.Items > n) return null;
                model.Score(-1, CollectionsMarshal.AsSpan(_anchors), buffer.AsSpan(0, model.Items));
                m = model.Items;
                return buffer;
            }
            case Source.Sequence:
            {
                // The sequence model follows the current session: what happened since the model was trained. A returning
                // person's older history is the matrix factorization's job (and costs this model's neighbour search for nothing).
                if (bundle.Sequence is not { } seq || !person.Personalized || !person.HasLive || seq.Items > n) return null;
                var history = CollectionsMarshal.AsSpan(person.History);
                if (history.Length > SequenceHistory) history = history[^SequenceHistory..];
                seq.Score(person.BundleUser, history, buffer.AsSpan(0, seq.Items));
                return Clipped(buffer, m = seq.Items);
            }
            case Source.Content:
            {
                var content = state.Content;
                if (content is null || _anchors.Count == 0 || content.Items > n) return null;
                // The newest anchors carry the profile (the model decays older ones); more only costs time.
                var anchors = CollectionsMarshal.AsSpan(_anchors);
                if (anchors.Length > ContentAnchors) anchors = anchors[^ContentAnchors..];
                content.Score(-1, anchors, buffer.AsSpan(0, content.Items));
                m = content.Items;
                return buffer;
            }
            case Source.Popularity:
            {
                var popularity = state.PopularityFor(request.Device, request.Country, request.LocalHour);
                m = Math.Min(popularity.Length, n);
                return popularity;
            }
            case Source.Trending:
            {
                var trending = state.Trending.Positive;
                m = Math.Min(trending.Length, n);
                return trending;
            }
            case Source.New:
            {
                var published = state.Catalog.Columns.PublishedMs;
                long now = request.Context.Now.ToUnixTimeMilliseconds();
                double window = ctx.Options.NewArrivalDays * 86_400_000;
                for (int j = 0; j < n; j++) buffer[j] = Freshness(published[j], now, window);
                m = n;
                return buffer;
            }
            case Source.Cart:
            {
                if (!person.Personalized || person.Cart.Count == 0) return null;
                buffer.AsSpan(0, n).Clear();
                FillCart(buffer, n);
                m = n;
                return buffer;
            }
        }
        return null;
    }

    /// <summary>Most recent history items the sequence model reads (it looks at fewer itself).</summary>
    private const int SequenceHistory = 20;
    /// <summary>Newest anchors the content profile is built from.</summary>
    private const int ContentAnchors = 5;

    /// <summary>New-arrival score: 1 when just published, halving every quarter of the window, 0 outside it or unknown.</summary>
    private static float Freshness(long publishedMs, long nowMs, double windowMs)
    {
        long age = nowMs - publishedMs;
        return publishedMs > 0 && age >= -86_400_000 && age <= windowMs ? (float)Math.Pow(0.5, Math.Max(age, 0) / (windowMs / 4)) : 0f;
    }

    /// <summary>Marks the open cart in <paramref name="buffer"/>, the latest added highest.</summary>
    private void FillCart(float[] buffer, int n)
    {
        var cart = Person.Cart;
        for (int k = 0; k < cart.Count; k++)
        {
            if (cart[k] < n) buffer[cart[k]] = 1f + 0.01f * k;
        }
    }

    private static float[] Clipped(float[] buffer, int m)
    {
        System.Numerics.Tensors.TensorPrimitives.Max(buffer.AsSpan(0, m), 0f, buffer.AsSpan(0, m));
        return buffer;
    }

    /// <summary>Keeps the <paramref name="pool"/> best finite scores whose items pass the filter in <c>_candidates</c>, best first.</summary>
    private void SelectTop(Span<float> blend, ReadOnlySpan<int> scope, CatalogColumns columns, ItemFilter? filter, FilterContext context, int pool)
    {
        _candidates.Clear();
        if (pool <= 0) return;
        if (_heapScores.Length < pool)
        {
            _heapScores = new float[pool];
            _heapItems = new int[pool];
        }
        var hs = _heapScores.AsSpan(0, pool);
        var hi = _heapItems.AsSpan(0, pool);
        int size = 0;
        var items = columns.Items;
        foreach (int j in scope)
        {
            float s = blend[j];
            if (s == float.NegativeInfinity) continue;
            if (size == pool && !(s > hs[0])) continue;
            // The filter runs only for items that would enter the heap.
            if (filter is not null && (items[j] is not { } item || !filter.Matches(item, context))) continue;
            if (size < pool) Push(hs, hi, ref size, s, j);
            else SiftDown(hs, hi, size, s, j);
        }
        for (int k = 0; k < size; k++) _candidates.Add((hi[k], hs[k]));
        _candidates.Sort(static (a, b) => b.Score != a.Score ? b.Score.CompareTo(a.Score) : a.Item.CompareTo(b.Item));
    }

    private static void Push(Span<float> s, Span<int> items, ref int size, float score, int item)
    {
        int c = size++;
        while (c > 0)
        {
            int p = (c - 1) >> 1;
            if (!(score < s[p])) break;
            s[c] = s[p];
            items[c] = items[p];
            c = p;
        }
        s[c] = score;
        items[c] = item;
    }

    private static void SiftDown(Span<float> s, Span<int> items, int size, float score, int item)
    {
        int c = 0;
        while (true)
        {
            int l = 2 * c + 1;
            if (l >= size) break;
            int r = l + 1;
            int m = r < size && s[r] < s[l] ? r : l;
            if (!(s[m] < score)) break;
            s[c] = s[m];
            items[c] = items[m];
            c = m;
        }
        s[c] = score;
        items[c] = item;
    }

    /// <summary>
    /// Greedy MMR over the candidates with caps per category and brand: each pick maximises
    /// <c>(1 − λ)·relevance − λ·(similarity to the most similar item already picked)</c>, where items of the same category are
    /// similar 1, of the same department 0.5, plus 0.3 for the same brand. Caps are soft: when too few items satisfy them, the
    /// best of the rest fill the list so it still has <paramref name="count"/> items.
    /// </summary>
    private void Diversify(CatalogColumns columns, ScenarioOptions scenario, int count, int names)
    {
        _chosen.Clear();
        int c = _candidates.Count;
        if (c == 0) return;
        float top = Math.Max(_candidates[0].Score, 1e-9f);
        float lambda = (float)Math.Clamp(scenario.Diversity, 0, 1);
        int maxCategory = Math.Max(1, (int)Math.Ceiling(scenario.MaxCategoryShare * count));
        int maxBrand = Math.Max(1, (int)Math.Ceiling(scenario.MaxBrandShare * count));
        // Per name id: how many picked items have it (names added while this runs have no slot: uncapped).
        if (_categoryCount.Length < names)
        {
            _categoryCount = new int[names * 2];
            _brandCount = new int[names * 2];
        }
        var categoryCount = _categoryCount.AsSpan(0, names);
        var brandCount = _brandCount.AsSpan(0, names);
        categoryCount.Clear();
        brandCount.Clear();
        if (_maxSim.Length < c) _maxSim = new float[Math.Max(c, 64)];
        var maxSim = _maxSim.AsSpan(0, c);
        maxSim.Clear();
        Span<bool> taken = c <= 2048 ? stackalloc bool[c] : new bool[c];
        var category = columns.Category;
        var department = columns.Department;
        var brand = columns.Brand;
        while (_chosen.Count < count)
        {
            int pick = -1;
            float bestValue = float.NegativeInfinity;
            for (int k = 0; k < c; k++)
            {
                if (taken[k]) continue;
                int j = _candidates[k].Item;
                int cj = category[j], bj = brand[j];
                if (cj != 0 && (uint)cj < (uint)names && categoryCount[cj] >= maxCategory) continue;
                if (bj != 0 && (uint)bj < (uint)names && brandCount[bj] >= maxBrand) continue;
                float relevance = Math.Max(_candidates[k].Score, 0) / top;
                float value = (1 - lambda) * relevance - lambda * maxSim[k];
                if (value > bestValue)
                {
                    bestValue = value;
                    pick = k;
                }
            }
            if (pick < 0) break;
            taken[pick] = true;
            int p = _candidates[pick].Item;
            _chosen.Add(p);
            if ((uint)category[p] < (uint)names) categoryCount[category[p]]++;
            if ((uint)brand[p] < (uint)names) brandCount[brand[p]]++;
            for (int k = 0; k < c; k++)
            {
                if (taken[k]) continue;
                int j = _candidates[k].Item;
                float sim = category[j] != 0 && category[j] == category[p] ? 1f : department[j] != 0 && department[j] == department[p] ? 0.5f : 0f;
                if (brand[j] != 0 && brand[j] == brand[p]) sim = Math.Min(1f, sim + 0.3f);
                if (sim > maxSim[k]) maxSim[k] = sim;
            }
        }
        // Soft caps: fill from the best of the rest.
        for (int k = 0; k < c && _chosen.Count < count; k++)
        {
            if (!taken[k]) _chosen.Add(_candidates[k].Item);
        }
    }

    private void ApplyPins(ServingState state, string scenarioName, RecommendationRequest request, Span<float> blend, int count)
    {
        foreach (var rule in state.Rules.Compiled)
        {
            if (rule.Rule.Action != RuleAction.Pin || !rule.AppliesTo(scenarioName)) continue;
            int i = state.Catalog.IndexOf(rule.Rule.ItemId!);
            // A pin obeys everything a recommendation must: guardrails, exclusions, the request's filter.
            if (i < 0 || i >= blend.Length || blend[i] == float.NegativeInfinity) continue;
            if (request.Filter is not null && (state.Catalog.Columns.Items[i] is not { } item || !request.Filter.Matches(item, request.Context))) continue;
            _chosen.Remove(i);
            _chosen.Insert(Math.Min(rule.Rule.Position!.Value - 1, _chosen.Count), i);
            _pins.Add(i);
        }
        if (_chosen.Count > count) _chosen.RemoveRange(count, _chosen.Count - count);
    }
}
