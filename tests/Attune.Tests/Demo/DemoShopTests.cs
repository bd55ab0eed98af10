using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using Attune.Demo;
using Attune.Model;
using Attune.Validation;

namespace Attune.Tests.Demo;

/// <summary>One medium shop and its events, shared by the behaviour tests.</summary>
public sealed class DemoShopFixture
{
    public static readonly DateTimeOffset End = new(2026, 1, 15, 0, 0, 0, TimeSpan.Zero);

    public DemoShopFixture()
    {
        Shop = DemoShop.Generate(new DemoOptions { Users = 3_000, Items = 1_500, Days = 90, Seed = 7, End = End });
        Events = [.. Shop.Events()];
        ItemsById = Shop.Items.ToDictionary(i => i.Id);
        // The user behind each anonymous id, from the events that carry both.
        foreach (var e in Events)
        {
            if (e.UserId is not null && e.AnonymousId is not null) AnonymousToUser[e.AnonymousId] = e.UserId;
        }
        foreach (var e in Events)
        {
            if (e.Type != "purchase" || PersonOf(e) is not { } user) continue;
            if (!Purchases.TryGetValue(user, out var list)) Purchases[user] = list = [];
            list.Add((ItemsById[e.ItemId!], e.Timestamp));
        }
    }

    public DemoShop Shop { get; }
    public List<Event> Events { get; }
    public Dictionary<string, Item> ItemsById { get; }
    public Dictionary<string, string> AnonymousToUser { get; } = new(StringComparer.Ordinal);
    /// <summary>Purchases of known users (including those made before they identified), in time order.</summary>
    public Dictionary<string, List<(Item Item, DateTimeOffset At)>> Purchases { get; } = new(StringComparer.Ordinal);

    /// <summary>The known user behind an event, or null for a visitor who never identified.</summary>
    public string? PersonOf(Event e) =>
        e.UserId ?? (e.AnonymousId is not null && AnonymousToUser.TryGetValue(e.AnonymousId, out var u) ? u : null);
}

