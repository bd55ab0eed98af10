using System.Buffers;
using System.Numerics.Tensors;
using Attune.Algorithms.Scoring;

namespace Attune.Algorithms.Als;

/// <summary>
/// A trained iALS model: user and item vectors (row-major, <see cref="FactorModel.Rank"/> floats per row). Known users score
/// by dot product; anyone else is folded in: their vector is solved from their items against the fixed item factors, the same
/// least-squares problem training solves for a user (<see cref="FoldIn"/>).
/// </summary>
public sealed class AlsModel : FactorModel
{
    /// <summary>Payload layout version; history: 1 = factors, then alpha, alpha0, reg, regExp.</summary>
    private const int PayloadVersion = 1;

    /// <summary>α₀·YᵀY, computed once: every fold-in starts from it.</summary>
    private readonly float[] _scaledGram;

    public AlsModel(int rank, float[] userFactors, float[] itemFactors, float alpha, float unobservedWeight, float regularization, float regularizationExponent)
        : base(rank, userFactors, itemFactors, itemBias: null)
    {
        Alpha = alpha;
        UnobservedWeight = unobservedWeight;
        Regularization = regularization;
        RegularizationExponent = regularizationExponent;
        _scaledGram = FactorKernels.Gram(itemFactors, rank, Items, Environment.ProcessorCount);
        TensorPrimitives.Multiply(_scaledGram, unobservedWeight, _scaledGram);
    }

    public override string Name => "als";
    public float Alpha { get; }
    public float UnobservedWeight { get; }
    public float Regularization { get; }
    public float RegularizationExponent { get; }

    /// <summary>Folds in with every history entry as one observation of strength 1 (repeats count again).</summary>
    public override void InferUserVector(ReadOnlySpan<int> history, Span<float> userVector) => FoldIn(history, default, userVector);

    /// <summary>
    /// Solves the vector of a user the model has not seen from their <paramref name="items"/> and strengths
    /// <paramref name="values"/> (empty: all 1), exactly as a training sweep would (a Cholesky solve of the k × k system).
    /// Items outside the model are ignored. About 30 µs for 10 items at k = 64; allocates nothing after the first calls
    /// (buffers come from <see cref="ArrayPool{T}.Shared"/>).
    /// </summary>
    public void FoldIn(ReadOnlySpan<int> items, ReadOnlySpan<float> values, Span<float> userVector)
    {
        int k = Rank;
        if (userVector.Length != k) throw new ArgumentException($"userVector must have {k} floats", nameof(userVector));
        if (!values.IsEmpty && values.Length != items.Length) throw new ArgumentException("values must be empty or match items", nameof(values));

        var pool = ArrayPool<float>.Shared;
        float[] idxBuffer = pool.Rent(Math.Max(1, items.Length) * 3);
        float[] a = pool.Rent(k * k + 2 * k);
        double[] l = ArrayPool<double>.Shared.Rent(k * k + k);
        try
        {
            // Keep the items the model knows, with their confidence c and weight c − α₀.
            var kept = System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(idxBuffer.AsSpan(0, items.Length));
            var c = idxBuffer.AsSpan(items.Length, items.Length);
            var w = idxBuffer.AsSpan(2 * items.Length, items.Length);
            int n = 0;
            for (int j = 0; j < items.Length; j++)
            {
                if ((uint)items[j] >= (uint)Items) continue;
                float value = values.IsEmpty ? 1f : values[j];
                if (!(value > 0)) continue;
                kept[n] = items[j];
                c[n] = 1 + Alpha * value;
                w[n] = c[n] - UnobservedWeight;
                n++;
            }
            if (n == 0) { userVector.Clear(); return; }

            var system = a.AsSpan(0, k * k);
            var b = a.AsSpan(k * k, k);
            _scaledGram.CopyTo(system);
            FactorKernels.AddGram(ItemFactors, k, kept[..n], w[..n], system);
            float lambda = AlsSolve.Lambda(Regularization, RegularizationExponent, n, UnobservedWeight, Items);
            for (int j = 0; j < k; j++) system[j * k + j] += lambda;
            FactorKernels.SumRows(ItemFactors, k, kept[..n], c[..n], b, accumulate: false);
            DenseCholesky.Solve(system, b, userVector, k, l.AsSpan(0, k * k), l.AsSpan(k * k, k));
        }
        finally
        {
            pool.Return(idxBuffer);
            pool.Return(a);
            ArrayPool<double>.Shared.Return(l);
        }
    }

    /// <summary>
    /// Binary format: int32 payload version, then <see cref="FactorModel"/>'s factors (int32 rank, user factors, item factors,
    /// empty bias), then float32 alpha, alpha0, reg, regExp.
    /// </summary>
    public override void Save(BinaryWriter writer)
    {
        writer.Write(PayloadVersion);
        SaveFactors(writer);
        writer.Write(Alpha);
        writer.Write(UnobservedWeight);
        writer.Write(Regularization);
        writer.Write(RegularizationExponent);
    }

    public static AlsModel Load(BinaryReader reader)
    {
        int version = reader.ReadInt32();
        if (version != PayloadVersion) throw new InvalidDataException($"als payload version {version} is not {PayloadVersion}");
        var (rank, users, items, _) = ReadFactors(reader);
        return new AlsModel(rank, users, items, reader.ReadSingle(), reader.ReadSingle(), reader.ReadSingle(), reader.ReadSingle());
    }

    public static readonly ModelDescriptor Descriptor = new(
        "als",
        "Implicit-feedback matrix factorization (iALS, Hu et al. 2008; frequency-scaled regularization of Rendle et al. 2022); conjugate-gradient or Cholesky solves",
        p => new AlsTrainer(AlsOptions.FromParameters(p)),
        Load,
        AlsOptions.SearchSpace);
}
