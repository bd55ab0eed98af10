using System.Globalization;
using Attune.Model;

namespace Attune.Demo;

/// <summary>
/// Simulates the behaviour of one person at a time into a reused buffer. All per-user state lives in fields and
/// fixed arrays, so the only allocations per event are the <see cref="Event"/> itself and, per session, its id.
/// </summary>
internal sealed class DemoSimulator
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

    // ---- activities -------------------------------------------------------------------------------------------------

    private void Email(int campaign, long ms)
    {
        var sim = _sim!;
        StartAt(ms);
        _anonymousSession = false;
        _sessionId = null;
        _channel = "email";
        _context = _shop.CampaignContexts[campaign];
        Emit(TypeEmailOpen, -1, null, null);
        if (!_rng.Chance(sim.EmailClick)) return;
        Advance(10 * Second, 5 * Minute);
        int item = TasteItem();
        if (item < 0) return;
        Emit(TypeEmailClick, item, null, null);
        Session(_t + 2 * Second, anonymous: false, link: false, landing: item);
    }

    private void Session(long ms, bool anonymous, bool link, int landing)
    {
        StartAt(ms);
        _sessionCount++;
        _sessionId = string.Concat("s-", _personId, "-",
            _sessionCount < _sessionNumbers.Length ? _sessionNumbers[_sessionCount] : _sessionCount.ToString(CultureInfo.InvariantCulture));
        int preferred = _guest ? _rng.Next(DemoCatalog.Devices.Length) : _sim!.Device;
        int device = _rng.Chance(0.85) ? preferred : _rng.Next(DemoCatalog.Devices.Length);
        _channel = device switch
        {
            0 => _rng.Chance(0.75) ? "app" : "web",
            2 => _rng.Chance(0.35) ? "app" : "web",
            _ => "web",
        };
        int city = _guest ? _rng.Next(DemoCatalog.Cities.Length) : _sim!.City;
        _context = _shop.Contexts[device * DemoCatalog.Cities.Length + city];
        _anonymousSession = anonymous;
        if (link) _linkAnonymousId = _anonymousId;
        _cartCount = 0;

        if (landing >= 0)
        {
            View(landing, boosted: false);
        }
        else
        {
            if (!_guest && !anonymous) AfterPurchases();
            if (_rng.Chance(0.35)) Impressions();
            if (!_guest) Intentions();
            if (_rng.Chance(0.25)) Search();
        }
        int browse = landing >= 0 ? _rng.Between(0, 4) : 2 + Math.Min(8, (int)_rng.Exponential(2.5));
        for (int i = 0; i < browse && !_stopped; i++)
        {
            int item = _guest
                ? (_rng.Chance(0.6) ? SampleInLeaf(_guestLeaf) : PopularItem())
                : (_rng.Chance(0.8) ? TasteItem() : PopularItem());
            if (item >= 0) View(item, boosted: false);
        }
        Checkout();
    }

    /// <summary>Ratings and refunds of earlier purchases that are due.</summary>
    private void AfterPurchases()
    {
        for (int p = 0; p < _pendingCount; p++)
        {
            ref var pending = ref _pending[p];
            if (pending.Kind is not (PendingRating or PendingRefund) || pending.From > _t) continue;
            if (pending.Kind == PendingRating)
            {
                Emit(TypeRating, pending.Target, pending.Value, null);
            }
            else
            {
                string channel = _channel;
                if (_rng.Chance(0.3)) _channel = "support";
                Emit(TypeRefund, pending.Target, pending.Value, null);
                _channel = channel;
            }
            Advance(5 * Second, 40 * Second);
            RemovePending(p--);
        }
    }

    /// <summary>Consumables due for re-buying and categories that complement recent purchases.</summary>
    private void Intentions()
    {
        for (int p = 0; p < _pendingCount && !_stopped; p++)
        {
            ref var pending = ref _pending[p];
            if (pending.Kind is not (PendingRebuy or PendingComplement) || pending.From > _t) continue;
            if (pending.Until < _t)
            {
                RemovePending(p--);
                continue;
            }
            if (pending.Kind == PendingRebuy)
            {
                if (!_rng.Chance(0.7)) continue;
                int item = pending.Target;
                RemovePending(p--);
                if (item >= 0) View(item, boosted: true, rebuy: true);
            }
            else
            {
                if (!_rng.Chance(0.85)) continue;
                int leaf = pending.Target;
                RemovePending(p--);
                int views = _rng.Between(1, 3);
                for (int v = 0; v < views; v++)
                {
                    int item = BestInLeaf(leaf, 3);
                    if (item >= 0) View(item, boosted: true);
                }
            }
        }
    }

    /// <summary>A carousel of items shown; the person may click the one that appeals most.</summary>
    private void Impressions()
    {
        int count = _rng.Between(4, 6);
        int shown = 0;
        for (int i = 0; i < count; i++)
        {
            int item = _guest || _rng.Chance(0.5) ? PopularItem() : TasteItem();
            if (item < 0) continue;
            _shown[shown++] = item;
            Emit(TypeImpression, item, null, null);
            _t += 50;
        }
        if (shown == 0) return;
        int best = _shown[0];
        double bestScore = Relative(best);
        for (int i = 1; i < shown; i++)
        {
            double r = Relative(_shown[i]);
            if (r > bestScore) (best, bestScore) = (_shown[i], r);
        }
        Advance(2 * Second, 20 * Second);
        if (!_rng.Chance(0.15 + 0.4 * bestScore)) return;
        Emit(TypeClick, best, null, null);
        _t += 300;
        View(best, boosted: false);
    }

    /// <summary>A query made of words from a liked category, often followed by views of results.</summary>
    private void Search()
    {
        int leaf = _guest ? _guestLeaf : _sim!.Leaves.Length == 0 ? -1 : _sim.Leaves[_rng.Pick(_sim.LeafCumulative)];
        if (leaf < 0) return;
        var queries = _shop.LeafQueries[leaf];
        Emit(TypeSearch, -1, null, queries[_rng.Next(queries.Length)]);
        Advance(3 * Second, 20 * Second);
        if (_rng.Chance(0.15)) return;
        int views = _rng.Between(1, 4);
        for (int v = 0; v < views && !_stopped; v++)
        {
            int item = BestInLeaf(leaf, 3);
            if (item >= 0) View(item, boosted: false);
        }
    }

    private void View(int item, bool boosted, bool rebuy = false)
    {
        Emit(TypeView, item, null, null);
        Advance(15 * Second, 2 * Minute);
        double rel = Relative(item);
        if (!_guest)
        {
            if (rel > 0.6 && _rng.Chance(0.03))
            {
                Emit(TypeLike, item, null, null);
                Advance(2 * Second, 10 * Second);
            }
            else if (rel < 0.2 && _rng.Chance(0.03))
            {
                Emit(TypeDislike, item, null, null);
                Advance(2 * Second, 10 * Second);
            }
        }
        if (!_shop.ItemInStock[item] || InCart(item)) return;
        double p = rebuy ? 0.9 : boosted ? 0.4 + 0.3 * rel : 0.02 + 0.3 * rel;
        if (_guest) p = 0.04;
        // Durable goods are rarely bought twice.
        else if (!rebuy && _shop.LeafRepurchaseDays[_shop.ItemLeaf[item]] == 0 && Bought(item)) p *= 0.05;
        if (!_rng.Chance(p) || _cartCount == _cart.Length) return;
        Emit(TypeAddToCart, item, null, null);
        Advance(5 * Second, 40 * Second);
        int leaf = _shop.ItemLeaf[item];
        int quantity = _shop.LeafRepurchaseDays[leaf] > 0
            ? (_rng.Chance(0.6) ? 1 : _rng.Chance(0.75) ? 2 : 3)
            : (_rng.Chance(0.95) ? 1 : 2);
        _cart[_cartCount++] = new CartLine(item, quantity, boosted, rebuy);
    }

    private bool Bought(int item)
    {
        for (int i = 0; i < _boughtCount; i++)
            if (_bought[i] == item) return true;
        return false;
    }

    private bool InCart(int item)
    {
        for (int i = 0; i < _cartCount; i++)
            if (_cart[i].Item == item) return true;
        return false;
    }

    /// <summary>Buys some of the cart; removes some of the rest; what is left is an abandoned cart.</summary>
    private void Checkout()
    {
        if (_cartCount == 0 || _stopped) return;
        Span<bool> buy = stackalloc bool[_cartCount];
        for (int i = 0; i < _cartCount; i++)
        {
            var line = _cart[i];
            double rel = Relative(line.Item);
            double p = _guest ? 0.25 : line.Rebuy ? 0.85 : line.Boosted ? 0.55 + 0.3 * rel : 0.15 + 0.4 * rel;
            buy[i] = _rng.Chance(p);
        }
        for (int i = 0; i < _cartCount; i++)
        {
            if (buy[i] || !_rng.Chance(0.3)) continue;
            Advance(5 * Second, 30 * Second);
            Emit(TypeRemoveFromCart, _cart[i].Item, null, null);
        }
        for (int i = 0; i < _cartCount; i++)
        {
            if (!buy[i]) continue;
            var line = _cart[i];
            Advance(20 * Second, 2 * Minute);
            double value = Math.Round(_shop.ItemPrice[line.Item] * line.Quantity, 2);
            Emit(TypePurchase, line.Item, value, null);
            if (!_guest && !_stopped) AfterPurchase(line.Item, value);
        }
        _cartCount = 0;
    }

    /// <summary>Schedules what a purchase leads to: a rating, maybe a refund, a re-buy, complementary needs.</summary>
    private void AfterPurchase(int item, double value)
    {
        double rel = Relative(item);
        int leaf = _shop.ItemLeaf[item];
        if (_boughtCount < _bought.Length && !Bought(item)) _bought[_boughtCount++] = item;
        bool refund = _rng.Chance(0.01 + 0.06 * (1 - rel));
        if (refund) AddPending(new Pending(PendingRefund, item, _t + _rng.UniformLong(2 * Day, 14 * Day), long.MaxValue, value));
        if (_rng.Chance(0.2))
        {
            double stars = refund ? _rng.Between(1, 2) : Math.Clamp(Math.Round(1 + 4 * (rel + 0.15 * _rng.NextNormal())), 1, 5);
            AddPending(new Pending(PendingRating, item, _t + _rng.UniformLong(2 * Day, 20 * Day), long.MaxValue, stars));
        }
        int days = _shop.LeafRepurchaseDays[leaf];
        if (days > 0 && !refund && _rng.Chance(0.7))
        {
            long due = _t + (long)(days * _rng.Uniform(0.7, 1.3) * Day);
            AddPending(new Pending(PendingRebuy, item, due, due + 30 * Day, 0));
        }
        var complements = _shop.LeafComplements[leaf];
        if (complements.Length > 0 && _rng.Chance(0.8))
        {
            long until = _t + _rng.UniformLong(3 * Day, 14 * Day);
            foreach (int target in complements)
            {
                if (_rng.Chance(0.7)) AddPending(new Pending(PendingComplement, target, _t + 6 * Hour, until, 0));
            }
            // The need brings people back: often a visit within days just for the complement.
            if (_rng.Chance(0.6)) AddFollowUpSession(_t + _rng.UniformLong(Day, Math.Max(Day + 1, until - _t)));
        }
    }

    /// <summary>Inserts a session later on in the person's (sorted) activities.</summary>
    private void AddFollowUpSession(long ms)
    {
        if (_sim is null || ms >= _lastStart) return;
        ms -= ms % Second;
        AddActivity(new Activity(ms, KindSession, 0));
        // Sift the new activity back to its place among those not yet run.
        for (int i = _activityCount - 1; i > _activityIndex + 1 && _activities[i].CompareTo(_activities[i - 1]) < 0; i--)
            (_activities[i], _activities[i - 1]) = (_activities[i - 1], _activities[i]);
    }

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
