using Attune.Algorithms.Content;

namespace Attune.Tests.Algorithms;

/// <summary>The content model's profile of a history: tokens that weigh nothing are not listed (found by TenantTests, whose
/// small catalogs share their category word across every item).</summary>
public sealed class ContentProfileTests
{
    [Fact]
    public void ATokenEveryItemHasWeighsNothingAndALongHistoryStillScores()
    {
        // Two items whose only token is the same: its idf is 0, so both items' weights are 0.
        var model = new ContentModel(2, 1, [0, 1, 2], [0, 0], [0f, 0f], 0.9f);
        var scores = new float[2];
        var similar = new int[2];
        Exception? error = null;
        // A fresh thread: its profile buffers are sized for this model's one token (another test's model could have left
        // larger ones on a pool thread, hiding the overflow).
        var thread = new Thread(() =>
        {
            try
            {
                model.Score(-1, [0, 1, 0, 1, 0], scores);
                model.ScoreItems([1, 0, 1, 0], [0, 1], scores);
                _ = model.MostSimilar([0, 1, 0, 1], 2, similar);
            }
            catch (Exception e) { error = e; }
        });
        thread.Start();
        thread.Join();

        Assert.Null(error);
        Assert.Equal([0f, 0f], scores);
    }
}
