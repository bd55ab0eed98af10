using Attune.Model;

#pragma warning disable CA1051 // read on the hot path of every source: fields, not properties
using Attune.Serving.Live;

namespace Attune.Serving.Pipeline;

/// <summary>
/// One person as a request sees them, in the serving index space: their history (trained, then live), purchases, open cart
/// and recent impressions. Built from the active bundle and the live state at the start of each request; buffers are reused
/// across requests on the same thread.
/// </summary>
public sealed class PersonView
{
    public string? Id;
    public bool Anonymous;
    public bool Personalized;
    /// <summary>Training index in the bundle, or -1.</summary>
    public int BundleUser = -1;
    /// <summary>Live events (received after the bundle's snapshot) exist.</summary>
    public bool HasLive;
    /// <summary>Positive items in time order (trained history, then live), serving indexes.</summary>
    public readonly List<int> History = new(256);
    /// <summary>The newest distinct items, newest first (at most <see cref="MaxRecent"/>).</summary>
    public readonly List<int> Recent = new(MaxRecent);
    public int LastViewed = -1;
    public readonly HashSet<int> Purchased = [];
    public readonly List<int> Cart = [];
    public readonly Dictionary<int, Shown> Impressions = [];
    public readonly HashSet<int> Brands = [];
    private readonly LiveEvent[] _live = new LiveEvent[LivePerson.Capacity];
    private readonly HashSet<int> _seen = [];

    public const int MaxRecent = 20;
    public const int MaxHistory = 500;

    public struct Shown
    {
        public int Count;
        public long First, Last, Engaged;
    }

    internal void Clear()
    {
        Id = null;
        Anonymous = false;
        Personalized = false;
        BundleUser = -1;
        HasLive = false;
        History.Clear();
        Recent.Clear();
        LastViewed = -1;
        Purchased.Clear();
        Cart.Clear();
        Impressions.Clear();
        Brands.Clear();
    }

    internal void Load(ServingState state, LiveProfiles live, string id, bool anonymous, bool personalized, long windowStartMs)
    {
        Clear();
        Id = id;
        Anonymous = anonymous;
        Personalized = personalized;
        if (!personalized) return;
        var bundle = state.Bundle;
        var catalog = state.Catalog;
        var closedCart = new HashSet<int>();
        if (!live.IsForgotten(id))
        {
            BundleUser = bundle.IndexOfUser(id);
            AddTrained(bundle, BundleUser, windowStartMs);
            foreach (string anonymousId in live.AnonymousIdsOf(id)) AddTrained(bundle, bundle.IndexOfUser(anonymousId), windowStartMs);
        }
        if (live.Get(id) is { } person)
        {
            int n = person.CopyTo(_live, state.SnapshotMs);
            HasLive = n > 0;
            for (int k = 0; k < n; k++)
            {
                var e = _live[k];
                int item = catalog.IndexOf(e.ItemId);
                if (item < 0) continue;
                switch (e.Type)
                {
                    case (int)EventType.Impression:
                        if (e.TimeMs >= windowStartMs)
                        {
                            ref var s = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(Impressions, item, out bool existed);
                            s.Count++;
                            s.First = existed ? Math.Min(s.First, e.TimeMs) : e.TimeMs;
                            s.Last = Math.Max(s.Last, e.TimeMs);
                        }
                        continue;
                    case (int)EventType.Purchase:
                        Purchased.Add(item);
                        Cart.Remove(item);
                        closedCart.Add(item);
                        break;
                    case (int)EventType.AddToCart:
                        if (!Cart.Contains(item)) Cart.Add(item);
                        closedCart.Remove(item);
                        break;
                    case (int)EventType.RemoveFromCart:
                        Cart.Remove(item);
                        closedCart.Add(item);
                        continue;
                }
                if (EventTypes.DefaultWeight(e.Type) <= 0) continue;
                History.Add(item);
                if (e.Type == (int)EventType.View) LastViewed = item;
                if (Impressions.TryGetValue(item, out var shown))
                {
                    shown.Engaged = Math.Max(shown.Engaged, e.TimeMs);
                    Impressions[item] = shown;
                }
            }
        }
        if (closedCart.Count > 0) Cart.RemoveAll(closedCart.Contains);
        if (LastViewed < 0 && History.Count > 0) LastViewed = History[^1];
        if (History.Count > MaxHistory) History.RemoveRange(0, History.Count - MaxHistory);
        _seen.Clear();
        var brands = catalog.Columns.Brand;
        for (int h = History.Count - 1; h >= 0 && Recent.Count < MaxRecent; h--)
        {
            int item = History[h];
            if (_seen.Add(item))
            {
                Recent.Add(item);
                if ((uint)item < (uint)brands.Length && brands[item] != 0) Brands.Add(brands[item]);
            }
        }
    }

    private void AddTrained(Models.ModelBundle bundle, int user, long windowStartMs)
    {
        if (user < 0) return;
        foreach (int item in bundle.Histories.Row(user)) History.Add(item);
        foreach (int item in bundle.Purchases.Row(user)) Purchased.Add(item);
        foreach (int item in bundle.OpenCarts.Row(user)) if (!Cart.Contains(item)) Cart.Add(item);
        var imp = bundle.Impressions;
        if ((uint)user < (uint)imp.Users)
        {
            for (int p = imp.Start[user]; p < imp.Start[user + 1]; p++)
            {
                if (imp.LastShownMs[p] < windowStartMs) continue;
                ref var s = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(Impressions, imp.Items[p], out bool existed);
                s.Count += imp.Counts[p];
                s.First = existed ? Math.Min(s.First, imp.FirstShownMs[p]) : imp.FirstShownMs[p];
                s.Last = Math.Max(s.Last, imp.LastShownMs[p]);
                s.Engaged = Math.Max(s.Engaged, imp.LastEngagedMs[p]);
            }
        }
    }
}
