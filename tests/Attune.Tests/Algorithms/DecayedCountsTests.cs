using Attune.Algorithms.Popularity;

namespace Attune.Tests.Algorithms;

/// <summary>The decay and trending arithmetic of <see cref="DecayedCounts"/>, on numbers small enough to check by hand.</summary>
public sealed class DecayedCountsTests
{
    private const long Day = 86_400_000;
    private const long Now = 1_780_000_000_000;

    [Fact]
    public void AnEventCountsHalfItsWeightPerHalfLifeOfAgeAndAdvancingHalvesEveryCount()
    {
        // Arrange: half-life 2 days, counted at Now.
        var counts = new DecayedCounts(3, halfLifeDays: 2, referenceMs: Now);

        // Act
        counts.Add(0, 1, Now);               // age 0: 1
        counts.Add(0, 4, Now - 2 * Day);     // one half-life: 4 · 0.5 = 2
        counts.Add(1, 8, Now - 4 * Day);     // two half-lives: 8 · 0.25 = 2
        float[] atNow = [.. counts.Counts];
        counts.AdvanceTo(Now + 2 * Day);     // one half-life later everything halves
        counts.Add(2, 1, Now + 2 * Day);
        counts.AdvanceTo(Now);               // going back changes nothing

        // Assert
        Assert.Equal([3f, 2f, 0f], atNow);
        Assert.Equal([1.5f, 1f, 1f], counts.Counts);
        Assert.Equal(Now + 2 * Day, counts.ReferenceMs);
        Assert.Equal(1, DecayedCounts.Decay(5 * Day, halfLifeDays: 0));   // no half-life: no decay
    }

    [Fact]
    public void TrendScoreIsThePoissonZScoreOfTheShortCountAgainstTheLongRate()
    {
        // Short half-life 1 day, long 4: the expected short count is L · 1/4.
        var shortWindow = new DecayedCounts([3f, 1f], 1, Now);
        var longWindow = new DecayedCounts([8f, 8f], 4, Now);
        var scores = new float[2];

        DecayedCounts.TrendScores(shortWindow, longWindow, scores);

        // E = 2: (3 − 2) / √3 and (1 − 2) / √3.
        Assert.Equal(1 / MathF.Sqrt(3), scores[0], 5);
        Assert.Equal(-1 / MathF.Sqrt(3), scores[1], 5);
        Assert.Throws<ArgumentException>(() => DecayedCounts.TrendScores(shortWindow, new DecayedCounts([8f, 8f], 4, Now + 1), scores));
    }
}
