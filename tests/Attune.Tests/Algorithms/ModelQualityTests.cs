using Attune.Algorithms;
using Attune.Algorithms.Scoring;

namespace Attune.Tests.Algorithms;

/// <summary>
/// Every model learns the demo shop's hidden tastes: on held-out future behaviour and on the true preference score, it clearly
/// beats the popularity baseline. A quality regression fails CI without any shared dataset.
/// </summary>
public sealed class ModelQualityTests(DemoShopFixture demo) : IClassFixture<DemoShopFixture>
{
    private const int K = 20;

    private (double Recall, double Truth) Judge(IRecommender model)
    {
        var data = demo.Training;
        var scores = new float[data.Items];
        var top = new int[K];
        double recall = 0, truth = 0;
        int n = 0;
        foreach (var (u, future) in demo.Future.OrderBy(kv => kv.Key).Take(1_500))
        {
            var history = data.Sequences!.Row(u);
            model.Score(u, history, scores);
            foreach (int i in data.Interactions.ItemsOf(u)) scores[i] = float.NegativeInfinity;
            int k = TopK.Select(scores, K, top);
            int hits = 0;
            double t = 0;
            string userId = demo.Log.UserIds[u];
            var taste = demo.Shop.Truth.Tastes.GetValueOrDefault(userId);
            for (int r = 0; r < k; r++)
            {
                if (future.Contains(top[r])) hits++;
                if (taste is not null) t += demo.Shop.Truth.Score(userId, demo.Shop.Items[top[r]]);
            }
            recall += (double)hits / Math.Min(K, future.Count);
            truth += t / Math.Max(1, k);
            n++;
        }
        return (recall / n, truth / n);
    }

    private IRecommender Train(string name, params string[] parameters) =>
        ModelCatalog.CreateTrainer(name, ModelParameters.Parse(parameters)).Fit(demo.Training, TestContext.Current.CancellationToken);

    [Theory]
    [InlineData("itemknn")]
    [InlineData("ease")]
    [InlineData("als")]
    [InlineData("bpr")]
    [InlineData("sequence")]
    [InlineData("content")]
    [InlineData("hybrid")]
    public void ModelBeatsPopularityOnFutureBehaviourAndHiddenTastes(string name, params string[] parameters)
    {
        var baseline = Judge(Train("popularity"));
        var model = Judge(Train(name, parameters));
        Assert.True(model.Recall > baseline.Recall * 2, $"{name} recall@{K} {model.Recall:F4} vs popularity {baseline.Recall:F4}");
        Assert.True(model.Truth > baseline.Truth * 1.2, $"{name} true taste {model.Truth:F4} vs popularity {baseline.Truth:F4}");
    }

    [Theory]
    [InlineData("popularity")]
    [InlineData("itemknn")]
    [InlineData("ease")]
    [InlineData("als")]
    [InlineData("sequence")]
    [InlineData("trending")]
    [InlineData("content")]
    [InlineData("hybrid")]
    public void SnapshotRoundTripsToIdenticalScores(string name)
    {
        var model = Train(name);
        using var stream = new MemoryStream();
        ModelCatalog.Save(model, stream);
        stream.Position = 0;
        var loaded = ModelCatalog.Load(stream);
        Assert.Equal(model.Name, loaded.Name);
        var a = new float[model.Items];
        var b = new float[model.Items];
        foreach (int u in new[] { 0, 5, 17 })
        {
            var history = demo.Training.Sequences!.Row(u);
            model.Score(u, history, a);
            loaded.Score(u, history, b);
            Assert.Equal(a, b);
        }
    }

    [Fact]
    public void ContentModelRecommendsAnItemNobodyHasInteractedWith()
    {
        // The demo catalog has items that no one touched before the cut (new arrivals): content still scores them.
        var untouched = Enumerable.Range(0, demo.Training.Items).Where(i => demo.Training.Interactions.Transpose().CountOf(i) == 0).ToHashSet();
        Assert.NotEmpty(untouched);
        var model = Train("content");
        var scores = new float[model.Items];
        var top = new int[50];
        int served = 0;
        foreach (int u in demo.Future.Keys.Take(300))
        {
            model.Score(u, demo.Training.Sequences!.Row(u), scores);
            int k = TopK.Select(scores, top.Length, top);
            if (top[..k].Any(untouched.Contains)) served++;
        }
        Assert.True(served > 30, $"only {served} of 300 people were shown an untouched item");
    }

    [Fact]
    public void SimilarItemsOfAnItemShareItsDepartment()
    {
        var knn = (Attune.Algorithms.ItemKnn.ItemKnnModel)Train("itemknn");
        int same = 0, total = 0;
        for (int i = 0; i < demo.Shop.Items.Count; i += 7)
        {
            int index = demo.Log.IndexOfItem(demo.Shop.Items[i].Id);
            var (neighbours, _) = knn.Neighbours(index);
            string department = demo.Shop.Items[i].Categories[0].Split('/')[0];
            foreach (int j in neighbours.Span[..Math.Min(5, neighbours.Length)])
            {
                total++;
                if (demo.Shop.Items.First(x => x.Id == demo.Log.ItemIds[j]).Categories[0].StartsWith(department, StringComparison.Ordinal)) same++;
            }
        }
        Assert.True(total > 100);
        Assert.True(same > total * 0.5, $"{same} of {total} neighbours share the department");
    }
}
