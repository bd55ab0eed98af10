using System.Globalization;
using Attune.Model;

namespace Attune.Demo;

/// <summary>The simulated person's activities: sessions, emails, carts, purchases and what follows them.</summary>
internal sealed partial class DemoSimulator
{
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
}
