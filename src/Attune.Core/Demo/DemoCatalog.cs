namespace Attune.Demo;

/// <summary>The fixed vocabulary of the demo shop: departments, leaf categories, brands, segments, places.</summary>
internal static partial class DemoCatalog
{
    internal sealed record Leaf(
        string Path,
        string[] Nouns,
        string[] Adjectives,
        double MedianPrice,
        double PriceSigma,
        string Blurb,
        int RepurchaseDays = 0) // days between re-purchases of a consumable; 0 for durable goods
    {
        public string Department => Path[..Path.IndexOf('/')];
    }

    internal sealed record Brand(string Name, int Tier, string[] Departments);

    internal sealed record Segment(string Name, double Weight, string[] CoreDepartments, double MinSensitivity, double MaxSensitivity,
        int PreferredTier);

    internal sealed record City(string Name, string Country, string Language, double Weight);

    /// <summary>Departments, most popular first (their popularity falls off Zipf-like in this order).</summary>
    public static readonly string[] Departments = ["clothing", "electronics", "home", "shoes", "beauty", "grocery", "sports", "outdoor"];

    public static readonly Leaf[] Leaves =
    [
        new("clothing/coats", ["Parka", "Coat", "Jacket", "Raincoat", "Trench Coat"],
            ["Waterproof", "Insulated", "Down", "Wool", "Windproof", "Hooded"],
            149, 0.45, "Keeps you warm and dry through the coldest months."),
        new("clothing/thermal-layers", ["Base Layer", "Thermal Top", "Thermal Leggings", "Merino Crew", "Fleece"],
            ["Merino", "Thermal", "Lightweight", "Seamless", "Breathable"], 39, 0.4, "A warm layer under any coat."),
        new("clothing/sweaters", ["Sweater", "Cardigan", "Hoodie", "Pullover"], ["Cashmere", "Knitted", "Cotton", "Oversized", "Cozy"],
            59, 0.5, "Soft knit for cool evenings."),
        new("clothing/shirts", ["Shirt", "T-Shirt", "Polo", "Blouse"], ["Linen", "Cotton", "Slim", "Striped", "Organic"],
            29, 0.45, "An everyday favourite that goes with everything."),
        new("clothing/jeans", ["Jeans", "Chinos", "Trousers", "Shorts"], ["Slim", "Relaxed", "Stretch", "Denim", "Tapered"],
            69, 0.4, "A comfortable fit that lasts."),
        new("clothing/dresses", ["Dress", "Skirt", "Jumpsuit"], ["Floral", "Midi", "Summer", "Wrap", "Satin"],
            59, 0.5, "Easy to wear from day to evening."),

        new("shoes/running", ["Running Shoe", "Trail Runner", "Racing Flat"], ["Cushioned", "Lightweight", "Waterproof", "Responsive", "Breathable"],
            109, 0.35, "Built for long runs on road and trail."),
        new("shoes/boots", ["Boot", "Hiking Boot", "Chelsea Boot", "Winter Boot"], ["Waterproof", "Leather", "Insulated", "Rugged", "Lined"],
            139, 0.4, "Grips in snow and mud and keeps feet dry."),
        new("shoes/sneakers", ["Sneaker", "Trainer", "Slip-On"], ["Classic", "Canvas", "Retro", "Leather", "Low-Top"],
            79, 0.4, "A clean look for every day."),
        new("shoes/sandals", ["Sandal", "Flip-Flop", "Slide"], ["Summer", "Cork", "Sporty", "Comfort"], 39, 0.45, "Light and airy for warm days."),
        new("shoes/formal", ["Oxford", "Loafer", "Derby", "Pump"], ["Leather", "Polished", "Suede", "Classic"], 119, 0.4,
            "Smart shoes for the office and occasions."),

        new("outdoor/tents", ["Tent", "Shelter", "Tarp"], ["Ultralight", "Two-Person", "Four-Season", "Waterproof", "Family"],
            199, 0.6, "Pitches in minutes and stands up to wind and rain."),
        new("outdoor/sleeping-bags", ["Sleeping Bag", "Sleeping Pad", "Quilt"], ["Down", "Compact", "Warm", "Ultralight"],
            99, 0.5, "Rest well on cold nights outside."),
        new("outdoor/backpacks", ["Backpack", "Daypack", "Hiking Pack"], ["Waterproof", "Lightweight", "Ventilated", "Roll-Top"],
            89, 0.5, "Carries the load comfortably on long days."),
        new("outdoor/camping-stoves", ["Camping Stove", "Cook Set", "Gas Burner"], ["Compact", "Portable", "Titanium"],
            59, 0.5, "Hot meals wherever you pitch camp."),
        new("outdoor/hiking-poles", ["Trekking Poles", "Hiking Poles", "Headlamp"], ["Carbon", "Foldable", "Adjustable", "Bright"],
            49, 0.45, "Steady steps on steep trails."),

        new("electronics/phones", ["Smartphone", "Phone"], ["5G", "Dual-SIM", "Compact", "Pro"], 499, 0.6, "A sharp screen and all-day battery."),
        new("electronics/headphones", ["Headphones", "Earbuds", "Headset"], ["Wireless", "Noise-Cancelling", "Bluetooth", "Sport"],
            99, 0.7, "Rich sound wherever you go."),
        new("electronics/laptops", ["Laptop", "Notebook", "Ultrabook"], ["Thin", "Gaming", "Touchscreen", "Lightweight"],
            899, 0.5, "Fast enough for work and play."),
        new("electronics/cameras", ["Camera", "Action Camera", "Lens"], ["Mirrorless", "4K", "Waterproof", "Compact"],
            449, 0.7, "Captures every moment in detail."),
        new("electronics/chargers", ["Charger", "Power Bank", "Cable", "Phone Case"], ["Fast", "USB-C", "Wireless", "Magnetic"],
            25, 0.5, "Keeps your devices powered and protected."),

        new("home/cookware", ["Frying Pan", "Saucepan", "Knife Set", "Casserole"], ["Nonstick", "Cast-Iron", "Stainless", "Ceramic"],
            59, 0.5, "Made for everyday cooking."),
        new("home/bedding", ["Duvet", "Pillow", "Sheet Set", "Blanket"], ["Cotton", "Linen", "Hypoallergenic", "Cozy"],
            69, 0.5, "Sleep soundly every night."),
        new("home/lighting", ["Lamp", "Floor Lamp", "Pendant Light", "LED Bulb"], ["Dimmable", "Smart", "Vintage", "Minimalist"],
            59, 0.6, "Warm light for every room."),
        new("home/furniture", ["Chair", "Desk", "Shelf", "Sofa"], ["Oak", "Scandinavian", "Compact", "Ergonomic"],
            249, 0.7, "Solid build and timeless design."),
        new("home/decor", ["Vase", "Rug", "Mirror", "Cushion"], ["Handmade", "Ceramic", "Woven", "Modern"],
            35, 0.6, "A finishing touch for your home."),

        new("beauty/skincare", ["Moisturizer", "Serum", "Cleanser", "Sunscreen"], ["Hydrating", "Vitamin C", "Gentle", "SPF 50"],
            24, 0.5, "Dermatologically tested for daily use.", 30),
        new("beauty/haircare", ["Shampoo", "Conditioner", "Hair Oil", "Hair Mask"], ["Repairing", "Volumizing", "Argan", "Sulfate-Free"],
            14, 0.45, "For healthy, shiny hair.", 28),
        new("beauty/makeup", ["Lipstick", "Mascara", "Foundation", "Eyeliner"], ["Matte", "Waterproof", "Long-Lasting", "Natural"],
            19, 0.5, "Stays put from morning to night.", 40),
        new("beauty/fragrance", ["Eau de Parfum", "Eau de Toilette", "Body Mist"], ["Floral", "Woody", "Fresh", "Citrus"],
            59, 0.5, "A signature scent that lingers.", 60),

        new("sports/fitness", ["Dumbbells", "Resistance Bands", "Kettlebell", "Sports Bottle"], ["Adjustable", "Heavy-Duty", "Compact"],
            35, 0.6, "Train at home or in the gym."),
        new("sports/cycling", ["Bike Helmet", "Cycling Jersey", "Bike Light", "Bike Lock"], ["Aero", "Reflective", "Padded", "Rechargeable"],
            59, 0.5, "Ride safer and further."),
        new("sports/yoga", ["Yoga Mat", "Yoga Block", "Yoga Pants"], ["Non-Slip", "Eco", "Stretchy", "Thick"],
            35, 0.45, "Grip and comfort for every pose."),
        new("sports/swimming", ["Swimsuit", "Goggles", "Swim Cap"], ["Chlorine-Resistant", "Anti-Fog", "Quick-Dry"],
            29, 0.45, "Made for the pool and open water."),
        new("sports/team-sports", ["Football", "Basketball", "Shin Guards", "Jersey"], ["Official", "Match", "Training", "Pro"],
            35, 0.5, "Match-ready quality."),

        new("grocery/coffee", ["Coffee Beans", "Ground Coffee", "Espresso Pods"], ["Organic", "Dark Roast", "Fairtrade", "Single-Origin"],
            9, 0.35, "Roasted in small batches for a rich cup.", 14),
        new("grocery/tea", ["Green Tea", "Black Tea", "Herbal Tea"], ["Organic", "Loose-Leaf", "Calming"],
            6, 0.35, "A calm cup any time of day.", 21),
        new("grocery/snacks", ["Granola Bars", "Dark Chocolate", "Mixed Nuts", "Crisps"], ["Organic", "Salted", "Protein", "Vegan"],
            4, 0.4, "A tasty bite between meals.", 10),
        new("grocery/pasta", ["Spaghetti", "Penne", "Pasta Sauce", "Olive Oil"], ["Durum", "Organic", "Italian", "Wholegrain"],
            5, 0.45, "Authentic taste from Italy.", 14),
        new("grocery/breakfast", ["Muesli", "Porridge Oats", "Honey", "Jam"], ["Crunchy", "Organic", "Wholegrain", "Raw"],
            5, 0.4, "A good start to the day.", 12),
    ];

