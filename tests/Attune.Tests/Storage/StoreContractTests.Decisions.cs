using Attune.Storage;

namespace Attune.Tests.Storage;

/// <summary>The decision log's contract: decisions, action sets stored once, rewards checked one by one, defaults, the feed.</summary>
public abstract partial class StoreContractTests
{
    private static DecisionRecord Decision(string eventId, long atMs, long? activatedMs = null, string[]? slots = null, string person = "u1",
        long waitMs = 60_000, double defaultReward = 0.25) =>
        new(eventId, "hero", person, false, atMs, """{"context":{"device":{"mobile":true}}}""", "set-1",
            """[{"id":"a","features":{"t":"x"}},{"id":"b"}]""",
            """[{"id":"","chosen":1,"probabilities":[0.25,0.75],"scores":[0,0]}]""", slots ?? [""], activatedMs, waitMs, defaultReward, "squarecb v1 n=0");

    [Fact]
    public async Task DecisionsAreLoggedOnceAndReadBackWithTheirActionSet()
    {
        var logged = await Store.LogDecisionsAsync([Decision("e1", 1_000, 1_000), Decision("e2", 2_000, 2_000), Decision("e1", 3_000, 3_000)], Ct);
        Assert.Equal([true, true, false], logged);
        var read = await Store.GetDecisionAsync("e1", Ct);
        Assert.NotNull(read);
        Assert.Equal(1_000, read.Decision.TimestampMs);
        Assert.Equal("""[{"id":"a","features":{"t":"x"}},{"id":"b"}]""", read.Decision.ActionSet);
        Assert.Empty(read.Rewards);
        Assert.Null(await Store.GetDecisionAsync("nope", Ct));
        Assert.Equal(["e1", "e2"], (await ListAsync(Store.ReadDecisionsAsync("hero", 0, 10_000, Ct))).Select(d => d.Decision.EventId));
    }

    [Fact]
    public async Task EachRewardIsCheckedOnItsOwnAndRecordedRewardsReachTheChangeFeed()
    {
        await Store.LogDecisionsAsync([Decision("e1", 1_000, 1_000), Decision("deferred", 1_000), Decision("multi", 1_000, 1_000, ["top", "side"]),
            Decision("old", 0, 0, waitMs: 500)], Ct);
        long before = await Store.GetLastChangeSeqAsync(Ct);
        var outcomes = await Store.RecordRewardsAsync([
            new("e1", "", 1), new("e1", "", 0.5), new("ghost", "", 1), new("multi", "nope", 1), new("deferred", "", 1), new("old", "", 1),
            new("multi", "top", 0.5)], nowMs: 2_000, Ct);
        Assert.Equal([RewardOutcome.Recorded, RewardOutcome.AlreadyRewarded, RewardOutcome.UnknownEvent, RewardOutcome.UnknownSlot,
            RewardOutcome.NotActivated, RewardOutcome.TooLate, RewardOutcome.Recorded], outcomes);

        var changes = await ListAsync(Store.ReadChangesAsync(before, Ct));
        var change = Assert.Single(changes, c => c.Kind == ChangeKind.DecisionRewards);
        var rewards = await ListAsync(Store.ReadRewardsAsync(change.FromEventSeq, change.ToEventSeq, Ct));
        Assert.Equal([("e1", "", 1.0), ("multi", "top", 0.5)], rewards.Select(r => (r.Decision.EventId, r.Slot, r.Value)));
        Assert.All(rewards, r => Assert.False(r.IsDefault));
        Assert.Equal(rewards[^1].Seq, await Store.GetLastRewardSeqAsync(Ct));

        Assert.True(await Store.ActivateDecisionAsync("deferred", 2_000, Ct));
        Assert.False(await Store.ActivateDecisionAsync("ghost", 2_000, Ct));
        Assert.Equal([RewardOutcome.Recorded], await Store.RecordRewardsAsync([new("deferred", "", 0.5)], 2_500, Ct));
    }

    [Fact]
    public async Task DecisionsWithoutARewardInTimeGetTheDefaultForEverySlotLeft()
    {
        await Store.LogDecisionsAsync([Decision("quiet", 0, 0, waitMs: 1_000), Decision("multi", 0, 0, ["top", "side"], waitMs: 1_000),
            Decision("waiting", 0, null, waitMs: 1_000), Decision("young", 0, 5_000, waitMs: 1_000)], Ct);
        await Store.RecordRewardsAsync([new("multi", "top", 1)], 500, Ct);
        long before = await Store.GetLastRewardSeqAsync(Ct);

        Assert.Equal(2, await Store.SettleDecisionsAsync(nowMs: 2_000, maxDecisions: 100, Ct));
        Assert.Equal(0, await Store.SettleDecisionsAsync(nowMs: 2_000, maxDecisions: 100, Ct)); // settled once
        var rewards = await ListAsync(Store.ReadRewardsAsync(before, long.MaxValue, Ct));
        Assert.Equal([("quiet", "", 0.25), ("multi", "side", 0.25)], rewards.Select(r => (r.Decision.EventId, r.Slot, r.Value)));
        Assert.All(rewards, r => Assert.True(r.IsDefault));
        var multi = await Store.GetDecisionAsync("multi", Ct);
        Assert.Equal((1.0, false), multi!.Rewards["top"]);
        Assert.Equal((0.25, true), multi.Rewards["side"]);
    }

    [Fact]
    public async Task ErasingAPersonErasesTheirDecisionsAndRewards()
    {
        await Store.UpsertUsersAsync([new Attune.Model.User { Id = "u1" }], Ct);
        await Store.LogDecisionsAsync([Decision("mine", 0, 0), Decision("theirs", 0, 0, person: "u2")], Ct);
        await Store.RecordRewardsAsync([new("mine", "", 1)], 10, Ct);
        await Store.ErasePersonAsync("u1", anonymous: false, Ct);
        Assert.Null(await Store.GetDecisionAsync("mine", Ct));
        Assert.NotNull(await Store.GetDecisionAsync("theirs", Ct));
        Assert.DoesNotContain(await ListAsync(Store.ReadRewardsAsync(0, long.MaxValue, Ct)), r => r.Decision.EventId == "mine");
    }
}
