using Attune.Algorithms.Data;
using Attune.Evaluation.Protocols;

namespace Attune.Tests.Evaluation;

public class NegativeSamplerTests
{
    [Fact]
    public void Negatives_are_distinct_never_the_users_items_and_reproducible()
    {
        var rng = new Random(7);
        var rows = Enumerable.Range(0, 300).Select(_ => Enumerable.Range(0, rng.Next(1, 40)).Select(_ => rng.Next(500)).ToArray()).ToArray();
        var sequences = SequenceData.FromRows(500, rows);
        var users = Enumerable.Range(0, 300).Where(u => u % 3 != 1).ToList();

        var a = NegativeSampler.Sample(sequences, users, 100);
        var b = NegativeSampler.Sample(sequences, users, 100);

        Assert.Equal(a.Items, b.Items);
        Assert.Equal(a.Start, b.Start);
        for (int c = 0; c < users.Count; c++)
        {
            var negatives = a.Row(c).ToArray();
            Assert.Equal(100, negatives.Length);
            Assert.Equal(100, negatives.Distinct().Count());
            Assert.Empty(negatives.Intersect(rows[users[c]]));
            Assert.All(negatives, i => Assert.InRange(i, 0, 499));
        }
        Assert.NotEqual(a.Items, NegativeSampler.Sample(sequences, users, 100, seed: 1).Items);
    }

    [Fact]
    public void When_few_items_are_left_all_of_them_are_taken()
    {
        // 6 items; the user holds 0, 1, 2 (and 1 again): only 3, 4, 5 can be negatives.
        var sequences = SequenceData.FromRows(6, [[0, 1, 2, 1]]);
        var negatives = NegativeSampler.Sample(sequences, [0], 100);
        Assert.Equal([3, 4, 5], negatives.Row(0).ToArray());
    }
}