    /// <summary>What a purchase in a category makes a person want next (a coat brings thermal layers and boots).</summary>
    public static readonly (string From, string[] To)[] Complements =
    [
        ("clothing/coats", ["clothing/thermal-layers", "shoes/boots"]),
        ("clothing/dresses", ["shoes/formal", "beauty/makeup"]),
        ("shoes/running", ["sports/fitness", "electronics/headphones"]),
        ("outdoor/tents", ["outdoor/sleeping-bags", "outdoor/camping-stoves"]),
        ("outdoor/backpacks", ["outdoor/hiking-poles", "shoes/boots"]),
        ("electronics/phones", ["electronics/chargers", "electronics/headphones"]),
        ("electronics/laptops", ["electronics/chargers", "electronics/headphones"]),
        ("electronics/cameras", ["electronics/chargers", "outdoor/backpacks"]),
        ("home/cookware", ["grocery/pasta"]),
        ("home/bedding", ["home/lighting"]),
        ("beauty/skincare", ["beauty/makeup"]),
        ("sports/cycling", ["clothing/thermal-layers"]),
        ("sports/yoga", ["sports/fitness"]),
        ("grocery/coffee", ["grocery/breakfast"]),
    ];

    public static readonly Brand[] Brands =
    [
        new("Northwind", 1, ["clothing", "outdoor", "shoes"]),
        new("Alpenglow", 2, ["outdoor", "clothing"]),
        new("Urbanthread", 0, ["clothing"]),
        new("Maison Lune", 2, ["clothing", "beauty"]),
        new("Basicly", 0, ["clothing", "home"]),
        new("Kestrel", 1, ["clothing", "sports"]),
        new("Velour & Co", 2, ["clothing", "shoes"]),
        new("Stride", 1, ["shoes", "sports"]),
        new("Fleetfoot", 0, ["shoes"]),
        new("Cobbler & Sons", 2, ["shoes"]),
        new("Trailhawk", 1, ["shoes", "outdoor"]),
        new("Summitcraft", 2, ["outdoor"]),
        new("Campfire", 0, ["outdoor", "home"]),
        new("Ridgeline", 1, ["outdoor", "sports", "shoes"]),
        new("Voltix", 0, ["electronics"]),
        new("Lumen", 1, ["electronics", "home"]),
        new("Sonique", 2, ["electronics"]),
        new("Pixelon", 1, ["electronics"]),
        new("Apexa", 2, ["electronics"]),
        new("Chargewell", 0, ["electronics"]),
        new("Hearth & Home", 1, ["home"]),
        new("Nordhus", 2, ["home"]),
        new("Casalinga", 0, ["home", "grocery"]),
        new("Lumos", 1, ["home"]),
        new("Potter's Lane", 2, ["home"]),
        new("Glow Lab", 1, ["beauty"]),
        new("Pure Petal", 0, ["beauty"]),
        new("Aurelia", 2, ["beauty"]),
        new("Botanica", 1, ["beauty", "grocery"]),
        new("Pulse", 1, ["sports"]),
        new("Ironclad", 0, ["sports"]),
        new("Aerofit", 2, ["sports", "shoes"]),
        new("Wavecrest", 1, ["sports"]),
        new("Bellacasa", 2, ["grocery"]),
        new("Daily Harvest", 0, ["grocery"]),
        new("Bean & Leaf", 1, ["grocery"]),
        new("Nonna's", 1, ["grocery"]),
        new("Green Basket", 0, ["grocery", "beauty"]),
        new("Everyday", 0, ["home", "grocery", "beauty"]),
        new("Momentum", 1, ["sports", "electronics"]),
    ];

