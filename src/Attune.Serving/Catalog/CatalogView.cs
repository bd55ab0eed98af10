using System.Collections.Concurrent;
using Attune.Model;

namespace Attune.Serving.Catalog;

/// <summary>
/// The catalog in a model bundle's index space: index <c>i</c> is the bundle's item <c>i</c>; items created after training are
/// appended. Holds what serving reads per item on the hot path (the item, its category, department and brand as small
/// integers, publication time, whether it may be shown). Item updates write in place; appends grow the columns; readers take
/// <see cref="Columns"/> once per request and see a consistent prefix.
/// </summary>
public sealed class CatalogView
{
    private readonly ConcurrentDictionary<string, int> _index;
    private readonly Dictionary<string, int> _names = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();
    private volatile CatalogColumns _columns;

    /// <summary>Builds the view for a bundle's item ids from the current catalog.</summary>
    public CatalogView(IReadOnlyList<string> bundleItemIds, IReadOnlyDictionary<string, Item> catalog)
    {
        int capacity = Math.Max(16, bundleItemIds.Count + bundleItemIds.Count / 8 + 64);
        _columns = new CatalogColumns(capacity);
        _index = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        _names[""] = 0;
        var c = _columns;
        for (int i = 0; i < bundleItemIds.Count; i++)
        {
            string id = bundleItemIds[i];
            c.Ids[i] = id;
            _index[id] = i;
            Set(c, i, catalog.GetValueOrDefault(id));
        }
        c.Count = bundleItemIds.Count;
        BundleItems = bundleItemIds.Count;
        foreach (var (id, item) in catalog)
        {
            if (!_index.ContainsKey(id)) Upsert(item);
        }
    }

    /// <summary>Items the bundle's models know (indexes below this); later ones came after training.</summary>
    public int BundleItems { get; }

    public CatalogColumns Columns => _columns;

    public int Count => _columns.Count;

    public int IndexOf(string id) => _index.TryGetValue(id, out int i) ? i : -1;

    /// <summary>The name of a category, department or brand id.</summary>
    public string NameOf(int nameId)
    {
        lock (_gate) return _nameList[nameId];
    }

    private readonly List<string> _nameList = [""];

    /// <summary>How many names (categories, departments, brands) have ids; ids are below this.</summary>
    public int NameCount => Volatile.Read(ref _nameCount);

    private int _nameCount = 1;

    /// <summary>Creates or replaces an item; returns its index.</summary>
    public int Upsert(Item item)
    {
        lock (_gate)
        {
            var c = _columns;
            if (_index.TryGetValue(item.Id, out int i))
            {
                Set(c, i, item);
                return i;
            }
            i = c.Count;
            if (i == c.Capacity)
            {
                var bigger = new CatalogColumns(c.Capacity * 2);
                c.CopyTo(bigger);
                _columns = c = bigger;
            }
            c.Ids[i] = item.Id;
            Set(c, i, item);
            _index[item.Id] = i;
            c.Count = i + 1; // published last: readers see the row complete
            return i;
        }
    }

    /// <summary>The item is gone from the catalog: never shown again.</summary>
    public void Remove(string id)
    {
        lock (_gate)
        {
            if (_index.TryGetValue(id, out int i)) Set(_columns, i, null);
        }
    }

    // How many items carry each title (by a case-insensitive hash: a collision only makes a reason add an id it did not need),
    // so that a reason naming an item by a title another item shares can name it by its id too.
    private readonly Dictionary<int, int> _titleCounts = [];

    /// <summary>Whether another item of the catalog has the same title (ignoring case).</summary>
    public bool TitleIsShared(string title)
    {
        lock (_gate) return _titleCounts.TryGetValue(StringComparer.OrdinalIgnoreCase.GetHashCode(title), out int n) && n > 1;
    }

    private void CountTitle(string? title, int delta)
    {
        if (string.IsNullOrEmpty(title)) return;
        int key = StringComparer.OrdinalIgnoreCase.GetHashCode(title);
        int n = _titleCounts.GetValueOrDefault(key) + delta;
        if (n <= 0) _titleCounts.Remove(key);
        else _titleCounts[key] = n;
    }

    private void Set(CatalogColumns c, int i, Item? item)
    {
        CountTitle(c.Items[i]?.Title, -1);
        CountTitle(item?.Title, +1);
        c.Items[i] = item;
        c.Showable[i] = item is { Hidden: false, Blocked: false };
        string category = item is { Categories.Count: > 0 } ? item.Categories[0] : "";
        int slash = category.IndexOf('/');
        c.Category[i] = Name(category);
        c.Department[i] = Name(slash > 0 ? category[..slash] : category);
        c.Brand[i] = Name(item?.Brand ?? "");
        c.PublishedMs[i] = item?.PublishedAt?.ToUnixTimeMilliseconds() ?? 0;
    }

    private int Name(string name)
    {
        if (_names.TryGetValue(name, out int id)) return id;
        id = _nameList.Count;
        _names[name] = id;
        _nameList.Add(name);
        Volatile.Write(ref _nameCount, _nameList.Count);
        return id;
    }
}

/// <summary>Per-item columns of a <see cref="CatalogView"/>; rows below <see cref="Count"/> are complete.</summary>
public sealed class CatalogColumns(int capacity)
{
    public readonly string[] Ids = new string[capacity];
    /// <summary>The catalog record, or null for an item known only from events or deleted (never shown).</summary>
    public readonly Item?[] Items = new Item?[capacity];
    /// <summary>In the catalog, not hidden, not blocked.</summary>
    public readonly bool[] Showable = new bool[capacity];
    /// <summary>Name ids (see <see cref="CatalogView.NameOf"/>) of the first category path, its department, the brand; 0 = none.</summary>
    public readonly int[] Category = new int[capacity];
    public readonly int[] Department = new int[capacity];
    public readonly int[] Brand = new int[capacity];
    /// <summary>Unix ms of publication; 0 when unknown.</summary>
    public readonly long[] PublishedMs = new long[capacity];
    private volatile int _count;

    public int Capacity => Ids.Length;

    public int Count { get => _count; internal set => _count = value; }

    internal void CopyTo(CatalogColumns other)
    {
        int n = Count;
        Array.Copy(Ids, other.Ids, n);
        Array.Copy(Items, other.Items, n);
        Array.Copy(Showable, other.Showable, n);
        Array.Copy(Category, other.Category, n);
        Array.Copy(Department, other.Department, n);
        Array.Copy(Brand, other.Brand, n);
        Array.Copy(PublishedMs, other.PublishedMs, n);
        other.Count = n;
    }
}
