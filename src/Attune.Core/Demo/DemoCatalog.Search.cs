namespace Attune.Demo;

/// <summary>
/// What the demo shop's search is judged on: what its items are for, beyond their titles. Each durable item of a category
/// listed in <see cref="Aspects"/> has one aspect (drawn from its own random stream, so the rest of the shop is unchanged),
/// written into its description and its <c>use</c> attribute; <see cref="Paraphrases"/> ask for a category in words its
/// titles do not use. <see cref="DemoSearchSet"/> turns both into judged queries.
/// </summary>
internal static partial class DemoCatalog
{
    /// <summary>One thing an item is for: the sentence its description carries, and how shoppers ask for it.</summary>
    internal sealed record Aspect(string Name, string Sentence, string[] Queries);

    /// <summary>Category path to the aspects its items divide into.</summary>
    public static readonly Dictionary<string, Aspect[]> Aspects = new(StringComparer.Ordinal)
    {
        ["shoes/running"] =
        [
            new("stability", "Stability support: a firm medial post and a guided heel for overpronation and flat feet.",
                ["running shoes for flat feet", "support for overpronation", "jogging with fallen arches"]),
            new("long-distance", "Plush foam absorbs impact mile after mile, made for marathon training.",
                ["marathon training shoes", "soft landing for long distances"]),
            new("trail", "Deep lugs bite into mud, scree and rocky mountain paths.",
                ["grip on muddy mountain paths", "off-road jogging"]),
        ],
        ["shoes/boots"] =
        [
            new("hiking", "Ankle support and a stiff sole for scrambles over rough ground.", ["ankle support on rough ground", "mountain trekking footwear"]),
            new("winter", "Fleece lining and studded soles for ice and deep snow.", ["footwear for icy pavements", "keep toes warm in snow"]),
            new("city", "A sleek leather upper that dresses up jeans for the office.", ["smart ankle footwear for the office"]),
        ],
        ["shoes/sandals"] =
        [
            new("beach", "Dries in minutes after a swim in the sea.", ["beach footwear", "something for the pool deck"]),
            new("walking", "An arch-hugging footbed for long summer walks in the city.", ["arch support for summer walks"]),
        ],
        ["clothing/coats"] =
        [
            new("rain", "Taped seams shrug off downpours on the commute.", ["stay dry in a downpour", "commuting in heavy showers"]),
            new("arctic", "Rated to minus thirty for polar expeditions and bitter winters.", ["outerwear for minus thirty", "polar expedition outerwear"]),
            new("city", "A tailored cut that looks sharp over a suit.", ["smart outerwear over a suit"]),
        ],
        ["clothing/thermal-layers"] =
        [
            new("skiing", "Wicks sweat on the slopes and keeps warmth in on the lift.", ["underwear for ski trips", "keep warm on the slopes"]),
            new("everyday", "Thin enough to wear under office clothes on freezing days.", ["invisible warmth under office clothes"]),
        ],
        ["outdoor/tents"] =
        [
            new("backpacking", "Packs down to the size of a water bottle for multi-day treks.", ["shelter light enough to carry for days", "backpacking shelter"]),
            new("family", "Room for the whole family, with two bedrooms and a porch.", ["camping with kids", "sleeping space for a family of five"]),
            new("mountaineering", "Holds firm in storms and snow loads at high altitude.", ["storm proof shelter for high altitude"]),
        ],
        ["outdoor/sleeping-bags"] =
        [
            new("winter", "Comfortable down to minus ten for snow camping.", ["sleep outside in freezing weather", "snow camping bedding"]),
            new("summer", "A light, airy layer for warm nights at festivals.", ["festival sleeping gear"]),
        ],
        ["outdoor/backpacks"] =
        [
            new("commuter", "A padded sleeve fits a 15-inch laptop for the daily commute.", ["bag for carrying a laptop to work", "laptop commuter bag"]),
            new("trekking", "A load-bearing hip belt for multi-day treks with heavy loads.", ["carry heavy loads on a trek"]),
        ],
        ["electronics/headphones"] =
        [
            new("travel", "Silences engine drone on long flights and trains.", ["quiet on long flights", "block out aeroplane noise"]),
            new("workout", "Sweat-proof and stays put through burpees and sprints.", ["music while exercising", "sweatproof audio for the gym"]),
            new("studio", "Flat, accurate response for mixing and recording music.", ["monitoring for music production"]),
        ],
        ["electronics/laptops"] =
        [
            new("gaming", "A high refresh screen and a dedicated graphics card for the latest games.", ["computer for playing games"]),
            new("student", "Light, long battery life, carried from lecture to library.", ["computer for university lectures"]),
            new("creative", "A colour-accurate display for photo and video editing.", ["computer for editing photos and video"]),
        ],
        ["electronics/cameras"] =
        [
            new("vlogging", "A flip screen and a directional microphone for filming yourself.", ["filming myself for youtube"]),
            new("wildlife", "A long zoom reaches birds and animals from far away.", ["photographing birds from far away"]),
        ],
        ["home/bedding"] =
        [
            new("allergy", "Dust-mite proof and washable at sixty degrees for allergy sufferers.", ["for people with dust allergies"]),
            new("cooling", "Breathable weave that stays cool for people who sleep hot.", ["sleeping hot at night", "stay cool in bed"]),
        ],
        ["home/cookware"] =
        [
            new("induction", "A magnetic base that works on induction hobs.", ["works on an induction hob"]),
            new("oven", "Goes from hob to oven up to 260 degrees.", ["hob to oven cooking"]),
        ],
        ["beauty/skincare"] =
        [
            new("sensitive", "Fragrance-free and soothing for sensitive, reactive skin.", ["for reactive skin", "soothing redness"]),
            new("anti-aging", "Retinol and peptides smooth fine lines and wrinkles.", ["reduce wrinkles", "fine lines around the eyes"]),
            new("acne", "Salicylic acid clears blemishes and unclogs pores.", ["clear up spots and blemishes"]),
        ],
        ["sports/yoga"] =
        [
            new("hot-yoga", "Stays grippy when soaked in sweat at forty degrees.", ["grip when sweating in a heated class"]),
            new("pilates", "Cushions knees and spine on hard floors.", ["cushion knees on a hard floor"]),
        ],
        ["sports/cycling"] =
        [
            new("commuting", "Keeps you seen in city traffic at night.", ["be seen in traffic after dark"]),
            new("racing", "Wind-tunnel shaped to shave seconds in races.", ["shave seconds in a road race"]),
        ],
    };

