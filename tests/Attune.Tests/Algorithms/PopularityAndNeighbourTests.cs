using Attune.Algorithms;
using Attune.Algorithms.Data;
using Attune.Algorithms.ItemKnn;

namespace Attune.Tests.Algorithms;

public sealed class PopularityAndNeighbourTests
{
    private const long Day = 86_400_000;
    private const long Now = 1_780_000_000_000;

    private static float[] Scores(IRecommender model, int user = -1, params int[] history)
    {
        var s = new float[model.Items];
        model.Score(user, history, s);
        return s;
    }

    [Fact]
    public void DecayedPopularityFavoursRecentInteractionsAndTrendingFindsTheRisingItem()
    {
        // Arrange: "steady" gets 5 views a day for 30 days; "rising" gets 1 a day, then 20 on the last day.
        var log = new InteractionLog();
        int person = 0;
        for (int d = 30; d >= 1; d--)
        {
            for (int v = 0; v < 5; v++) log.Add($"p{person++}", "steady", 1, Now - d * Day, 1);
            log.Add($"p{person++}", "rising", 1, Now - d * Day, 1);
        }
        for (int v = 0; v < 20; v++) log.Add($"p{person++}", "rising", 1, Now - v * 1000, 1);
        log.Add($"p{person++}", "old", 1, Now - 300 * Day, 1);
        var data = log.Build();
        int steady = log.IndexOfItem("steady"), rising = log.IndexOfItem("rising"), old = log.IndexOfItem("old");

        // Act
        var plain = Scores(ModelCatalog.CreateTrainer("popularity", ModelParameters.Empty).Fit(data));
        var decayed = Scores(ModelCatalog.CreateTrainer("popularity", ModelParameters.Parse(["halfLifeDays=3"])).Fit(data));
        var trending = Scores(ModelCatalog.CreateTrainer("trending", ModelParameters.Empty).Fit(data));

        // Assert
        Assert.True(plain[steady] > plain[rising]);          // 150 vs 50 in all
        Assert.True(decayed[rising] > decayed[steady]);      // the last days dominate
        Assert.True(decayed[old] < 0.001f);
        Assert.True(trending[rising] > trending[steady] && trending[rising] > 0);
    }

    [Fact]
    public void BoughtTogetherAndViewedTogetherAreSeparateNeighbourhoods()
    {
        // People view a coat with a scarf, but buy the coat with boots.
        var log = new InteractionLog();
        for (int p = 0; p < 30; p++)
        {
            log.Add($"p{p}", "coat", 1, Now, type: 1);
            log.Add($"p{p}", "scarf", 1, Now, type: 1);
            log.Add($"p{p}", "coat", 5, Now, type: 5);
            if (p % 2 == 0) log.Add($"p{p}", "boots", 5, Now, type: 5);
        }
        var data = log.Build();
        int coat = log.IndexOfItem("coat"), scarf = log.IndexOfItem("scarf"), boots = log.IndexOfItem("boots");

        var viewed = (ItemKnnModel)ModelCatalog.CreateTrainer("itemknn", ModelParameters.Parse(["types=1"])).Fit(data);
        var bought = (ItemKnnModel)ModelCatalog.CreateTrainer("itemknn", ModelParameters.Parse(["types=5,3"])).Fit(data);

        Assert.Equal(scarf, viewed.Neighbours(coat).Items.Span[0]);
        Assert.Equal(boots, bought.Neighbours(coat).Items.Span[0]);
        Assert.Equal(1, bought.Neighbours(coat).Items.Length);
    }

    [Fact]
    public void UnknownModelOrParameterIsAClearError()
    {
        Assert.Contains("unknown model", Assert.Throws<ArgumentException>(() => ModelCatalog.Get("nope")).Message);
        Assert.Contains("'lamda'", Assert.Throws<ArgumentException>(() => ModelCatalog.CreateTrainer("ease", ModelParameters.Parse(["lamda=3"]))).Message);
    }
}
