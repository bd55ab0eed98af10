using Attune.Algorithms.Scoring;

namespace Attune.Tests.Algorithms;

public sealed class TopKTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void SelectsTheSameItemsAsAFullSortTiesToLowerIndex(int seed)
    {
        var random = new Random(seed);
        for (int round = 0; round < 200; round++)
        {
            int n = random.Next(0, 300);
            int k = random.Next(0, 40);
            var scores = new float[n];
            for (int i = 0; i < n; i++)
                scores[i] = random.Next(10) == 0 ? float.NegativeInfinity : random.Next(20) / 4f; // many ties
            var expected = Enumerable.Range(0, n).Where(i => scores[i] > float.NegativeInfinity)
                .OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k).ToArray();
            var result = new int[Math.Max(k, 1)];
            int count = TopK.Select(scores, k, result);
            Assert.Equal(expected, result[..count]);
        }
    }
}