public sealed class DemoShopTests(DemoShopFixture fixture) : IClassFixture<DemoShopFixture>
{
    private static readonly DateTimeOffset FixedEnd = new(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static DemoOptions Small(int seed = 42, DateTimeOffset? end = null) =>
        new() { Users = 500, Items = 300, Days = 30, Seed = seed, End = end ?? FixedEnd };

    private static ITestOutputHelper? Output => TestContext.Current.TestOutputHelper;

    // ---- determinism ---------------------------------------------------------------------------------------------

    [Fact]
    public void SameSeed_GivesIdenticalShopAndEvents()
    {
        var a = DemoShop.Generate(Small());
        var b = DemoShop.Generate(Small());

        Assert.Equal(JsonSerializer.Serialize(a.Items, AttuneJson.Options), JsonSerializer.Serialize(b.Items, AttuneJson.Options));
        Assert.Equal(JsonSerializer.Serialize(a.Users, AttuneJson.Options), JsonSerializer.Serialize(b.Users, AttuneJson.Options));
        Assert.Equal(JsonSerializer.Serialize(a.Truth.Tastes, AttuneJson.Options), JsonSerializer.Serialize(b.Truth.Tastes, AttuneJson.Options));
        var first = a.Events().Take(1_000).ToList();
        Assert.Equal(1_000, first.Count);
        Assert.Equal(first, b.Events().Take(1_000).ToList());
        // Enumerating again gives the same sequence too: the generator keeps no state between enumerations.
        Assert.Equal(first, a.Events().Take(1_000).ToList());
    }

    [Fact]
    public void DifferentSeed_GivesDifferentShopAndEvents()
    {
        var a = DemoShop.Generate(Small(seed: 1));
        var b = DemoShop.Generate(Small(seed: 2));

        Assert.NotEqual(JsonSerializer.Serialize(a.Items, AttuneJson.Options), JsonSerializer.Serialize(b.Items, AttuneJson.Options));
        var ea = a.Events().Take(1_000).ToList();
        var eb = b.Events().Take(1_000).ToList();
        int same = ea.Zip(eb).Count(p => p.First == p.Second);
        Assert.True(same < 50, $"{same} of 1000 events identical across seeds");
    }

    [Fact]
    public void Generate_RequiresAnEndAndSaneSizes()
    {
        Assert.Throws<ArgumentException>(() => DemoShop.Generate(new DemoOptions { Users = 10, Items = 10 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => DemoShop.Generate(Small() with { Items = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => DemoShop.Generate(Small() with { Days = 0 }));
        Assert.Equal(new DateTimeOffset(2026, 5, 4, 0, 0, 0, TimeSpan.Zero),
            DemoOptions.DefaultEnd(new FixedTime(new DateTimeOffset(2026, 5, 4, 17, 30, 0, TimeSpan.FromHours(2)))));
    }

    [Fact]
    public void TinyShops_StillWork()
    {
        var shop = DemoShop.Generate(new DemoOptions { Users = 20, Items = 5, Days = 1, End = FixedEnd });
        var events = shop.Events().ToList();
        Assert.Equal(5, shop.Items.Count);
        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.InRange(e.Timestamp, FixedEnd.AddDays(-1), FixedEnd.AddTicks(-1)));
    }

    // ---- validity ------------------------------------------------------------------------------------------------

    [Fact]
    public void EveryItemUserAndEvent_PassesValidation()
    {
        var end = DemoOptions.DefaultEnd(TimeProvider.System);
        var shop = DemoShop.Generate(Small(end: end));
        var reader = new RecordReader(TimeProvider.System);
        var errors = new List<FieldError>();

        foreach (var item in shop.Items)
        {
            var read = reader.ReadItem(JsonSerializer.SerializeToElement(item, AttuneJson.Options), errors);
            Assert.True(errors.Count == 0, $"{item.Id}: {string.Join("; ", errors)}");
            Assert.Equal(item.Categories, read!.Categories);
            Assert.Equal(item.Price, read.Price);
            Assert.Equal(item.Properties.Count, read.Properties.Count);
        }
        foreach (var user in shop.Users)
        {
            var read = reader.ReadUser(JsonSerializer.SerializeToElement(user, AttuneJson.Options), errors);
            Assert.True(errors.Count == 0, $"{user.Id}: {string.Join("; ", errors)}");
            Assert.Equal(user.Attributes["device"], read!.Attributes["device"]);
        }
        int count = 0;
        foreach (var e in shop.Events())
        {
            var read = reader.ReadEvent(ToApiJson(e), errors);
            Assert.True(errors.Count == 0, $"event {count} ({e}): {string.Join("; ", errors)}");
            Assert.Equal(e, read);
            Assert.InRange(e.Timestamp, end.AddDays(-30), end.AddTicks(-1));
            count++;
        }
        Assert.True(count > 5_000, $"only {count} events");
    }

    [Fact]
    public void Events_AreInTimeOrderPerPerson_AfterTheAccountWasCreated()
    {
        var start = DemoShopFixture.End.AddDays(-90);
        var created = fixture.Shop.Users.ToDictionary(u => u.Id, u => u.CreatedAt!.Value);
        var last = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var finished = new HashSet<string>(StringComparer.Ordinal);
        string? current = null;
        foreach (var e in fixture.Events)
        {
            Assert.InRange(e.Timestamp, start, DemoShopFixture.End.AddTicks(-1));
            string person = fixture.PersonOf(e) ?? e.AnonymousId!;
            // Generated person by person: once someone's events end, they do not come back.
            if (person != current)
            {
                Assert.True(finished.Add(person), $"{person}'s events are not contiguous");
                current = person;
            }
            if (last.TryGetValue(person, out var previous)) Assert.True(e.Timestamp >= previous, $"{person}: {e.Timestamp} after {previous}");
            last[person] = e.Timestamp;
            if (created.TryGetValue(person, out var c)) Assert.True(c <= e.Timestamp, $"{person} acts at {e.Timestamp} before joining at {c}");
        }
    }

    // ---- behaviour -----------------------------------------------------------------------------------------------

    [Fact]
    public void Funnel_NarrowsFromViewsToPurchases_AndLeavesAbandonedCarts()
    {
        var counts = fixture.Events.GroupBy(e => e.Type).ToDictionary(g => g.Key, g => g.Count());
        Output?.WriteLine(string.Join(", ", counts.OrderByDescending(c => c.Value).Select(c => $"{c.Key} {c.Value}")));
        int views = counts["view"], carts = counts["add_to_cart"], purchases = counts["purchase"];
        Assert.True(views > carts && carts > purchases, $"views {views}, carts {carts}, purchases {purchases}");
        Assert.InRange((double)carts / views, 0.08, 0.25);
        Assert.InRange((double)purchases / carts, 0.25, 0.6);
        string[] types = ["impression", "click", "search", "email_open", "email_click", "like", "dislike", "rating", "refund", "remove_from_cart"];
        foreach (string type in types)
            Assert.True(counts.GetValueOrDefault(type) > 0, $"no {type} events");

        // Carts abandoned: put in a cart, never bought in that session.
        var bought = fixture.Events.Where(e => e.Type == "purchase").Select(e => (e.SessionId, e.ItemId)).ToHashSet();
        int abandoned = fixture.Events.Count(e => e.Type == "add_to_cart" && !bought.Contains((e.SessionId, e.ItemId)));
        Assert.True(abandoned > carts / 3, $"{abandoned} of {carts} cart additions abandoned");

        // Every purchase was in the cart first, and is worth price × quantity.
        var carted = fixture.Events.Where(e => e.Type == "add_to_cart").Select(e => (e.SessionId, e.ItemId)).ToHashSet();
        foreach (var p in fixture.Events.Where(e => e.Type == "purchase"))
        {
            Assert.Contains((p.SessionId, p.ItemId), carted);
            double price = fixture.ItemsById[p.ItemId!].Price!.Value;
            double quantity = p.Value!.Value / price;
            Assert.True(Math.Abs(quantity - Math.Round(quantity)) < 1e-6 && Math.Round(quantity) is >= 1 and <= 3,
                $"value {p.Value} for price {price}");
        }
        // Ratings are 1–5; searches carry a query of 1–3 words; email events come on the email channel.
        Assert.All(fixture.Events.Where(e => e.Type == "rating"), e => Assert.InRange(e.Value!.Value, 1, 5));
        Assert.All(fixture.Events.Where(e => e.Type == "search"), e => Assert.InRange(e.Query!.Split(' ').Length, 1, 3));
        Assert.All(fixture.Events.Where(e => e.Type.StartsWith("email_", StringComparison.Ordinal)), e => Assert.Equal("email", e.Channel));
        Assert.All(fixture.Events.Where(e => e.Type == "email_click"), e => Assert.NotNull(e.ItemId));
    }

    [Fact]
    public void HiddenItems_AreNeverShown_AndItemsAppearOnlyAfterPublication()
    {
        foreach (var e in fixture.Events)
        {
            if (e.ItemId is null) continue;
            var item = fixture.ItemsById[e.ItemId];
            Assert.False(item.Hidden || item.Blocked, $"{e.Type} of hidden/blocked {item.Id}");
            Assert.True(item.PublishedAt <= e.Timestamp, $"{e.Type} of {item.Id} at {e.Timestamp}, published {item.PublishedAt}");
            if (e.Type == "add_to_cart") Assert.True(item.InStock, $"out-of-stock {item.Id} added to a cart");
        }
    }

    [Fact]
    public void Purchases_FollowTheHiddenDepartments()
    {
        var shown = fixture.Shop.Items.Where(i => !i.Hidden && !i.Blocked).ToList();
        var shares = new List<(double Share, double Base)>();
        foreach (var (user, purchases) in fixture.Purchases)
        {
            if (purchases.Count < 5) continue;
            var liked = fixture.Shop.Truth.Tastes[user].DepartmentAffinity.Keys.ToHashSet();
            double share = purchases.Count(p => liked.Contains(DemoTaste.DepartmentOf(p.Item.Categories[0]))) / (double)purchases.Count;
            double baseRate = shown.Count(i => liked.Contains(DemoTaste.DepartmentOf(i.Categories[0]))) / (double)shown.Count;
            shares.Add((share, baseRate));
        }
        double meanShare = shares.Average(s => s.Share), meanBase = shares.Average(s => s.Base);
        Output?.WriteLine($"{shares.Count} users with ≥ 5 purchases: {meanShare:P1} in liked departments vs base rate {meanBase:P1}");
        Assert.True(shares.Count >= 50, $"only {shares.Count} users with ≥ 5 purchases");
        Assert.True(meanShare > 0.6, $"share {meanShare:P1}");
        Assert.True(meanShare > meanBase + 0.3, $"share {meanShare:P1} vs base {meanBase:P1}");
        Assert.True(shares.Count(s => s.Share > s.Base) > 0.9 * shares.Count);
    }

    [Fact]
    public void TruthScore_RanksBoughtItemsAboveRandomItems()
    {
        var truth = fixture.Shop.Truth;
        var items = fixture.Shop.Items;
        var random = new Random(5);
        var aucs = new List<double>();
        foreach (var (user, purchases) in fixture.Purchases)
        {
            var bought = purchases.Select(p => p.Item).DistinctBy(i => i.Id).ToList();
            if (bought.Count < 2) continue;
            var boughtIds = bought.Select(i => i.Id).ToHashSet();
            var negatives = Enumerable.Range(0, 100).Select(_ => items[random.Next(items.Count)]).Where(i => !boughtIds.Contains(i.Id)).ToList();
            double wins = 0;
            foreach (var b in bought)
            {
                double sb = truth.Score(user, b);
                foreach (var n in negatives)
                {
                    double sn = truth.Score(user, n);
                    wins += sb > sn ? 1 : sb == sn ? 0.5 : 0;
                }
            }
            aucs.Add(wins / (bought.Count * negatives.Count));
        }
        double mean = aucs.Average();
        Output?.WriteLine($"AUC of the true score, bought vs random items: mean {mean:F3} over {aucs.Count} users");
        Assert.True(aucs.Count >= 200, $"only {aucs.Count} users with 2+ purchases");
        Assert.True(mean > 0.7, $"mean AUC {mean:F3}");
        Assert.True(aucs.Count(a => a > 0.5) > 0.8 * aucs.Count);
    }

    [Fact]
    public void ComplementPurchases_FollowPurchasesOfTheirCategory()
    {
        var complements = fixture.Shop.Truth.Complements;
        Assert.Equal(new[] { "clothing/thermal-layers", "shoes/boots" }, complements["clothing/coats"]);
        var window = TimeSpan.FromDays(14);
        int triggers = 0, after = 0, before = 0;
        foreach (var purchases in fixture.Purchases.Values)
        {
            foreach (var (item, at) in purchases)
            {
                if (!complements.TryGetValue(item.Categories[0], out var targets)) continue;
                // Only purchases with a full window on both sides within the simulation.
                if (at < DemoShopFixture.End.AddDays(-90) + window || at > DemoShopFixture.End - window) continue;
                triggers++;
                bool InTargets((Item Item, DateTimeOffset At) p) => targets.Contains(p.Item.Categories[0]);
                if (purchases.Any(p => InTargets(p) && p.At > at && p.At <= at + window)) after++;
                if (purchases.Any(p => InTargets(p) && p.At < at && p.At >= at - window)) before++;
            }
        }
        double afterRate = (double)after / triggers, beforeRate = (double)before / triggers;
        Output?.WriteLine($"{triggers} purchases with complements: complement bought within 14 days after {afterRate:P1}, before {beforeRate:P1}");
        Assert.True(triggers >= 100, $"only {triggers} purchases in categories with complements");
        Assert.True(afterRate > 1.8 * beforeRate && afterRate > 0.2, $"after {afterRate:P1} vs before {beforeRate:P1}");
    }

    [Fact]
    public void Consumables_AreBoughtAgain()
    {
        int repeats = fixture.Purchases.Values.Sum(purchases => purchases
            .Where(p => DemoTaste.DepartmentOf(p.Item.Categories[0]) is "grocery" or "beauty")
            .GroupBy(p => p.Item.Id)
            .Count(g => g.Select(p => p.At.Date).Distinct().Count() > 1));
        int durableRepeats = fixture.Purchases.Values.Sum(purchases => purchases
            .Where(p => DemoTaste.DepartmentOf(p.Item.Categories[0]) == "electronics")
            .GroupBy(p => p.Item.Id)
            .Count(g => g.Select(p => p.At.Date).Distinct().Count() > 1));
        Output?.WriteLine($"consumables bought again on another day: {repeats}; electronics: {durableRepeats}");
        Assert.True(repeats >= 50, $"only {repeats} consumables re-bought");
        Assert.True(repeats > 5 * durableRepeats);
    }

    [Fact]
    public void AnonymousFirstSessions_AreIdentifiedLater()
    {
        var anonymousOnly = fixture.Events.Where(e => e.UserId is null).ToList();
        var firstSeen = anonymousOnly.GroupBy(e => e.AnonymousId!).ToDictionary(g => g.Key, g => g.Min(e => e.Timestamp));
        var links = fixture.Events.Where(e => e.UserId is not null && e.AnonymousId is not null).ToList();
        var userFirstSessions = firstSeen.Keys.Where(a => a.StartsWith("a-u", StringComparison.Ordinal)).ToList();
        var guests = firstSeen.Keys.Where(a => a.StartsWith("a-guest-", StringComparison.Ordinal)).ToList();
        Output?.WriteLine($"{userFirstSessions.Count} anonymous first sessions, {links.Count} identifying events, {guests.Count} guests");

        Assert.InRange(userFirstSessions.Count, 450, 1_050);
        Assert.Equal(userFirstSessions.Count, firstSeen.Count - guests.Count);
        foreach (string anonymousId in userFirstSessions)
        {
            var link = Assert.Single(links, l => l.AnonymousId == anonymousId);
            Assert.True(link.Timestamp > firstSeen[anonymousId]);
            Assert.Equal("a-" + link.UserId + "-1", anonymousId);
        }
        // About 300 visitors (one per ten users) browse anonymously and never identify.
        Assert.InRange(guests.Count, 250, 300);
        Assert.DoesNotContain(links, l => l.AnonymousId!.StartsWith("a-guest-", StringComparison.Ordinal));
    }

    [Fact]
    public void Habits_MatchTheHiddenTaste()
    {
        var tastes = fixture.Shop.Truth.Tastes;
        int near = 0, sessions = 0, onPreferredDevice = 0, withDevice = 0;
        var sessionStarts = fixture.Events
            .Where(e => e.UserId is not null && e.SessionId is not null)
            .GroupBy(e => e.SessionId!)
            .Select(g => g.First());
        foreach (var first in sessionStarts)
        {
            var taste = tastes[first.UserId!];
            int d = Math.Abs(first.Timestamp.Hour - taste.PreferredHour);
            sessions++;
            if (Math.Min(d, 24 - d) <= 2) near++;
            string device = JsonDocument.Parse(first.ContextJson!).RootElement.GetProperty("device").GetString()!;
            withDevice++;
            if (device == taste.PreferredDevice) onPreferredDevice++;
        }
        Output?.WriteLine($"sessions within 2 h of the preferred hour: {(double)near / sessions:P1}; "
            + $"on the preferred device: {(double)onPreferredDevice / withDevice:P1}");
        Assert.True(near > 0.5 * sessions);
        Assert.True(onPreferredDevice > 0.8 * withDevice);
        // Mobile sessions mostly come through the app.
        var mobile = fixture.Events.Where(e => e.Type == "view" && e.ContextJson!.Contains("\"mobile\"", StringComparison.Ordinal)).ToList();
        Assert.True(mobile.Count(e => e.Channel == "app") > 0.6 * mobile.Count);
    }

    // ---- catalog, users and truth ----------------------------------------------------------------------------------

    [Fact]
    public void DefaultCatalogAndUsers_HaveTheSpecifiedShape()
    {
        var end = FixedEnd;
        var shop = DemoShop.Generate(new DemoOptions { End = end });
        var items = shop.Items;
        Assert.Equal(5_000, items.Count);
        Assert.Equal("i00001", items[0].Id);
        Assert.Equal("i05000", items[^1].Id);
        Assert.All(items, i =>
        {
            Assert.Single(i.Categories);
            Assert.Equal("EUR", i.Currency);
            Assert.True(i.Price > 0);
            Assert.False(string.IsNullOrEmpty(i.Title));
            Assert.Contains(i.Brand!, i.Title!);
            Assert.InRange(i.PublishedAt!.Value, end.AddDays(-180), end);
        });
        var departments = items.GroupBy(i => DemoTaste.DepartmentOf(i.Categories[0])).ToList();
        Assert.InRange(departments.Count, 7, 10);
        Assert.All(departments, d => Assert.InRange(d.Select(i => i.Categories[0]).Distinct().Count(), 3, 6));
        var brands = items.GroupBy(i => i.Brand!).ToList();
        Assert.InRange(brands.Count, 35, 45);
        Assert.All(brands, b => Assert.InRange(b.Select(i => DemoTaste.DepartmentOf(i.Categories[0])).Distinct().Count(), 1, 3));
        Assert.InRange(items.Count(i => i.Hidden), 20, 90);
        Assert.InRange(items.Count(i => i.Blocked), 5, 50);
        Assert.InRange(items.Count(i => !i.InStock), 80, 250);
        Assert.InRange(items.Count(i => i.PublishedAt > end.AddDays(-14)), 150, 400);
        // Premium brands cost more than budget brands in the same category.
        var coats = items.Where(i => i.Categories[0] == "clothing/coats").ToList();
        double AveragePrice(string brand) => coats.Where(i => i.Brand == brand).Average(i => i.Price!.Value);
        Assert.True(AveragePrice("Alpenglow") > AveragePrice("Urbanthread"));

        Assert.Equal(20_000, shop.Users.Count);
        Assert.Equal("u00001", shop.Users[0].Id);
        Assert.InRange(shop.Users.Count(u => u.Consent is { Personalization: false }), 400, 800);
        Assert.All(shop.Users, u =>
        {
            var taste = shop.Truth.Tastes[u.Id];
            Assert.Equal(taste.PreferredDevice, u.Attributes["device"]);
            Assert.All(new[] { "country", "city", "language" }, a => Assert.False(string.IsNullOrEmpty(u.Attributes[a])));
            Assert.Equal(1.0, taste.CategoryAffinity.Values.Sum(), 9);
            Assert.Equal(1.0, taste.BrandAffinity.Values.Sum(), 9);
            Assert.InRange(taste.DepartmentAffinity.Count, 1, 3);
            Assert.InRange(taste.BrandAffinity.Count, 1, 3);
            Assert.InRange(taste.PriceSensitivity, 0, 1);
            Assert.InRange(taste.PreferredHour, 0, 23);
        });
        Assert.True(shop.Truth.Tastes.Values.Select(t => t.Segment).Distinct().Count() >= 5);
        // Bargain hunters really are more price-sensitive than premium shoppers.
        Assert.True(shop.Truth.Tastes.Values.Where(t => t.Segment == "bargain-hunter").Average(t => t.PriceSensitivity)
            > shop.Truth.Tastes.Values.Where(t => t.Segment == "premium").Average(t => t.PriceSensitivity) + 0.4);
    }

    [Fact]
    public void TopItems_AreTheBestScoredItems_InOrder()
    {
        var truth = fixture.Shop.Truth;
        var items = fixture.Shop.Items;
        foreach (string user in new[] { "u00001", "u00002", "u00500" })
        {
            var top = truth.TopItems(user, items, 20);
            Assert.Equal(20, top.Count);
            var scores = top.Select(id => truth.Score(user, fixture.ItemsById[id])).ToList();
            Assert.Equal(scores.OrderByDescending(s => s), scores);
            double best = items.Max(i => truth.Score(user, i));
            Assert.Equal(best, scores[0]);
            // The best items come from the user's liked categories.
            var liked = truth.Tastes[user].DepartmentAffinity.Keys.ToHashSet();
            Assert.All(top, id => Assert.Contains(DemoTaste.DepartmentOf(fixture.ItemsById[id].Categories[0]), liked));
        }
        Assert.Throws<KeyNotFoundException>(() => truth.Score("nobody", items[0]));
    }

    [Fact]
    public void WriteTruth_WritesTastesAndComplementsAsJson()
    {
        using var dir = TestPaths.NewTempDirectory();
        string path = Path.Combine(dir.Path, "truth.json");
        var shop = DemoShop.Generate(Small());

        DemoWriter.WriteTruth(shop, path);

        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        Assert.Equal(42, root.GetProperty("seed").GetInt32());
        var tastes = root.GetProperty("tastes");
        Assert.Equal(500, tastes.EnumerateObject().Count());
        var expected = shop.Truth.Tastes["u00001"];
        var t = tastes.GetProperty("u00001");
        Assert.Equal(expected.Segment, t.GetProperty("segment").GetString());
        Assert.Equal(expected.PriceSensitivity, t.GetProperty("priceSensitivity").GetDouble());
        foreach (var (path2, weight) in expected.CategoryAffinity)
            Assert.Equal(weight, t.GetProperty("categoryAffinity").GetProperty(path2).GetDouble());
        Assert.Equal("shoes/boots", root.GetProperty("complements").GetProperty("clothing/coats")[1].GetString());
    }

    [Fact]
    public void DefaultOptions_GenerateOneToTwoMillionEvents()
    {
        var sw = Stopwatch.StartNew();
        var shop = DemoShop.Generate(new DemoOptions { End = FixedEnd });
        var generate = sw.Elapsed;
        sw.Restart();
        long count = 0, purchases = 0;
        foreach (var e in shop.Events())
        {
            count++;
            if (e.Type == "purchase") purchases++;
        }
        Output?.WriteLine($"generate {generate.TotalMilliseconds:F0} ms; {count:N0} events ({purchases:N0} purchases) "
            + $"in {sw.Elapsed.TotalMilliseconds:F0} ms");
        Assert.InRange(count, 1_000_000, 2_000_000);
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    /// <summary>An event in the shape the HTTP API accepts.</summary>
    private static JsonElement ToApiJson(Event e)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", e.Type);
            if (e.UserId is not null) w.WriteString("userId", e.UserId);
            if (e.AnonymousId is not null) w.WriteString("anonymousId", e.AnonymousId);
            if (e.ItemId is not null) w.WriteString("itemId", e.ItemId);
            if (e.Value is { } v) w.WriteNumber("value", v);
            w.WriteString("timestamp", e.Timestamp.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            if (e.SessionId is not null) w.WriteString("sessionId", e.SessionId);
            if (e.Channel is not null) w.WriteString("channel", e.Channel);
            if (e.ContextJson is not null)
            {
                w.WritePropertyName("context");
                w.WriteRawValue(e.ContextJson);
            }
            if (e.Query is not null) w.WriteString("query", e.Query);
            w.WriteEndObject();
        }
        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        return doc.RootElement.Clone();
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now.ToUniversalTime();
    }
}
