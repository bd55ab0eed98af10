using Attune.Algorithms;
using Attune.Algorithms.Hybrid;

namespace Attune.Tests.Algorithms;

/// <summary>The blend of two models learns the same weights whichever is named first.</summary>
public sealed class HybridTrainerTests(DemoShopFixture demo) : IClassFixture<DemoShopFixture>
{
    private HybridTrainer Fit(string components)
    {
        var trainer = (HybridTrainer)ModelCatalog.CreateTrainer("hybrid", ModelParameters.Parse([$"components={components}"]));
        trainer.Fit(demo.Training, TestContext.Current.CancellationToken);
        return trainer;
    }

    [Fact]
    public void A_blend_of_two_learns_the_same_weights_in_either_order()
    {
        var first = Fit("itemknn,als").LearnedWeights;
        var second = Fit("als,itemknn").LearnedWeights;

        Assert.Equal(first["itemknn"], second["itemknn"]);
        Assert.Equal(first["als"], second["als"]);
        Assert.Equal(1f, first["itemknn"] + first["als"], 5); // a share of the weight, in steps of 1/40
        Assert.Equal(0f, first["als"] * 40 - MathF.Round(first["als"] * 40), 4);
    }
}
