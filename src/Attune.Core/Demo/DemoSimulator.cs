using System.Globalization;
using Attune.Model;

namespace Attune.Demo;

/// <summary>
/// Simulates the behaviour of one person at a time into a reused buffer. All per-user state lives in fields and
/// fixed arrays, so the only allocations per event are the <see cref="Event"/> itself and, per session, its id.
/// </summary>
internal sealed partial class DemoSimulator
{
    private const long Second = DemoShop.Second, Minute = DemoShop.Minute, Hour = DemoShop.Hour, Day = DemoShop.Day;

    private const string TypeView = "view", TypeClick = "click", TypeAddToCart = "add_to_cart", TypeRemoveFromCart = "remove_from_cart",
        TypePurchase = "purchase", TypeRefund = "refund", TypeSearch = "search", TypeRating = "rating", TypeLike = "like",
        TypeDislike = "dislike", TypeImpression = "impression", TypeEmailOpen = "email_open", TypeEmailClick = "email_click";

    private const int KindSession = 0, KindEmail = 1;
    private const int PendingRating = 0, PendingRefund = 1, PendingRebuy = 2, PendingComplement = 3;

    private readonly DemoShop _shop;
    private readonly List<Event> _events = new(1024);
    private readonly string[] _sessionNumbers = new string[64];
    private DemoRandom _rng;

    // The current person's taste, dense by leaf, department and brand.
    private readonly double[] _leafAffinity;
    private readonly double[] _deptAffinity;
    private readonly double[] _brandAffinity;
    private DemoShop.UserSim? _sim;
    private double _sensitivity;
    private double _maxScore = 1;
    private bool _guest;
    private int _guestLeaf;

    // The current session.
    private string _personId = "";
    private string? _userId;
    private string? _anonymousId;
    private bool _anonymousSession;
    private string? _linkAnonymousId;
    private string? _sessionId;
    private string _channel = "web";
    private string? _context;
    private long _t;
    private bool _stopped;
    private int _sessionCount;

    private Activity[] _activities = new Activity[64];
    private int _activityCount;
    private readonly CartLine[] _cart = new CartLine[24];
    private int _cartCount;
    private readonly Pending[] _pending = new Pending[48];
    private int _pendingCount;
    private readonly int[] _shown = new int[8];
    private readonly int[] _bought = new int[64];
    private int _boughtCount;
    private int _activityIndex;
    private long _lastStart;

    public DemoSimulator(DemoShop shop)
    {
        _shop = shop;
        _leafAffinity = new double[shop.LeafCount];
        _deptAffinity = new double[DemoCatalog.Departments.Length];
        _brandAffinity = new double[DemoCatalog.Brands.Length];
        for (int i = 0; i < _sessionNumbers.Length; i++) _sessionNumbers[i] = i.ToString(CultureInfo.InvariantCulture);
    }

    // ---- people -----------------------------------------------------------------------------------------------------

    /// <summary>All events of user <paramref name="u"/>, in time order. The list is reused by the next call.</summary>
    public List<Event> SimulateUser(int u)
    {
        var sim = _shop.Sims[u];
        _events.Clear();
        _rng = DemoRandom.For(_shop.Options.Seed, DemoShop.StreamBehaviour, u);
        LoadTaste(sim);
        _guest = false;
        _personId = _shop.UserArray[u].Id;
        _userId = _personId;
        _anonymousId = sim.AnonymousFirst ? sim.AnonymousId : null;
        ResetPerson();

        long end = _shop.EndMs;
        long lastStart = end - 2 * Hour;
        _lastStart = lastStart;
        long activeStart = Math.Max(_shop.StartMs, sim.JoinMs + Minute);
        if (activeStart > lastStart - Hour) activeStart = Math.Max(_shop.StartMs, lastStart - Hour);
        double activeShare = (double)(lastStart - activeStart) / (end - _shop.StartMs);
        double expected = sim.Activity * _shop.Options.Days / 90.0 * activeShare;
        int sessions = (int)expected + (_rng.Chance(expected - Math.Floor(expected)) ? 1 : 0);
        sessions = Math.Clamp(sessions, sim.AnonymousFirst ? 2 : 1, 40 * Math.Max(1, _shop.Options.Days / 7));

        _activityCount = 0;
        for (int i = 0; i < sessions; i++)
            AddActivity(new Activity(SessionStart(activeStart, lastStart), KindSession, 0));
        if (sim.EmailOpen > 0)
        {
            for (int c = 0; c < _shop.CampaignContexts.Length; c++)
            {
                long sent = _shop.CampaignMs(c);
                if (sent < activeStart || !_rng.Chance(sim.EmailOpen)) continue;
                long opened = sent + Math.Min((long)_rng.Exponential(6 * Hour), 72 * Hour);
                opened -= opened % Second;
                if (opened < lastStart) AddActivity(new Activity(opened, KindEmail, c));
            }
        }
        Array.Sort(_activities, 0, _activityCount);

        int sessionsSeen = 0;
        for (int a = 0; a < _activityCount && !_stopped; a++)
        {
            _activityIndex = a;
            var activity = _activities[a];
            if (activity.Kind == KindEmail)
            {
                // Someone who first came anonymously is only mailed once they have an account.
                if (sim.AnonymousFirst && sessionsSeen < 2) continue;
                Email(activity.Arg, activity.Ms);
            }
            else
            {
                sessionsSeen++;
                bool anonymous = sim.AnonymousFirst && sessionsSeen == 1;
                bool link = sim.AnonymousFirst && sessionsSeen == 2;
                Session(activity.Ms, anonymous, link, landing: -1);
            }
        }
        ClearTaste(sim);
        return _events;
    }

