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

    [Fact]
    public void HeapWithAFilterTestedOnlyForEntrantsKeepsTheBestPassingItems()
    {
        // The pipeline's use: items offered one by one, the (costly) filter tested only when the item would enter.
        var random = new Random(4);
        for (int round = 0; round < 200; round++)
        {
            int n = random.Next(0, 300), k = random.Next(1, 40);
            var scores = new float[n];
            for (int i = 0; i < n; i++) scores[i] = random.Next(20) / 4f;
            bool Passes(int i) => i % 3 != 0;
            var expected = Enumerable.Range(0, n).Where(Passes).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k).ToArray();

            var heap = new TopKHeap(new float[k], new int[k]);
            for (int i = 0; i < n; i++)
            {
                if (heap.IsFull && !(scores[i] > heap.MinScore)) continue;
                if (!Passes(i)) continue;
                if (heap.IsFull) heap.ReplaceMin(scores[i], i);
                else heap.Push(scores[i], i);
            }
            int count = heap.SortBestFirst();

            Assert.Equal(expected, heap.Items[..count].ToArray());
            for (int r = 1; r < count; r++) Assert.True(heap.Scores[r - 1] >= heap.Scores[r]);
        }
    }

    [Fact]
    public void TryAddKeepsTheTopKOfEntriesInAnyOrder()
    {
        var random = new Random(5);
        for (int round = 0; round < 200; round++)
        {
            int n = random.Next(0, 200), k = random.Next(0, 30);
            var order = Enumerable.Range(0, n).OrderBy(_ => random.Next()).ToArray(); // items arrive shuffled
            var scores = order.Select(_ => random.Next(10) / 2f).ToArray();
            var expected = Enumerable.Range(0, n).OrderByDescending(j => scores[j]).ThenBy(j => order[j]).Take(k).Select(j => order[j]).ToArray();

            var heap = new TopKHeap(new float[k], new int[k]);
            for (int j = 0; j < n; j++) heap.TryAdd(scores[j], order[j]);
            int count = heap.SortBestFirst();

            Assert.Equal(expected, heap.Items[..count].ToArray());
        }
    }
}
