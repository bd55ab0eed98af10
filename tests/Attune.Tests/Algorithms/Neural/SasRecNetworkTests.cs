using Attune.Algorithms.Neural;
using Attune.Algorithms.Scoring;

namespace Attune.Tests.Algorithms.Neural;

/// <summary>The hand-written backward pass of SASRec against finite differences of its forward pass.</summary>
public class SasRecNetworkTests
{
    private const int Items = 9, Dim = 8, Length = 6, Blocks = 2;
    private static readonly int[] s_inputs = [3, 1, 4, 1, 5];

    /// <summary>A fixed linear read-out of the outputs: <c>loss = Σ c ⊙ output</c>, so <c>d loss / d output = c</c>.</summary>
    private static float[] ReadOut(int n)
    {
        var rng = FactorRandom.For(7, 1);
        var c = new float[n * Dim];
        rng.FillNormal(c, 1f);
        return c;
    }

    private static double Loss(SasRecNetwork network, SasRecWorkspace ws, float[] readOut)
    {
        var rng = default(FactorRandom);
        network.Forward(s_inputs, ws, 0f, ref rng);
        double loss = 0;
        for (int i = 0; i < readOut.Length; i++) loss += readOut[i] * ws.Output[i];
        return loss;
    }

    private static SasRecNetwork Network()
    {
        var network = new SasRecNetwork(Items, Dim, Dim, Length, Blocks);
        network.Initialize(11);
        // Non-trivial norms: gains and biases away from 1 and 0, so their gradients are checked too.
        var rng = FactorRandom.For(5, 2);
        var noise = new float[network.Weights.Length];
        rng.FillNormal(noise, 0.2f);
        for (int i = 0; i < noise.Length; i++) network.Weights[i] += noise[i];
        network.RefreshTransposed();
        return network;
    }

    [Fact]
    public void BackwardMatchesFiniteDifferences()
    {
        var network = Network();
        var ws = new SasRecWorkspace(network);
        var readOut = ReadOut(s_inputs.Length);
        Loss(network, ws, readOut);
        var grad = new float[network.Weights.Length];
        var itemGrad = new ItemGradients(Items, Dim);
        var dOut = (float[])readOut.Clone();
        network.Backward(s_inputs, ws, dOut, dropout: false, grad, itemGrad);

        // Every weight (places the sequence does not reach included: their gradient must be 0), then every item vector.
        var (worst, at) = WorstError(network.Weights, i => grad[i], () => Loss(network, ws, readOut));
        Assert.True(worst < 1, $"worst gradient error over {grad.Length} weights: {worst:G3} of the tolerance, at weight {at}");
        (worst, at) = WorstError(network.ItemVectors,
            i => itemGrad.Rows.Contains(i / Dim) ? itemGrad.Row(i / Dim)[i % Dim] : 0f, () => Loss(network, ws, readOut));
        Assert.True(worst < 1, $"worst item-vector gradient error: {worst:G3} of the tolerance, at value {at}");
    }

    /// <summary>
    /// The largest gap between each value's analytic gradient and its central difference, measured against 0.005 + 1 % of
    /// the difference (float32 rounding of the quotient); below 1 passes.
    /// </summary>
    private static (double Worst, string At) WorstError(float[] values, Func<int, float> analytic, Func<double> loss)
    {
        const float h = 3e-3f; // float32 forward: a smaller step drowns in rounding, a larger one crosses ReLU kinks
        double worst = 0;
        string at = "";
        for (int i = 0; i < values.Length; i++)
        {
            float saved = values[i];
            values[i] = saved + h;
            double up = loss();
            values[i] = saved - h;
            double down = loss();
            values[i] = saved;
            double numeric = (up - down) / (2 * h);
            double err = Math.Abs(numeric - analytic(i)) / (5e-3 + 0.01 * Math.Abs(numeric));
            if (err > worst) (worst, at) = (err, $"{i}: numeric {numeric:G5} analytic {analytic(i):G5}");
        }
        return (worst, at);
    }

    [Fact]
    public void OutputAtAPlaceDoesNotDependOnLaterItems()
    {
        var network = Network();
        var ws = new SasRecWorkspace(network);
        var rng = default(FactorRandom);
        network.Forward([3, 1, 4], ws, 0f, ref rng);
        var first = ws.Output.AsSpan(0, 2 * Dim).ToArray();
        network.Forward([3, 1, 7], ws, 0f, ref rng);
        // Places count from the latest item, so compare equal-length inputs that differ only in their last item.
        Assert.Equal(first, ws.Output.AsSpan(0, 2 * Dim).ToArray());
        Assert.NotEqual(first, ws.Output.AsSpan(Dim, 2 * Dim).ToArray());
    }
}
