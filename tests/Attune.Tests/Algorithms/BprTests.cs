using Attune.Algorithms;
using Attune.Algorithms.Bpr;
using Attune.Algorithms.Data;
using static Attune.Tests.Algorithms.AlgorithmTestData;

namespace Attune.Tests.Algorithms;

public class BprTests
{
    private static BprModel Train(InteractionMatrix m, BprOptions options, int threads = 1, int seed = 42) =>
        new BprTrainer(options).Fit(new TrainingData { Interactions = m, Threads = threads, Seed = seed });

    [Theory]
    [InlineData(5)]
    [InlineData(16)]
    public void Ranks_the_unseen_item_of_the_users_block_first(int factors)
    {
        var m = Blocks();
        var trainer = ModelCatalog.CreateTrainer("bpr", ModelParameters.Parse([$"factors={factors}", "epochs=100", "learningRate=0.05", "reg=0.01"]));
        var model = trainer.Fit(new TrainingData { Interactions = m, Threads = 1 });

        for (int u = 0; u < m.Users; u++) Assert.Equal(MissingItem(u), TopUnseen(model, m, u));
    }

    [Fact]
    public void A_new_visitor_is_scored_from_their_history()
    {
        var m = Blocks();
        var model = Train(m, new BprOptions { Factors = 16, Epochs = 100 });
        // Someone who took items 0 and 1 belongs to the first block: its other items beat the second block's.
        var scores = Scores(model, -1, [0, 1]);
        Assert.True(Math.Min(scores[2], Math.Min(scores[3], scores[4])) > Math.Max(scores[5], Math.Max(scores[6], scores[7])));
    }

    [Fact]
    public void Snapshot_save_and_load_round_trips_bit_for_bit()
    {
        var m = Random(40, 30, 0.2, seed: 2);
        var model = Train(m, new BprOptions { Factors = 16, Epochs = 5 });

        using var stream = new MemoryStream();
        ModelCatalog.Save(model, stream);
        stream.Position = 0;
        var loaded = Assert.IsType<BprModel>(ModelCatalog.Load(stream));

        Assert.Equal(model.ItemBias.ToArray(), loaded.ItemBias.ToArray());
        for (int u = 0; u < m.Users; u++) AlsTests.AssertBitIdentical(Scores(model, u, []), Scores(loaded, u, []));
        AlsTests.AssertBitIdentical(Scores(model, -1, [1, 2]), Scores(loaded, -1, [1, 2]));
    }

    [Fact]
    public void One_thread_and_a_seed_give_the_same_model_every_time()
    {
        var m = Random(100, 60, 0.1, seed: 9);
        var options = new BprOptions { Factors = 16, Epochs = 5 };
        var a = Train(m, options, seed: 5);
        var b = Train(m, options, seed: 5);
        var c = Train(m, options, seed: 6);

        Assert.Equal(a.UserFactors.ToArray(), b.UserFactors.ToArray());
        Assert.Equal(a.ItemFactors.ToArray(), b.ItemFactors.ToArray());
        Assert.Equal(a.ItemBias.ToArray(), b.ItemBias.ToArray());
        Assert.NotEqual(a.ItemFactors.ToArray(), c.ItemFactors.ToArray());
    }

    [Fact]
    public void Options_come_from_parameters_and_typos_are_errors()
    {
        var parsed = BprOptions.FromParameters(ModelParameters.Parse(["factors=32", "epochs=7", "learningRate=0.1", "reg=0.001", "seed=3", "itemBias=false"]));
        Assert.Equal((32, 7, 0.1f, 0.001f, (int?)3, false), (parsed.Factors, parsed.Epochs, parsed.LearningRate, parsed.Regularization, parsed.Seed, parsed.ItemBias));
        Assert.Throws<ArgumentException>(() => ModelCatalog.CreateTrainer("bpr", ModelParameters.Parse(["lr=0.1"])));
    }
}
