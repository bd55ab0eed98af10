using Attune.Algorithms.Data;
using Attune.Demo;
using Attune.Model;

namespace Attune.Tests.Algorithms;

/// <summary>
/// A small demo shop split in time: models learn from everything before the last 14 days and are judged on what each
/// simulated person did afterwards and on their hidden tastes. Built once for all model-quality tests.
/// </summary>
public sealed class DemoShopFixture
{
    public DemoShop Shop { get; }
    public InteractionLog Log { get; } = new();
    public TrainingData Training { get; }
    /// <summary>Per person (training index): items they interacted with positively after the cut, not seen before it.</summary>
    public Dictionary<int, HashSet<int>> Future { get; } = [];

    public DemoShopFixture()
    {
        Shop = DemoShop.Generate(new DemoOptions
        {
            Users = 3_000, Items = 800, Days = 60, Seed = 7, End = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero),
        });
        long cut = Shop.Options.End.AddDays(-14).ToUnixTimeMilliseconds();
        foreach (var item in Shop.Items) Log.AddItem(item.Id);
        var later = new List<(string User, string Item)>();
        foreach (var e in Shop.Events())
        {
            if (e.ItemId is null) continue;
            string person = e.UserId ?? e.AnonymousId!;
            if (!EventTypes.TryGetBuiltIn(e.Type, out var type)) continue;
            float weight = EventTypes.DefaultWeight((int)type);
            if (e.Timestamp.ToUnixTimeMilliseconds() < cut) Log.Add(person, e.ItemId, weight, e.Timestamp.ToUnixTimeMilliseconds());
            else if (weight > 0) later.Add((person, e.ItemId));
        }
        var content = new ItemContent(
            Shop.Items.Select(i => (string?)$"{i.Title} {i.Description}").ToArray(),
            Shop.Items.Select(i => i.Categories.Select(c => "cat:" + c).Append("brand:" + i.Brand).Concat(i.Tags.Select(t => "tag:" + t)).ToArray()).ToArray());
        Training = Log.Build(content, seed: 11, threads: 2);
        foreach (var (person, itemId) in later)
        {
            int u = Log.IndexOfUser(person), i = Log.IndexOfItem(itemId);
            if (u < 0 || i < 0 || Training.Interactions.ItemsOf(u).Contains(i)) continue;
            (Future.TryGetValue(u, out var set) ? set : Future[u] = []).Add(i);
        }
    }
}
