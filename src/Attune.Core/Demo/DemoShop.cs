using System.Globalization;
using Attune.Model;

namespace Attune.Demo;

/// <summary>
/// A deterministic synthetic shop with a hidden ground truth: a catalog over a category tree, users with hidden
/// tastes, and 90 days (by default) of behaviour generated from those tastes. Same <see cref="DemoOptions"/>, same shop.
/// </summary>
/// <remarks>
/// <see cref="Generate"/> builds the catalog, the users and the truth eagerly (fast); <see cref="Events"/> simulates
/// behaviour lazily, user by user, each user from their own random stream, so any prefix of the sequence is cheap.
/// </remarks>
public sealed class DemoShop
{
    internal const long Second = 1_000;
    internal const long Minute = 60 * Second;
    internal const long Hour = 60 * Minute;
    internal const long Day = 24 * Hour;

    // Random streams: one per purpose, so that changing one part does not reshuffle the others.
    internal const int StreamCatalog = 0, StreamUsers = 1, StreamBehaviour = 2, StreamGuests = 3, StreamAspects = 4;

    private DemoShop(DemoOptions options)
    {
        Options = options;
        EndMs = options.End.ToUnixTimeMilliseconds();
        StartMs = EndMs - options.Days * Day;
        var leaves = DemoCatalog.Leaves;
        LeafCount = leaves.Length;
        LeafPaths = new string[LeafCount];
        LeafDept = new int[LeafCount];
        LeafRepurchaseDays = new int[LeafCount];
        LeafQueries = new string[LeafCount][];
        LeafComplements = new int[LeafCount][];
        var leafIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int l = 0; l < LeafCount; l++)
        {
            LeafPaths[l] = leaves[l].Path;
            LeafDept[l] = Array.IndexOf(DemoCatalog.Departments, leaves[l].Department);
            LeafRepurchaseDays[l] = leaves[l].RepurchaseDays;
            LeafQueries[l] = BuildQueries(leaves[l]);
            leafIndex[leaves[l].Path] = l;
        }
        var complements = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        for (int l = 0; l < LeafCount; l++) LeafComplements[l] = [];
        foreach (var (from, to) in DemoCatalog.Complements)
        {
            complements[from] = to;
            var targets = new int[to.Length];
            for (int i = 0; i < to.Length; i++) targets[i] = leafIndex[to[i]];
            LeafComplements[leafIndex[from]] = targets;
        }
        ComplementMap = complements;
        var cities = DemoCatalog.Cities;
        Contexts = new string[DemoCatalog.Devices.Length * cities.Length];
        for (int d = 0; d < DemoCatalog.Devices.Length; d++)
        {
            for (int c = 0; c < cities.Length; c++)
            {
                var city = cities[c];
                // Catalog names need no JSON escaping.
                Contexts[d * cities.Length + c] = "{\"device\":\"" + DemoCatalog.Devices[d] + "\",\"locale\":\"" + city.Language + "-" + city.Country
                    + "\",\"geo\":{\"country\":\"" + city.Country + "\",\"city\":\"" + city.Name + "\"}}";
            }
        }
        int campaigns = 0;
        while (CampaignMs(campaigns) < EndMs) campaigns++;
        CampaignContexts = new string[campaigns];
        for (int c = 0; c < campaigns; c++)
            CampaignContexts[c] = $$"""{"campaign":"weekly-{{(c + 1).ToString("D2", CultureInfo.InvariantCulture)}}"}""";
    }

    public DemoOptions Options { get; }

    /// <summary>The demo's consumables (categories people buy again, such as coffee and shampoo): serving keeps recommending
    /// their purchased items.</summary>
    public static IReadOnlyList<string> RepeatBuyCategories { get; } =
        DemoCatalog.Leaves.Where(l => l.RepurchaseDays > 0).Select(l => l.Path).ToArray();
    public IReadOnlyList<Item> Items => ItemArray;
    public IReadOnlyList<User> Users => UserArray;
    public DemoTruth Truth { get; private set; } = null!;

    /// <summary>Builds the catalog, the users and their hidden tastes. Events come later, from <see cref="Events"/>.</summary>
    public static DemoShop Generate(DemoOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var shop = new DemoShop(options);
        shop.GenerateCatalog();
        shop.GenerateUsers();
        return shop;
    }

    /// <summary>
    /// The simulated behaviour: every known user's events in time order, user by user, then the anonymous visitors
    /// who never identify. Generated lazily; enumerate it once and stream it on. Deterministic for the options.
    /// </summary>
    public IEnumerable<Event> Events()
    {
        var sim = new DemoSimulator(this);
        for (int u = 0; u < UserArray.Length; u++)
        {
            var batch = sim.SimulateUser(u);
            for (int i = 0; i < batch.Count; i++) yield return batch[i];
        }
        int guests = Options.GuestCount;
        for (int g = 0; g < guests; g++)
        {
            var batch = sim.SimulateGuest(g);
            for (int i = 0; i < batch.Count; i++) yield return batch[i];
        }
    }

    // ---- state shared with the simulator -------------------------------------------------------------------------

    internal readonly long StartMs, EndMs;
    internal readonly int LeafCount;
    internal readonly string[] LeafPaths;
    internal readonly int[] LeafDept;
    internal readonly int[] LeafRepurchaseDays;
    internal readonly string[][] LeafQueries;
    internal readonly int[][] LeafComplements;
    internal readonly IReadOnlyDictionary<string, IReadOnlyList<string>> ComplementMap;
    /// <summary>Context JSON by device and city: <c>Contexts[device * cities + city]</c>.</summary>
    internal readonly string[] Contexts;
    internal readonly string[] CampaignContexts;

    internal Item[] ItemArray = [];
    internal User[] UserArray = [];
    internal UserSim[] Sims = [];
    internal int[] ItemLeaf = [];
    internal int[] ItemBrand = [];
    internal double[] ItemPrice = [];
    internal double[] ItemLogPriceRatio = [];
    internal long[] ItemPublishedMs = [];
    internal bool[] ItemInStock = [];
    /// <summary>Each item's aspect (what it is for, <see cref="DemoCatalog.Aspects"/>), or null.</summary>
    internal DemoCatalog.Aspect?[] ItemAspect = [];
    /// <summary>Each item's noun and adjective, lower case, as its title shows them.</summary>
    internal string[] ItemNoun = [], ItemAdjective = [];
    /// <summary>Shown (not hidden, not blocked) items per leaf, most popular first, with running popularity totals.</summary>
    internal int[][] LeafItems = [];
    internal double[][] LeafItemCumulative = [];
    /// <summary>Running totals of leaf popularity over leaves that have shown items (for popularity-driven browsing).</summary>
    internal double[] LeafCumulative = [];
    internal double[] BrandSize = [];

    /// <summary>When weekly campaign <paramref name="c"/> is sent: Tuesdays-ish at 09:00 from the second day on.</summary>
    internal long CampaignMs(int c) => StartMs + (1 + 7L * c) * Day + 9 * Hour;

    /// <summary>Each user's simulation parameters beyond the public taste.</summary>
    internal sealed class UserSim
    {
        public required int[] Leaves;
        public required double[] LeafWeights;
        public required double[] LeafCumulative;
        public required int[] Brands;
        public required double[] BrandWeights;
        public required double Sensitivity;
        public required int Hour;
        public required int Device;
        public required int City;
        public required long JoinMs;
        public required double Activity;
        public required bool AnonymousFirst;
        public required double EmailOpen;
        public required double EmailClick;
        public required string AnonymousId;
    }

    // ---- catalog ----------------------------------------------------------------------------------------------------

    private void GenerateCatalog()
    {
        var rng = DemoRandom.For(Options.Seed, StreamCatalog, 0);
        var leaves = DemoCatalog.Leaves;
        var brands = DemoCatalog.Brands;
        int depts = DemoCatalog.Departments.Length;

        // Leaf sizes: popular departments hold more items; leaves within a department vary.
        var leafWeight = new double[LeafCount];
        var perDept = new int[depts];
        for (int l = 0; l < LeafCount; l++) perDept[LeafDept[l]]++;
        for (int l = 0; l < LeafCount; l++)
            leafWeight[l] = Math.Sqrt(DepartmentPopularity(LeafDept[l])) / perDept[LeafDept[l]] * rng.Uniform(0.6, 1.4);
        var leafCum = Cumulative(leafWeight);

        BrandSize = new double[brands.Length];
        for (int b = 0; b < brands.Length; b++) BrandSize[b] = rng.LogNormal(0, 0.5);
        var deptBrands = new int[depts][];
        var deptBrandCum = new double[depts][];
        for (int d = 0; d < depts; d++)
        {
            var list = new List<int>();
            for (int b = 0; b < brands.Length; b++)
                if (Array.IndexOf(brands[b].Departments, DemoCatalog.Departments[d]) >= 0) list.Add(b);
            deptBrands[d] = [.. list];
            var w = new double[list.Count];
            for (int i = 0; i < w.Length; i++) w[i] = BrandSize[list[i]];
            deptBrandCum[d] = Cumulative(w);
        }

        int n = Options.Items;
        ItemLeaf = new int[n];
        ItemBrand = new int[n];
        ItemPrice = new double[n];
        ItemLogPriceRatio = new double[n];
        ItemPublishedMs = new long[n];
        ItemInStock = new bool[n];
        var hidden = new bool[n];
        var blocked = new bool[n];
        // Every leaf gets an item before any gets a second, so small catalogs still cover the tree.
        var firstLeaves = new int[LeafCount];
        for (int l = 0; l < LeafCount; l++) firstLeaves[l] = l;
        rng.Shuffle(firstLeaves.AsSpan());
        long publishSpan = Math.Max(180, Options.Days + 30) * Day;
        for (int i = 0; i < n; i++)
        {
            int leaf = i < LeafCount ? firstLeaves[i] : rng.Pick(leafCum);
            int dept = LeafDept[leaf];
            int brand = deptBrands[dept][rng.Pick(deptBrandCum[dept])];
            var def = leaves[leaf];
            double raw = def.MedianPrice * DemoCatalog.TierPriceFactor[brands[brand].Tier] * Math.Exp(def.PriceSigma * rng.NextNormal());
            double price = RoundPrice(raw);
            ItemLeaf[i] = leaf;
            ItemBrand[i] = brand;
            ItemPrice[i] = price;
            ItemLogPriceRatio[i] = Math.Log(price / def.MedianPrice);
            ItemPublishedMs[i] = rng.Chance(0.05)
                ? EndMs - rng.UniformLong(Minute, 14 * Day)
                : EndMs - rng.UniformLong(14 * Day, publishSpan);
            ItemInStock[i] = !rng.Chance(0.03);
            hidden[i] = rng.Chance(0.01);
            blocked[i] = !hidden[i] && rng.Chance(0.005);
        }

        // Popularity: a random order within each leaf, Zipf-weighted by rank.
        var members = new List<int>[LeafCount];
        for (int l = 0; l < LeafCount; l++) members[l] = [];
        for (int i = 0; i < n; i++) members[ItemLeaf[i]].Add(i);
        var rank = new int[n];
        var leafSize = new int[LeafCount];
        LeafItems = new int[LeafCount][];
        LeafItemCumulative = new double[LeafCount][];
        var leafPopularity = new double[LeafCount];
        for (int l = 0; l < LeafCount; l++)
        {
            var order = members[l].ToArray();
            rng.Shuffle(order.AsSpan());
            leafSize[l] = order.Length;
            for (int r = 0; r < order.Length; r++) rank[order[r]] = r;
            var shown = new List<int>(order.Length);
            foreach (int i in order)
                if (!hidden[i] && !blocked[i]) shown.Add(i);
            LeafItems[l] = [.. shown];
            var w = new double[shown.Count];
            for (int k = 0; k < w.Length; k++) w[k] = ItemPopularity(rank[shown[k]]);
            LeafItemCumulative[l] = Cumulative(w);
            leafPopularity[l] = shown.Count == 0 ? 0 : leafWeight[l];
        }
        LeafCumulative = Cumulative(leafPopularity);

        ItemArray = new Item[n];
        ItemAspect = new DemoCatalog.Aspect?[n];
        ItemNoun = new string[n];
        ItemAdjective = new string[n];
        for (int i = 0; i < n; i++)
            ItemArray[i] = BuildItem(ref rng, i, rank[i], leafSize[ItemLeaf[i]], hidden[i], blocked[i]);
    }

    private Item BuildItem(ref DemoRandom rng, int i, int rank, int leafSize, bool hidden, bool blocked)
    {
        var def = DemoCatalog.Leaves[ItemLeaf[i]];
        string brand = DemoCatalog.Brands[ItemBrand[i]].Name;
        string noun = def.Nouns[rng.Next(def.Nouns.Length)];
        string adjective = def.Adjectives[rng.Next(def.Adjectives.Length)];
        bool consumable = def.RepurchaseDays > 0;
        ItemNoun[i] = noun.ToLowerInvariant();
        ItemAdjective[i] = adjective.ToLowerInvariant();
        string title = consumable
            ? $"{brand} {adjective} {noun}"
            : $"{brand} {DemoCatalog.Models[rng.Next(DemoCatalog.Models.Length)]} {adjective} {noun}";
        bool eco = rng.Chance(0.2);
        // What the item is for comes from a stream of its own: the rest of the shop is the same with or without aspects.
        DemoCatalog.Aspect? aspect = null;
        if (!consumable && DemoCatalog.Aspects.TryGetValue(def.Path, out var aspects))
        {
            var aspectRng = DemoRandom.For(Options.Seed, StreamAspects, i);
            aspect = ItemAspect[i] = aspects[aspectRng.Next(aspects.Length)];
        }
        string description = $"{adjective} {noun.ToLowerInvariant()} by {brand}. {def.Blurb}"
            + (aspect is null ? "" : " " + aspect.Sentence)
            + (eco ? " Made with recycled or organic materials." : "");
        long published = ItemPublishedMs[i];

        var tags = new List<string>(5) { adjective.ToLowerInvariant().Replace(' ', '-') };
        if (rng.Chance(0.1)) tags.Add("sale");
        if (published >= EndMs - 30 * Day) tags.Add("new");
        if (eco) tags.Add("eco");
        if (rank < 3 && leafSize >= 10) tags.Add("bestseller");

        // Better-ranked items are better rated and more reviewed.
        double quality = leafSize <= 1 ? 1 : 1 - (double)rank / (leafSize - 1);
        double rating = Math.Clamp(Math.Round(3.0 + 1.6 * quality + 0.4 * rng.NextNormal(), 1), 1.0, 5.0);
        var properties = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["rating"] = rating,
            ["reviews"] = (double)(int)(ItemPopularity(rank) * rng.Uniform(50, 400)),
            ["eco"] = eco,
        };
        if (!consumable) properties["color"] = DemoCatalog.Colors[rng.Next(DemoCatalog.Colors.Length)];
        if (aspect is not null) properties["use"] = aspect.Name;
        string[]? sizeScale = def.Department switch
        {
            "clothing" => DemoCatalog.ClothingSizes,
            "shoes" => DemoCatalog.ShoeSizes,
            _ => null,
        };
        if (sizeScale is not null)
        {
            int from = rng.Next(Math.Max(1, sizeScale.Length / 3));
            int to = sizeScale.Length - rng.Next(Math.Max(1, sizeScale.Length / 3));
            properties["sizes"] = sizeScale[from..to];
        }

        return new Item
        {
            Id = "i" + (i + 1).ToString("D5", CultureInfo.InvariantCulture),
            Title = title,
            Description = description,
            Categories = [def.Path],
            Brand = brand,
            Price = ItemPrice[i],
            Currency = "EUR",
            InStock = ItemInStock[i],
            Tags = tags,
            Properties = properties,
            PublishedAt = DateTimeOffset.FromUnixTimeMilliseconds(published),
            Hidden = hidden,
            Blocked = blocked,
        };
    }

    private static string[] BuildQueries(DemoCatalog.Leaf leaf)
    {
        var queries = new List<string>();
        foreach (string noun in leaf.Nouns)
        {
            string n = noun.ToLowerInvariant();
            int words = n.Split(' ').Length;
            queries.Add(n);
            if (words > 1) queries.Add(n[(n.LastIndexOf(' ') + 1)..]);
            foreach (string adjective in leaf.Adjectives)
            {
                string a = adjective.ToLowerInvariant();
                if (a.Split(' ').Length + words <= 3) queries.Add(a + " " + n);
            }
        }
        return [.. queries.Distinct(StringComparer.Ordinal)];
    }

    // ---- users ------------------------------------------------------------------------------------------------------

    private void GenerateUsers()
    {
        int n = Options.Users;
        var depts = DemoCatalog.Departments;
        var brands = DemoCatalog.Brands;
        var cities = DemoCatalog.Cities;
        var segments = DemoCatalog.Segments;
        var deptPopularity = new double[depts.Length];
        for (int d = 0; d < depts.Length; d++) deptPopularity[d] = DepartmentPopularity(d);
        var deptCum = Cumulative(deptPopularity);
        var segmentWeights = new double[segments.Length];
        for (int s = 0; s < segments.Length; s++) segmentWeights[s] = segments[s].Weight;
        var segmentCum = Cumulative(segmentWeights);
        var cityWeights = new double[cities.Length];
        for (int c = 0; c < cities.Length; c++) cityWeights[c] = cities[c].Weight;
        var cityCum = Cumulative(cityWeights);
        var deviceCum = Cumulative(DemoCatalog.DeviceWeights);
        var deptLeaves = new List<int>[depts.Length];
        for (int d = 0; d < depts.Length; d++) deptLeaves[d] = [];
        for (int l = 0; l < LeafCount; l++) deptLeaves[LeafDept[l]].Add(l);
        var consentNo = new Consent { Personalization = false };
        var consentYes = new Consent { Personalization = true };

        UserArray = new User[n];
        Sims = new UserSim[n];
        var tastes = new Dictionary<string, DemoTaste>(n, StringComparer.Ordinal);
        var chosenDepts = new List<int>(3);
        var deptWeights = new List<double>(3);
        var leafList = new List<int>(9);
        var leafWeightList = new List<double>(9);
        var brandCandidates = new List<int>(brands.Length);
        var brandCandidateWeights = new List<double>(brands.Length);
        for (int u = 0; u < n; u++)
        {
            var rng = DemoRandom.For(Options.Seed, StreamUsers, u);
            string id = "u" + (u + 1).ToString("D5", CultureInfo.InvariantCulture);
            var segment = segments[rng.Pick(segmentCum)];

            // Departments: the segment's core ones, then Zipf-popular others, 1–3 in all.
            double r = rng.NextDouble();
            int want = r < 0.35 ? 1 : r < 0.75 ? 2 : 3;
            chosenDepts.Clear();
            deptWeights.Clear();
            for (int i = 0; i < segment.CoreDepartments.Length && chosenDepts.Count < 3; i++)
            {
                if (i > 0 && !rng.Chance(0.7)) continue;
                chosenDepts.Add(Array.IndexOf(depts, segment.CoreDepartments[i]));
            }
            for (int guard = 0; chosenDepts.Count < want && guard < 50; guard++)
            {
                int d = rng.Pick(deptCum);
                if (!chosenDepts.Contains(d)) chosenDepts.Add(d);
            }
            for (int i = 0; i < chosenDepts.Count; i++)
                deptWeights.Add(rng.Exponential(1) * (i == 0 && segment.CoreDepartments.Length > 0 ? 1.5 : 1) + 0.1);

            // Leaves within each department, 1–3 of them.
            leafList.Clear();
            leafWeightList.Clear();
            for (int i = 0; i < chosenDepts.Count; i++)
            {
                var pool = deptLeaves[chosenDepts[i]];
                int count = Math.Min(pool.Count, rng.Between(1, 3));
                int start = leafList.Count;
                for (int guard = 0; leafList.Count - start < count && guard < 50; guard++)
                {
                    int leaf = pool[rng.Next(pool.Count)];
                    if (leafList.IndexOf(leaf, start) < 0) leafList.Add(leaf);
                }
                double sum = 0;
                for (int k = start; k < leafList.Count; k++)
                {
                    double w = rng.Exponential(1) + 0.15;
                    leafWeightList.Add(w);
                    sum += w;
                }
                for (int k = start; k < leafList.Count; k++) leafWeightList[k] *= deptWeights[i] / sum;
            }
            Normalize(leafWeightList);
            var categoryAffinity = new Dictionary<string, double>(leafList.Count, StringComparer.Ordinal);
            for (int k = 0; k < leafList.Count; k++) categoryAffinity[LeafPaths[leafList[k]]] = leafWeightList[k];

            // Favourite brands among those selling in the liked departments, biased to the segment's price tier.
            brandCandidates.Clear();
            brandCandidateWeights.Clear();
            for (int b = 0; b < brands.Length; b++)
            {
                bool sells = false;
                foreach (int d in chosenDepts) sells |= Array.IndexOf(brands[b].Departments, depts[d]) >= 0;
                if (!sells) continue;
                brandCandidates.Add(b);
                brandCandidateWeights.Add(BrandSize[b] * (brands[b].Tier == segment.PreferredTier ? 4 : 1));
            }
            int brandCount = Math.Min(brandCandidates.Count, rng.Between(1, 3));
            var favBrands = new int[brandCount];
            var favWeights = new double[brandCount];
            for (int k = 0; k < brandCount; k++)
            {
                var cum = Cumulative([.. brandCandidateWeights]);
                int pick = rng.Pick(cum);
                favBrands[k] = brandCandidates[pick];
                favWeights[k] = rng.Exponential(1) + 0.2;
                brandCandidates.RemoveAt(pick);
                brandCandidateWeights.RemoveAt(pick);
            }
            Normalize(favWeights);
            var brandAffinity = new Dictionary<string, double>(brandCount, StringComparer.Ordinal);
            for (int k = 0; k < brandCount; k++) brandAffinity[brands[favBrands[k]].Name] = favWeights[k];

            double sensitivity = Math.Round(rng.Uniform(segment.MinSensitivity, segment.MaxSensitivity), 2);
            int hour = PreferredHour(ref rng);
            int device = rng.Pick(deviceCum);
            int city = rng.Pick(cityCum);
            long joinMs = rng.Chance(0.75)
                ? StartMs - rng.UniformLong(Day, 730 * Day)
                : StartMs + rng.UniformLong(0, (long)((EndMs - StartMs) * 0.85));
            joinMs -= joinMs % Second;
            bool optedIn = rng.Chance(0.7);
            var sim = new UserSim
            {
                Leaves = [.. leafList],
                LeafWeights = [.. leafWeightList],
                LeafCumulative = Cumulative([.. leafWeightList]),
                Brands = favBrands,
                BrandWeights = favWeights,
                Sensitivity = sensitivity,
                Hour = hour,
                Device = device,
                City = city,
                JoinMs = joinMs,
                Activity = rng.LogNormal(Math.Log(8) - 0.5, 1.0),
                AnonymousFirst = rng.Chance(0.25),
                EmailOpen = optedIn ? rng.Uniform(0.05, 0.5) : 0,
                EmailClick = optedIn ? rng.Uniform(0.1, 0.35) : 0,
                AnonymousId = "a-" + id + "-1",
            };
            Sims[u] = sim;
            tastes[id] = new DemoTaste(categoryAffinity, brandAffinity, sensitivity, hour, DemoCatalog.Devices[device], segment.Name);
            UserArray[u] = new User
            {
                Id = id,
                Attributes = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["country"] = cities[city].Country,
                    ["city"] = cities[city].Name,
                    ["device"] = DemoCatalog.Devices[device],
                    ["language"] = cities[city].Language,
                },
                Consent = rng.Chance(0.03) ? consentNo : consentYes,
                CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(joinMs),
            };
        }

        var referencePrices = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var leaf in DemoCatalog.Leaves) referencePrices[leaf.Path] = leaf.MedianPrice;
        Truth = new DemoTruth(tastes, ComplementMap, referencePrices);
    }

    private static int PreferredHour(ref DemoRandom rng)
    {
        double r = rng.NextDouble();
        double h = r < 0.2 ? 8 + rng.NextNormal()
            : r < 0.4 ? 12.5 + rng.NextNormal()
            : r < 0.85 ? 20 + 1.5 * rng.NextNormal()
            : rng.Uniform(0, 24);
        return ((int)Math.Floor(h) % 24 + 24) % 24;
    }

    // ---- helpers ----------------------------------------------------------------------------------------------------

    private static double DepartmentPopularity(int rank) => 1.0 / Math.Pow(rank + 1, 0.8);

    internal static double ItemPopularity(int rank) => 1.0 / Math.Pow(rank + 1, 0.9);

    private static double RoundPrice(double raw)
    {
        if (raw < 10) return Math.Max(0.49, Math.Round(Math.Ceiling(raw * 10) / 10 - 0.01, 2));
        if (raw < 100) return Math.Round(Math.Ceiling(raw) - 0.01, 2);
        return Math.Round(Math.Ceiling(raw / 5) * 5 - 0.01, 2);
    }

    internal static double[] Cumulative(double[] weights)
    {
        var cum = new double[weights.Length];
        double sum = 0;
        for (int i = 0; i < weights.Length; i++) cum[i] = sum += weights[i];
        return cum;
    }

    private static void Normalize(List<double> weights)
    {
        double sum = 0;
        foreach (double w in weights) sum += w;
        for (int i = 0; i < weights.Count; i++) weights[i] /= sum;
    }

    private static void Normalize(double[] weights)
    {
        double sum = 0;
        foreach (double w in weights) sum += w;
        for (int i = 0; i < weights.Length; i++) weights[i] /= sum;
    }
}