    /// <summary>Price level of a brand tier relative to its category's median: budget, mid-range, premium.</summary>
    public static readonly double[] TierPriceFactor = [0.65, 1.0, 1.6];

    public static readonly Segment[] Segments =
    [
        new("mainstream", 0.30, [], 0.3, 0.7, -1),
        new("bargain-hunter", 0.15, [], 0.75, 1.0, 0),
        new("premium", 0.10, [], 0.0, 0.25, 2),
        new("outdoor-enthusiast", 0.10, ["outdoor", "shoes"], 0.2, 0.6, -1),
        new("tech-lover", 0.10, ["electronics"], 0.2, 0.6, -1),
        new("home-maker", 0.08, ["home", "grocery"], 0.35, 0.75, -1),
        new("beauty-fan", 0.07, ["beauty"], 0.2, 0.6, -1),
        new("athlete", 0.06, ["sports", "shoes"], 0.25, 0.65, -1),
        new("fashionista", 0.04, ["clothing", "shoes"], 0.1, 0.5, -1),
    ];

    public static readonly City[] Cities =
    [
        new("Berlin", "DE", "de", 6), new("Hamburg", "DE", "de", 3), new("Munich", "DE", "de", 3), new("Cologne", "DE", "de", 2),
        new("Paris", "FR", "fr", 5), new("Lyon", "FR", "fr", 2), new("Marseille", "FR", "fr", 2),
        new("Amsterdam", "NL", "nl", 3), new("Rotterdam", "NL", "nl", 2), new("Utrecht", "NL", "nl", 1),
        new("Madrid", "ES", "es", 4), new("Barcelona", "ES", "es", 3), new("Valencia", "ES", "es", 1),
        new("Rome", "IT", "it", 3), new("Milan", "IT", "it", 3), new("Turin", "IT", "it", 1),
        new("Vienna", "AT", "de", 2), new("Graz", "AT", "de", 1),
        new("Brussels", "BE", "fr", 2), new("Antwerp", "BE", "nl", 1),
        new("Dublin", "IE", "en", 2), new("Cork", "IE", "en", 1),
        new("Warsaw", "PL", "pl", 3), new("Krakow", "PL", "pl", 2),
    ];

    public static readonly string[] Devices = ["mobile", "desktop", "tablet"];
    public static readonly double[] DeviceWeights = [0.55, 0.35, 0.10];

    public static readonly string[] Models =
    [
        "Trailblazer", "Summit", "Aurora", "Nimbus", "Horizon", "Voyager", "Cascade", "Zephyr", "Atlas", "Nova", "Ember", "Drift",
        "Pioneer", "Vista", "Echo", "Tundra", "Solstice", "Meridian", "Glacier", "Breeze", "Orbit", "Harbor", "Canyon", "Sierra",
    ];

    public static readonly string[] Colors = ["black", "white", "navy", "grey", "red", "green", "blue", "beige", "olive", "burgundy"];
    public static readonly string[] ClothingSizes = ["XS", "S", "M", "L", "XL", "XXL"];
    public static readonly string[] ShoeSizes = ["36", "37", "38", "39", "40", "41", "42", "43", "44", "45", "46"];
}
