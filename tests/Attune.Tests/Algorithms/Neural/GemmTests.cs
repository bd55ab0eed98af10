using Attune.Algorithms.Neural;
using Attune.Algorithms.Scoring;

namespace Attune.Tests.Algorithms.Neural;

/// <summary>The SIMD products against the textbook loops, for widths that take every path (32-wide blocks, 8-wide rest, scalar).</summary>
public class GemmTests
{
    private static float[] Random(int n, int seed)
    {
        var values = new float[n];
        FactorRandom.For(seed, 9).FillNormal(values, 1f);
        for (int i = 0; i < n; i += 7) values[i] = 0; // zeros are skipped by the kernels: include some
        return values;
    }

    private static void Close(double expected, float actual) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-4 * (1 + Math.Abs(expected)), $"{actual} is not {expected}");

    [Theory]
    [InlineData(5, 13, 72)]
    [InlineData(4, 64, 64)]
    [InlineData(1, 3, 8)]
    [InlineData(3, 6, 7)]
    public void MatMulAndAddOuterMatchTheDefinition(int rows, int inDim, int outDim)
    {
        var x = Random(rows * inDim, 1);
        var w = Random(inDim * outDim, 2);
        var bias = Random(outDim, 3);
        var dy = Random(rows * outDim, 4);

        var y = new float[rows * outDim];
        Gemm.MatMul(x, rows, inDim, w, outDim, bias, y);
        var more = (float[])y.Clone();
        Gemm.MatMul(x, rows, inDim, w, outDim, default, more, accumulate: true);
        var dW = Random(inDim * outDim, 5);
        var expectedDW = (float[])dW.Clone();
        Gemm.AddOuter(x, rows, inDim, dy, outDim, dW);

        for (int t = 0; t < rows; t++)
            for (int c = 0; c < outDim; c++)
            {
                double sum = 0;
                for (int i = 0; i < inDim; i++) sum += x[t * inDim + i] * w[i * outDim + c];
                Close(sum + bias[c], y[t * outDim + c]);
                Close(2 * sum + bias[c], more[t * outDim + c]);
            }
        for (int i = 0; i < inDim; i++)
            for (int c = 0; c < outDim; c++)
            {
                double sum = expectedDW[i * outDim + c];
                for (int t = 0; t < rows; t++) sum += x[t * inDim + i] * dy[t * outDim + c];
                Close(sum, dW[i * outDim + c]);
            }
    }
}
