using Attune.Algorithms;
using Attune.Algorithms.Scoring;
using Attune.Demo;
using Attune.Serving.Training;
using Attune.Storage.Sqlite;

namespace Attune.Tests.Training;

/// <summary>From the store to a trained model: the path serving will take.</summary>
public sealed class StoreTrainingDataTests
{
    [Fact]
    public async Task DemoStoreBecomesTrainingDataWithUnifiedProfilesAndAModelThatLearnsTastes()
    {
        // Arrange: a small demo shop in a real store.
        using var dir = TestPaths.NewTempDirectory();
        var shop = DemoShop.Generate(new DemoOptions { Users = 600, Items = 300, Days = 30, Seed = 3, End = DemoOptions.DefaultEnd(TimeProvider.System) });
        await using var store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = dir.Path });
        await DemoLoader.LoadAsync(store, shop, ct: TestContext.Current.CancellationToken);

        // Act
        var (data, log) = await StoreTrainingData.LoadAsync(store, threads: 1, TestContext.Current.CancellationToken);

        // Assert: every catalog item has an index and content; identified visitors are folded into their users.
        Assert.Equal(300, data.Items);
        Assert.All(Enumerable.Range(0, 300), i => Assert.NotEmpty(data.Content!.Attributes[i]));
        var identified = shop.Events().Where(e => e.UserId is not null && e.AnonymousId is not null).Select(e => e.AnonymousId!).ToHashSet();
        Assert.NotEmpty(identified);
        Assert.DoesNotContain(log.UserIds, identified.Contains);
        Assert.True(data.Interactions.NonZeros > 5_000);
        Assert.Equal(data.Users, data.Sequences!.Rows);

        // A model trained from the store prefers what people truly like over what is merely popular.
        var knn = ModelCatalog.CreateTrainer("itemknn", ModelParameters.Empty).Fit(data, TestContext.Current.CancellationToken);
        var pop = ModelCatalog.CreateTrainer("popularity", ModelParameters.Empty).Fit(data, TestContext.Current.CancellationToken);
        double TruthOfTop(IRecommender model)
        {
            double total = 0;
            var scores = new float[data.Items];
            var top = new int[10];
            int people = 0;
            foreach (var user in shop.Users.Take(200))
            {
                int u = log.IndexOfUser(user.Id);
                if (u < 0) continue;
                model.Score(u, data.Sequences.Row(u), scores);
                foreach (int i in data.Interactions.ItemsOf(u)) scores[i] = float.NegativeInfinity;
                int k = TopK.Select(scores, 10, top);
                for (int r = 0; r < k; r++) total += shop.Truth.Score(user.Id, shop.Items.First(x => x.Id == log.ItemIds[top[r]]));
                people++;
            }
            return total / people;
        }
        Assert.True(TruthOfTop(knn) > TruthOfTop(pop) * 1.2);
    }
}
