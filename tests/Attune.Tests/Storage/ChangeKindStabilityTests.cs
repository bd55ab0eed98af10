using Attune.Storage;

namespace Attune.Tests.Storage;

/// <summary>The codes of <see cref="ChangeKind"/> are stored in the change feed: renumbering one would misread every stored change.</summary>
public sealed class ChangeKindStabilityTests
{
    [Fact]
    public void ChangeKindCodesAreFrozen()
    {
        var frozen = new Dictionary<ChangeKind, int>
        {
            [ChangeKind.Events] = 1,
            [ChangeKind.ItemUpserted] = 2,
            [ChangeKind.ItemDeleted] = 3,
            [ChangeKind.UserUpserted] = 4,
            [ChangeKind.UserDeleted] = 5,
            [ChangeKind.IdentityLinked] = 6,
            [ChangeKind.DocumentPut] = 7,
            [ChangeKind.DocumentDeleted] = 8,
            [ChangeKind.VisitorDeleted] = 9,
            [ChangeKind.DecisionRewards] = 10,
        };
        Assert.Equal(frozen.Keys.Order(), Enum.GetValues<ChangeKind>().Order()); // a new kind needs a line here
        Assert.All(frozen, pair => Assert.Equal(pair.Value, (int)pair.Key));
    }
}
