using System.Text.Json;
using Attune.Algorithms.Sequence;
using Attune.Model;
using Attune.Serving;
using Attune.Serving.Rules;
using Attune.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Attune.Tests.Formats;

/// <summary>
/// Every enum value and code that is written to disk (the SQLite store, model bundles, rule documents), listed by hand.
/// Data written by an earlier release is read back through these values: a renumbered member silently turns stored
/// purchases into something else. When a test here fails, bump the format/schema version and convert, never edit an
/// expected value. A new member is added here with its new value.
/// </summary>
public sealed class PersistedEnumStabilityTests
{
    private const string Advice = "persisted values are frozen: bump the format/schema version (and convert old data), never edit an expected value";

    /// <summary><c>events.type</c> in the store: the code of each built-in event type, and the name the API takes for it.</summary>
    private static readonly (EventType Type, int Code, string Name)[] s_eventTypes =
    [
        (EventType.View, 1, "view"),
        (EventType.Click, 2, "click"),
        (EventType.AddToCart, 3, "add_to_cart"),
        (EventType.RemoveFromCart, 4, "remove_from_cart"),
        (EventType.Purchase, 5, "purchase"),
        (EventType.Refund, 6, "refund"),
        (EventType.Search, 7, "search"),
        (EventType.Rating, 8, "rating"),
        (EventType.Like, 9, "like"),
        (EventType.Dislike, 10, "dislike"),
        (EventType.Impression, 11, "impression"),
        (EventType.EmailOpen, 12, "email_open"),
        (EventType.EmailClick, 13, "email_click"),
        (EventType.PushOpen, 14, "push_open"),
        (EventType.SupportChat, 15, "support_chat"),
        (EventType.SubscriptionChange, 16, "subscription_change"),
    ];

    [Fact]
    public void EventTypeCodesAndNamesNeverChange()
    {
        foreach (var (type, code, name) in s_eventTypes)
        {
            Assert.True((int)type == code, $"EventType.{type} is {(int)type}, was {code}: {Advice}");
            Assert.True(EventTypes.TryGetBuiltIn(name, out var byName) && byName == type, $"'{name}' no longer names EventType.{type}: {Advice}");
            Assert.Equal(name, EventTypes.NameOf(type));
        }
        AssertAllListed(s_eventTypes.Select(e => e.Type));
        Assert.Equal(s_eventTypes.Select(e => e.Name).Order(), EventTypes.BuiltInNames.Order());
        Assert.True(EventTypes.FirstCustomCode == 1000, $"custom event types are stored from code 1000: {Advice}");
    }

    /// <summary><see cref="SequenceOptions"/> writes its stacking mode as a number into every model bundle.</summary>
    [Fact]
    public void SequenceStackModeValuesNeverChange()
    {
        (StackMode Mode, int Value)[] expected = [(StackMode.Sessions, 0), (StackMode.Users, 1)];
        foreach (var (mode, value) in expected)
            Assert.True((int)mode == value, $"StackMode.{mode} is {(int)mode}, was {value}: {Advice}");
        AssertAllListed(expected.Select(e => e.Mode));
    }

    /// <summary>Business rules are stored as JSON documents of kind <c>rule</c>, their action by name.</summary>
    [Fact]
    public void RuleActionNamesAndTheRuleDocumentKindNeverChange()
    {
        (RuleAction Action, string Name)[] expected = [(RuleAction.Boost, "boost"), (RuleAction.Bury, "bury"), (RuleAction.Exclude, "exclude"), (RuleAction.Pin, "pin")];
        foreach (var (action, name) in expected)
            Assert.True(JsonSerializer.Serialize(action, AttuneJson.Options) == $"\"{name}\"", $"RuleAction.{action} is stored as {JsonSerializer.Serialize(action, AttuneJson.Options)}, was \"{name}\": {Advice}");
        AssertAllListed(expected.Select(e => e.Action));
        Assert.True(ServingEngine.RuleKind == "rule", $"rules are stored as documents of kind 'rule': {Advice}");
    }

    /// <summary>What the store writes: profile kinds (0 user, 1 anonymous) and event type codes, read back with plain SQL.</summary>
    [Fact]
    public async Task TheStoreWritesTheFrozenCodes()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = TestPaths.NewTempDirectory();
        await using (var store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = dir.Path, FullSync = false }))
        {
            var at = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
            await store.AppendEventsAsync([
                new Event { Type = "purchase", UserId = "u1", ItemId = "i1", Timestamp = at },
                new Event { Type = "view", AnonymousId = "a1", ItemId = "i1", Timestamp = at },
                new Event { Type = "custom.wishlist_add", UserId = "u1", Timestamp = at },
            ], ct);
        }
        using var db = new SqliteConnection($"Data Source={Path.Combine(dir.Path, "attune.db")};Mode=ReadOnly;Pooling=false");
        db.Open();
        Assert.True(Scalar(db, "SELECT kind FROM profiles WHERE id = 'u1'") == 0, $"profiles.kind of a user is 0: {Advice}");
        Assert.True(Scalar(db, "SELECT kind FROM profiles WHERE id = 'a1'") == 1, $"profiles.kind of an anonymous visitor is 1: {Advice}");
        Assert.Equal([1, 5, 1000], [Scalar(db, "SELECT type FROM events WHERE seq = 2"), Scalar(db, "SELECT type FROM events WHERE seq = 1"),
            Scalar(db, "SELECT type FROM events WHERE seq = 3")]);
    }

    private static long Scalar(SqliteConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        return (long)cmd.ExecuteScalar()!;
    }

    private static void AssertAllListed<T>(IEnumerable<T> listed) where T : struct, Enum
    {
        var missing = Enum.GetValues<T>().Except(listed).ToList();
        Assert.True(missing.Count == 0,
            $"{typeof(T).Name} has members this test does not list ({string.Join(", ", missing)}): add each with its value; {Advice}");
    }
}
