using Attune.Algorithms;
using Attune.Algorithms.Data;
using static Attune.Tests.Algorithms.AlgorithmTestData;

namespace Attune.Tests.Algorithms;

/// <summary>
/// Quality floors on MovieLens 100k (ratings as implicit positives, a random 75/25 split within each user, seed fixed, top-10
/// with training items removed, binary NDCG). For scale: Microsoft Recommenders publishes BPR at NDCG@10 0.442 on a similar
/// protocol (75/25 stratified by item); popularity scores about 0.26 here.
/// </summary>
public class MovieLensQualityTests
{
    private static string UData()
    {
        Assert.SkipWhen(TestPaths.SharedDatasets is null, "../shared/datasets is not present");
        string path = Path.Combine(TestPaths.SharedDatasets!, "movielens-100k", "u.data");
        Assert.SkipUnless(File.Exists(path), $"{path} is not present");
        return path;
    }

    [Theory]
    [InlineData("als", 0.40)]     // defaults reach about 0.49
    [InlineData("bpr", 0.38)]     // defaults reach about 0.43
    [InlineData("popularity", 0.2)]
    public void Default_options_clear_the_floor(string model, double floor)
    {
        var (train, test) = MovieLensSplit(UData(), seed: 42);
        var trained = ModelCatalog.CreateTrainer(model, ModelParameters.Empty).Fit(new TrainingData { Interactions = train, Seed = 42 });

        double ndcg = Ndcg(trained, train, test, 10);

        TestContext.Current.TestOutputHelper?.WriteLine($"{model}: NDCG@10 {ndcg:F4}");
        Assert.True(ndcg >= floor, $"{model}: NDCG@10 {ndcg:F4} is below {floor}");
    }
}
