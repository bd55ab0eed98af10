namespace Attune.Model;

/// <summary>
/// The built-in event types. The numeric values are persisted in the store (<c>events.type</c>): never change one
/// (<c>PersistedEnumStabilityTests.EventTypeCodesAndNamesNeverChange</c> freezes them and their names); add new types with new numbers.
/// Custom types get codes from <see cref="EventTypes.FirstCustomCode"/> upwards, assigned by the store.
/// </summary>
public enum EventType
{
    View = 1,
    Click = 2,
    AddToCart = 3,
    RemoveFromCart = 4,
    Purchase = 5,
    Refund = 6,
    Search = 7,
    Rating = 8,
    Like = 9,
    Dislike = 10,
    Impression = 11,
    EmailOpen = 12,
    EmailClick = 13,
    PushOpen = 14,
    SupportChat = 15,
    SubscriptionChange = 16,
}

/// <summary>How an event type counts as feedback about its item.</summary>
public enum FeedbackKind
{
    /// <summary>Not about an item's appeal (search, email open, support chat…).</summary>
    None = 0,
    /// <summary>The person showed interest: view, click, cart, purchase, like, a rating.</summary>
    Positive = 1,
    /// <summary>The person turned away: dislike, refund, remove from cart.</summary>
    Negative = 2,
    /// <summary>The item was shown; no signal by itself (impressions feed frequency caps).</summary>
    Exposure = 3,
}

/// <summary>Names, codes and rules of event types, built-in and custom.</summary>
/// <remarks>
/// Custom type policy: any name that starts with <c>custom.</c> followed by 1–57 characters from
/// <c>a-z 0-9 _ - .</c> is accepted (for example <c>custom.wishlist_add</c>); it needs no item and counts
/// as <see cref="FeedbackKind.None"/> unless it carries an <c>itemId</c>, when it counts as a weak positive.
/// Any other unknown name is rejected, so a typo such as <c>purchse</c> is a 400, not silently new data.
/// </remarks>
public static class EventTypes
{
    public const string CustomPrefix = "custom.";
    public const int FirstCustomCode = 1000;
    public const int MaxNameLength = 64;

    private static readonly Dictionary<string, EventType> s_byName = new(StringComparer.Ordinal)
    {
        ["view"] = EventType.View,
        ["click"] = EventType.Click,
        ["add_to_cart"] = EventType.AddToCart,
        ["remove_from_cart"] = EventType.RemoveFromCart,
        ["purchase"] = EventType.Purchase,
        ["refund"] = EventType.Refund,
        ["search"] = EventType.Search,
        ["rating"] = EventType.Rating,
        ["like"] = EventType.Like,
        ["dislike"] = EventType.Dislike,
        ["impression"] = EventType.Impression,
        ["email_open"] = EventType.EmailOpen,
        ["email_click"] = EventType.EmailClick,
        ["push_open"] = EventType.PushOpen,
        ["support_chat"] = EventType.SupportChat,
        ["subscription_change"] = EventType.SubscriptionChange,
    };

    private static readonly string[] s_names = BuildNames();

    public static IReadOnlyCollection<string> BuiltInNames => s_byName.Keys;

    public static bool TryGetBuiltIn(string name, out EventType type) => s_byName.TryGetValue(name, out type);

    public static string NameOf(EventType type) => s_names[(int)type];

    /// <summary>The built-in type's name for a stored type code; null for a custom type's code (its name is in the store).</summary>
    public static string? BuiltInNameOf(int code) =>
        code < FirstCustomCode && Enum.IsDefined((EventType)code) ? NameOf((EventType)code) : null;

    public static bool IsValidCustomName(string name)
    {
        if (name.Length <= CustomPrefix.Length || name.Length > MaxNameLength || !name.StartsWith(CustomPrefix, StringComparison.Ordinal))
            return false;
        foreach (char c in name.AsSpan(CustomPrefix.Length))
        {
            if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '_' or '-' or '.'))
                return false;
        }
        return true;
    }

    /// <summary>Whether an event of this type must name an item.</summary>
    public static bool RequiresItem(EventType type) => type switch
    {
        EventType.View or EventType.Click or EventType.AddToCart or EventType.RemoveFromCart or EventType.Purchase
            or EventType.Refund or EventType.Rating or EventType.Like or EventType.Dislike or EventType.Impression => true,
        _ => false,
    };

    /// <summary>Whether an event of this type may carry a negative value (a refund's amount); custom types decide for themselves.</summary>
    public static bool AllowsNegativeValue(EventType type) => type == EventType.Refund;

    public static FeedbackKind FeedbackOf(EventType type) => type switch
    {
        EventType.View or EventType.Click or EventType.AddToCart or EventType.Purchase or EventType.Rating
            or EventType.Like or EventType.EmailClick => FeedbackKind.Positive,
        EventType.Dislike or EventType.Refund or EventType.RemoveFromCart => FeedbackKind.Negative,
        EventType.Impression => FeedbackKind.Exposure,
        _ => FeedbackKind.None,
    };

    /// <summary>
    /// Default strength of an event as implicit feedback: purchase &gt; add to cart &gt; click/like &gt; view;
    /// negative for dislike, refund and remove from cart. Models may override these.
    /// </summary>
    public static float DefaultWeight(int code) => code switch
    {
        (int)EventType.Purchase => 5f,
        (int)EventType.AddToCart => 3f,
        (int)EventType.Like => 2f,
        (int)EventType.Click => 1.5f,
        (int)EventType.EmailClick => 1.5f,
        (int)EventType.Rating => 2f,
        (int)EventType.View => 1f,
        (int)EventType.RemoveFromCart => -1f,
        (int)EventType.Dislike => -3f,
        (int)EventType.Refund => -4f,
        >= FirstCustomCode => 0.5f,
        _ => 0f,
    };

    private static string[] BuildNames()
    {
        var names = new string[Enum.GetValues<EventType>().Cast<int>().Max() + 1];
        foreach (var (name, type) in s_byName)
            names[(int)type] = name;
        return names;
    }
}

/// <summary>The channels an event can come from.</summary>
public static class Channels
{
    public static readonly IReadOnlySet<string> Known = new HashSet<string>(StringComparer.Ordinal)
    {
        "web", "app", "email", "sms", "push", "store", "support",
    };
}
