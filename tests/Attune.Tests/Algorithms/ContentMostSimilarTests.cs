using Attune.Algorithms;
using Attune.Algorithms.Content;
using Attune.Algorithms.Scoring;

namespace Attune.Tests.Algorithms;

/// <summary>The content model's sparse top-k (for large catalogs) finds what scoring every item finds.</summary>
public sealed class ContentMostSimilarTests(DemoShopFixture demo) : IClassFixture<DemoShopFixture>
{
    [Fact]
    public void MostSimilarEqualsTheTopOfScoringEveryItem()
    {
        var model = (ContentModel)ModelCatalog.CreateTrainer("content", ModelParameters.Empty).Fit(demo.Training, TestContext.Current.CancellationToken);
        var scores = new float[model.Items];
        var expected = new int[20];
        var actual = new int[20];
        for (int anchor = 0; anchor < model.Items; anchor += 13)
        {
            int[] history = anchor % 2 == 0 ? [anchor] : [anchor, (anchor * 7) % model.Items, (anchor * 11) % model.Items];
            model.Score(-1, history, scores);
            for (int i = 0; i < scores.Length; i++) if (!(scores[i] > 0)) scores[i] = float.NegativeInfinity;
            int k = TopK.Select(scores, 20, expected);
            int got = model.MostSimilar(history, 20, actual);
            Assert.Equal(k, got);
            // Same scores in the same order (ties may pick different items of equal score).
            for (int r = 0; r < k; r++) Assert.Equal(scores[expected[r]], scores[actual[r]], 5);
        }
    }
}