    /// <summary>Category path to requests that name the category in words its titles never use.</summary>
    public static readonly Dictionary<string, string[]> Paraphrases = new(StringComparer.Ordinal)
    {
        ["clothing/coats"] = ["outerwear for winter", "something to wear over a suit when it rains"],
        ["clothing/thermal-layers"] = ["warm underwear for winter"],
        ["clothing/sweaters"] = ["knitwear", "knitted top for autumn evenings"],
        ["clothing/shirts"] = ["tops for the office", "short sleeved top"],
        ["clothing/dresses"] = ["outfit for a summer wedding", "evening gown"],
        ["clothing/jeans"] = ["denim pants", "legwear for everyday"],
        ["shoes/running"] = ["jogging footwear", "footwear for a marathon"],
        ["shoes/boots"] = ["footwear for snow and mud"],
        ["shoes/sneakers"] = ["casual kicks", "everyday canvas footwear"],
        ["shoes/sandals"] = ["open toe footwear for summer"],
        ["shoes/formal"] = ["footwear for a job interview", "wedding footwear for men"],
        ["outdoor/tents"] = ["camping shelter", "somewhere to sleep at a campsite"],
        ["outdoor/sleeping-bags"] = ["bedding for camping"],
        ["outdoor/backpacks"] = ["rucksack", "bag to carry on a hike"],
        ["outdoor/camping-stoves"] = ["cooking outdoors", "boil water at the campsite"],
        ["outdoor/hiking-poles"] = ["walking sticks for the mountains"],
        ["electronics/phones"] = ["mobile", "cell with a good camera"],
        ["electronics/headphones"] = ["listen to music privately", "in-ear audio"],
        ["electronics/laptops"] = ["portable computer", "computer to work on the go"],
        ["electronics/cameras"] = ["take photos", "photography gear"],
        ["electronics/chargers"] = ["top up my battery", "power for my devices"],
        ["home/cookware"] = ["pots and pans", "kitchen equipment for frying"],
        ["home/bedding"] = ["linen for the bedroom", "bedclothes"],
        ["home/lighting"] = ["illumination for the living room", "brighten a dark room"],
        ["home/furniture"] = ["somewhere to sit", "home office setup"],
        ["home/decor"] = ["make my flat cosy", "ornaments for the living room"],
        ["beauty/skincare"] = ["face cream", "protect skin from the sun"],
        ["beauty/haircare"] = ["wash my hair", "dry damaged hair"],
        ["beauty/makeup"] = ["cosmetics", "lip colour for a party"],
        ["beauty/fragrance"] = ["perfume", "cologne"],
        ["sports/fitness"] = ["home gym", "weights for strength training"],
        ["sports/cycling"] = ["bicycle accessories", "gear for riding a bike"],
        ["sports/yoga"] = ["stretching and meditation", "pilates gear"],
        ["sports/swimming"] = ["pool gear", "bathing suit"],
        ["sports/team-sports"] = ["soccer gear", "kit for a football club"],
        ["grocery/coffee"] = ["caffeine", "morning brew"],
        ["grocery/tea"] = ["chamomile infusion", "a cuppa"],
        ["grocery/snacks"] = ["something to nibble", "treats for a road trip"],
        ["grocery/pasta"] = ["italian dinner", "ingredients for a bolognese"],
        ["grocery/breakfast"] = ["cereal", "something to spread on toast"],
    };
}