    /// <summary>All events of anonymous visitor <paramref name="g"/>, who never identifies.</summary>
    public List<Event> SimulateGuest(int g)
    {
        _events.Clear();
        _rng = DemoRandom.For(_shop.Options.Seed, DemoShop.StreamGuests, g);
        _guest = true;
        _sim = null;
        _personId = "a-guest-" + (g + 1).ToString("D5", CultureInfo.InvariantCulture);
        _userId = null;
        _anonymousId = _personId;
        _guestLeaf = _shop.LeafCumulative.Length > 0 ? _rng.Pick(_shop.LeafCumulative) : 0;
        ResetPerson();
        long lastStart = _shop.EndMs - 2 * Hour;
        int sessions = _rng.Chance(0.6) ? 1 : _rng.Between(2, 3);
        _activityCount = 0;
        for (int i = 0; i < sessions; i++)
        {
            long ms = _rng.UniformLong(_shop.StartMs, lastStart);
            AddActivity(new Activity(ms - ms % Second, KindSession, 0));
        }
        Array.Sort(_activities, 0, _activityCount);
        for (int a = 0; a < _activityCount && !_stopped; a++) Session(_activities[a].Ms, anonymous: true, link: false, landing: -1);
        return _events;
    }

    private void ResetPerson()
    {
        _t = 0;
        _stopped = false;
        _sessionCount = 0;
        _cartCount = 0;
        _pendingCount = 0;
        _boughtCount = 0;
        _linkAnonymousId = null;
    }

    private void LoadTaste(DemoShop.UserSim sim)
    {
        _sim = sim;
        _sensitivity = sim.Sensitivity;
        for (int k = 0; k < sim.Leaves.Length; k++)
        {
            _leafAffinity[sim.Leaves[k]] += sim.LeafWeights[k];
            _deptAffinity[_shop.LeafDept[sim.Leaves[k]]] += sim.LeafWeights[k];
        }
        double maxBrand = 0;
        for (int k = 0; k < sim.Brands.Length; k++)
        {
            _brandAffinity[sim.Brands[k]] = sim.BrandWeights[k];
            maxBrand = Math.Max(maxBrand, sim.BrandWeights[k]);
        }
        double best = 0;
        for (int k = 0; k < sim.Leaves.Length; k++)
        {
            int leaf = sim.Leaves[k];
            best = Math.Max(best, _leafAffinity[leaf] + DemoTruth.DepartmentWeight * _deptAffinity[_shop.LeafDept[leaf]]);
        }
        _maxScore = DemoTruth.Combine(best, maxBrand, 1.0);
    }

    private void ClearTaste(DemoShop.UserSim sim)
    {
        foreach (int leaf in sim.Leaves)
        {
            _leafAffinity[leaf] = 0;
            _deptAffinity[_shop.LeafDept[leaf]] = 0;
        }
        foreach (int b in sim.Brands) _brandAffinity[b] = 0;
    }

    /// <summary>The hidden score of an item for the current person (the same formula as <see cref="DemoTruth.Score(DemoTaste, Item)"/>).</summary>
    private double Score(int item)
    {
        int leaf = _shop.ItemLeaf[item];
        double category = _leafAffinity[leaf] + DemoTruth.DepartmentWeight * _deptAffinity[_shop.LeafDept[leaf]];
        double fit = DemoTruth.PriceFit(_shop.ItemLogPriceRatio[item], _sensitivity);
        return DemoTruth.Combine(category, _brandAffinity[_shop.ItemBrand[item]], fit);
    }

    /// <summary>How much the person likes an item, 0–1, relative to the best they could find.</summary>
    private double Relative(int item) => _guest ? 0.15 : Math.Min(1.0, Score(item) / _maxScore);

    // ---- time -------------------------------------------------------------------------------------------------------

