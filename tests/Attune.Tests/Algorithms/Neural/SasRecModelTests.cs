using Attune.Algorithms;
using Attune.Algorithms.Neural;
using Attune.Algorithms.Scoring;
using Attune.Tests.Algorithms.Sequence;

namespace Attune.Tests.Algorithms.Neural;

/// <summary>SASRec learns an order, trains the same for the same seed and threads, and survives a save and load.</summary>
public class SasRecModelTests
{
    private const int A = 0, B = 1, C = 2, Items = 40;

    /// <summary>Random items 3..39, where every other history holds A then B, and every sixth B then C (C never after A).</summary>
    private static List<int[]> Histories(int count = 800, int seed = 3)
    {
        var rng = new Random(seed);
        var rows = new List<int[]>();
        for (int s = 0; s < count; s++)
        {
            var row = new List<int>();
            int length = rng.Next(3, 9);
            for (int k = 0; k < length; k++) row.Add(rng.Next(3, Items));
            if (s % 2 == 0) row.InsertRange(rng.Next(row.Count + 1), [A, B]);
            if (s % 6 == 1) row.InsertRange(rng.Next(row.Count + 1), [B, C]);
            rows.Add([.. row]);
        }
        return rows;
    }

    private static IRecommender Train(string parameters, int threads = 1) =>
        ModelCatalog.CreateTrainer("sasrec", ModelParameters.Parse(parameters.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
            .Fit(SequenceProtocols.ToTrainingData(Histories(), Items, threads));

    private static float[] Scores(IRecommender model, params int[] history)
    {
        var scores = new float[model.Items];
        model.Score(-1, history, scores);
        return scores;
    }

    [Fact]
    public void LearnsWhatComesNext()
    {
        var model = Train("dim=16 epochs=40 batch=32 negatives=20 dropout=0.1");
        Span<int> top = stackalloc int[1];

        TopK.Select(Scores(model, 7, 12, A), 1, top);
        Assert.Equal(B, top[0]);
        TopK.Select(Scores(model, 9, B), 1, top);
        Assert.Equal(C, top[0]);
        var training = Assert.IsType<SasRecModel>(model).Training;
        Assert.Equal(40, training.Epochs);
        Assert.True(training.FinalLoss < Math.Log(21), $"the loss {training.FinalLoss} did not fall below chance");
    }

    [Fact]
    public void TheSameSeedAndThreadsTrainTheSameModel()
    {
        var first = Train("dim=16 epochs=3 batch=16 seed=5", threads: 2);
        var second = Train("dim=16 epochs=3 batch=16 seed=5", threads: 2);
        var other = Train("dim=16 epochs=3 batch=16 seed=6", threads: 2);

        Assert.Equal(Scores(first, 4, 5, A), Scores(second, 4, 5, A));
        Assert.NotEqual(Scores(first, 4, 5, A), Scores(other, 4, 5, A));
    }

    [Fact]
    public void ASavedModelScoresTheSameAndAnEmptyHistoryGetsPopularity()
    {
        var model = Train("dim=8 epochs=2 blocks=1 maxLength=5");
        using var stream = new MemoryStream();
        ModelCatalog.Save(model, stream);
        stream.Position = 0;
        var loaded = ModelCatalog.Load(stream);

        Assert.Equal(Scores(model, 3, 4, 5, 6, 7, 8, 9), Scores(loaded, 3, 4, 5, 6, 7, 8, 9));
        Assert.Equal(((SasRecModel)model).Training, ((SasRecModel)loaded).Training);
        var empty = Scores(loaded);
        Assert.True(empty[A] > empty[5] && empty[B] > empty[5], "A and B are in half the histories: more popular than any other item");
        Assert.Equal(Scores(loaded, 99, -1), empty); // items the model does not know are skipped
    }

    [Theory]
    [InlineData("dim=2", "dim")]
    [InlineData("dropout=1", "dropout")]
    [InlineData("epochs=-1", "epochs")]
    [InlineData("negatives=0", "negatives")]
    public void BadParametersAreNamed(string parameters, string name)
    {
        var e = Assert.Throws<ArgumentException>(() => Train(parameters));
        Assert.Contains(name, e.Message);
    }
}
