using Attune.Algorithms;
using Attune.Algorithms.Scoring;
using Attune.Algorithms.Sequence;

namespace Attune.Tests.Algorithms.Sequence;

public class SequenceModelTests
{
    private const int A = 0, B = 1, Items = 40;

    /// <summary>Sessions of random items 2..39 where, in every other session, item A is directly followed by item B.</summary>
    private static List<int[]> AfterAComesB(int sessions = 600, int seed = 3)
    {
        var rng = new Random(seed);
        var rows = new List<int[]>();
        for (int s = 0; s < sessions; s++)
        {
            var row = new List<int>();
            int length = rng.Next(3, 8);
            for (int k = 0; k < length; k++) row.Add(rng.Next(2, Items));
            if (s % 2 == 0) row.InsertRange(rng.Next(row.Count + 1), [A, B]);
            else if (s % 6 == 1) row.Insert(rng.Next(row.Count + 1), A);
            rows.Add([.. row]);
        }
        return rows;
    }

    private static IRecommender Train(string parameters, List<int[]>? rows = null) =>
        ModelCatalog.CreateTrainer("sequence", ModelParameters.Parse(parameters.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
            .Fit(SequenceProtocols.ToTrainingData(rows ?? AfterAComesB(), Items, threads: 1));

    public static TheoryData<string> Settings => new()
    {
        "transitions=1 neighbors=0",
        "transitions=0 neighbors=1",
        "transitions=1 neighbors=1 repeat=0.5",
        "learn=true",
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void RanksBFirstAfterA(string parameters)
    {
        var model = Train(parameters);
        var scores = new float[model.Items];
        Span<int> top = stackalloc int[3];

        model.Score(-1, [7, 12, A], scores);
        TopK.Select(scores, 3, top);

        Assert.Equal(B, top[0]);
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void WritesEveryScoreAndAnswersAnEmptyHistory(string parameters)
    {
        var model = Train(parameters);
        var scores = new float[model.Items];
        Array.Fill(scores, float.NaN);

        model.Score(-1, [A], scores);
        Assert.All(scores, s => Assert.True(float.IsFinite(s)));

        Array.Fill(scores, float.NaN);
        model.Score(-1, [], scores);
        Assert.All(scores, s => Assert.True(float.IsFinite(s)));
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void SaveAndLoadGiveIdenticalScores(string parameters)
    {
        var model = Train(parameters);
        using var stream = new MemoryStream();
        ModelCatalog.Save(model, stream);
        stream.Position = 0;
        var loaded = ModelCatalog.Load(stream);

        Assert.Equal(model.Name, loaded.Name);
        Assert.Equal(model.Items, loaded.Items);
        foreach (int[] history in new int[][] { [A], [3, 9, A, 4], [5, 5, 2], [] })
        {
            var expected = new float[model.Items];
            var actual = new float[model.Items];
            model.Score(-1, history, expected);
            loaded.Score(-1, history, actual);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void ScoresTheSameFromManyThreads()
    {
        var model = Train("learn=true");
        var histories = AfterAComesB(200, seed: 9).Select(r => r[..Math.Max(1, r.Length / 2)]).ToArray();
        var expected = histories.Select(h =>
        {
            var s = new float[model.Items];
            model.Score(-1, h, s);
            return s;
        }).ToArray();

        Parallel.For(0, 2000, new ParallelOptions { MaxDegreeOfParallelism = 4 }, x =>
        {
            var s = new float[model.Items];
            model.Score(-1, histories[x % histories.Length], s);
            Assert.Equal(expected[x % histories.Length], s);
        });
    }

    [Fact]
    public void AKnownUserIsNotItsOwnNeighbour()
    {
        // User 0's only sequence is [A, 7, 8]; nobody else has A followed by 8. As a stranger, [A, 7] leads to 8 (session 0
        // is a neighbour); as user 0, its own sequence must not count.
        var rows = new List<int[]> { new[] { A, 7, 8 } };
        rows.AddRange(Enumerable.Range(0, 50).Select(s => new[] { A, 7, 10 + s % 20 }));
        var model = Train("transitions=0 neighbors=1 k=100 popularity=0", rows);
        var stranger = new float[model.Items];
        var self = new float[model.Items];

        model.Score(-1, [A, 7], stranger);
        model.Score(0, [A, 7], self);

        Assert.True(stranger[8] > 0);
        Assert.Equal(0, self[8]);
    }

    [Fact]
    public void UnknownParameterIsAnError()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelCatalog.CreateTrainer("sequence", ModelParameters.Parse(["windw=3"])));
        Assert.Contains("windw", e.Message);
    }

    [Fact]
    public void NeedsSequences()
    {
        var data = SequenceProtocols.ToTrainingData(AfterAComesB(), Items);
        var withoutOrder = new Attune.Algorithms.Data.TrainingData { Interactions = data.Interactions };
        Assert.Throws<ArgumentException>(() => ModelCatalog.CreateTrainer("sequence", ModelParameters.Empty).Fit(withoutOrder));
    }
}