    private long SessionStart(long activeStart, long lastStart)
    {
        var sim = _sim!;
        for (int tries = 0; tries < 6; tries++)
        {
            long day = _shop.StartMs + _rng.Next(_shop.Options.Days) * Day;
            double h = _rng.Chance(0.75) ? sim.Hour + 0.5 + 1.5 * _rng.NextNormal() : _rng.Uniform(0, 24);
            h = (h % 24 + 24) % 24;
            long ms = day + (long)(h * Hour);
            ms -= ms % Second;
            if (ms >= activeStart && ms < lastStart) return ms;
        }
        long any = _rng.UniformLong(activeStart, lastStart);
        return any - any % Second;
    }

    private void StartAt(long ms) => _t = Math.Max(ms, _t + Minute);

    private void Advance(long minMs, long maxMs) => _t += _rng.UniformLong(minMs, maxMs);

    // ---- choosing items ---------------------------------------------------------------------------------------------

    /// <summary>An item from a category the person likes, the best-fitting of a few popular ones; -1 when none is out yet.</summary>
    private int TasteItem()
    {
        var sim = _sim!;
        if (sim.Leaves.Length == 0) return PopularItem();
        return BestInLeaf(sim.Leaves[_rng.Pick(sim.LeafCumulative)], 3);
    }

    /// <summary>Of <paramref name="candidates"/> popularity-drawn items of a leaf, the one the person prefers (with some noise).</summary>
    private int BestInLeaf(int leaf, int candidates)
    {
        if (_shop.LeafItems[leaf].Length == 0) return PopularItem();
        int best = -1;
        double bestValue = double.NegativeInfinity;
        for (int c = 0; c < candidates; c++)
        {
            int item = SampleInLeaf(leaf);
            if (item < 0) continue;
            double value = _guest ? _rng.NextDouble() : Score(item) * Math.Exp(0.25 * _rng.NextNormal());
            if (value > bestValue) (best, bestValue) = (item, value);
        }
        return best;
    }

    /// <summary>A popular item from anywhere in the shop.</summary>
    private int PopularItem()
    {
        if (_shop.LeafCumulative.Length == 0 || _shop.LeafCumulative[^1] <= 0) return -1;
        return SampleInLeaf(_rng.Pick(_shop.LeafCumulative));
    }

    /// <summary>A shown item of the leaf by popularity, published by now; -1 when a few draws find none.</summary>
    private int SampleInLeaf(int leaf)
    {
        var items = _shop.LeafItems[leaf];
        if (items.Length == 0) return -1;
        var cumulative = _shop.LeafItemCumulative[leaf];
        for (int tries = 0; tries < 6; tries++)
        {
            int item = items[_rng.Pick(cumulative)];
            if (_shop.ItemPublishedMs[item] <= _t) return item;
        }
        return -1;
    }

    // ---- output -----------------------------------------------------------------------------------------------------

    private void Emit(string type, int item, double? value, string? query)
    {
        if (_stopped) return;
        if (_t >= _shop.EndMs)
        {
            _stopped = true;
            return;
        }
        string? userId = _anonymousSession ? null : _userId;
        string? anonymousId = _anonymousSession ? _anonymousId : _linkAnonymousId;
        _linkAnonymousId = null;
        _events.Add(new Event
        {
            Type = type,
            UserId = userId,
            AnonymousId = anonymousId,
            ItemId = item >= 0 ? _shop.ItemArray[item].Id : null,
            Value = value,
            Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(_t),
            SessionId = _sessionId,
            Channel = _channel,
            ContextJson = _context,
            Query = query,
        });
    }

    private void AddActivity(Activity activity)
    {
        if (_activityCount == _activities.Length) Array.Resize(ref _activities, _activities.Length * 2);
        _activities[_activityCount++] = activity;
    }

    private void AddPending(Pending pending)
    {
        if (_pendingCount < _pending.Length) _pending[_pendingCount++] = pending;
    }

    private void RemovePending(int index)
    {
        // Keep order (older intentions first) so that behaviour does not depend on removal history.
        Array.Copy(_pending, index + 1, _pending, index, _pendingCount - index - 1);
        _pendingCount--;
    }

    private readonly record struct Activity(long Ms, int Kind, int Arg) : IComparable<Activity>
    {
        public int CompareTo(Activity other)
        {
            int c = Ms.CompareTo(other.Ms);
            if (c == 0) c = Kind.CompareTo(other.Kind);
            return c != 0 ? c : Arg.CompareTo(other.Arg);
        }
    }

    private readonly record struct CartLine(int Item, int Quantity, bool Boosted, bool Rebuy);

    private record struct Pending(int Kind, int Target, long From, long Until, double Value);
}
