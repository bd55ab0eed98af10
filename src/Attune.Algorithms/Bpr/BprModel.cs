using System.Numerics.Tensors;
using Attune.Algorithms.Scoring;

namespace Attune.Algorithms.Bpr;

/// <summary>
/// A trained BPR model: user and item vectors plus an item bias; <c>score = x_u·y_i + b_i</c>. Someone the model has not seen
/// gets the mean of their items' vectors (BPR has no closed-form fold-in; the mean ranks items similar to the history first).
/// </summary>
public sealed class BprModel(int rank, float[] userFactors, float[] itemFactors, float[]? itemBias)
    : FactorModel(rank, userFactors, itemFactors, itemBias)
{
    /// <summary>Payload layout version; history: 1 = factors with item bias.</summary>
    private const int PayloadVersion = 1;

    public override string Name => "bpr";

    public override void InferUserVector(ReadOnlySpan<int> history, Span<float> userVector)
    {
        userVector.Clear();
        int n = 0;
        foreach (int item in history)
        {
            if ((uint)item >= (uint)Items) continue;
            TensorPrimitives.Add(userVector, ItemVector(item), userVector);
            n++;
        }
        if (n > 1) TensorPrimitives.Multiply(userVector, 1f / n, userVector);
    }

    /// <summary>Binary format: int32 payload version, then <see cref="FactorModel"/>'s factors (rank, users, items, bias).</summary>
    public override void Save(BinaryWriter writer)
    {
        writer.Write(PayloadVersion);
        SaveFactors(writer);
    }

    public static BprModel Load(BinaryReader reader)
    {
        int version = reader.ReadInt32();
        if (version != PayloadVersion) throw new InvalidDataException($"bpr payload version {version} is not {PayloadVersion}");
        var (rank, users, items, bias) = ReadFactors(reader);
        return new BprModel(rank, users, items, bias);
    }

    public static readonly ModelDescriptor Descriptor = new(
        "bpr",
        "Bayesian Personalized Ranking matrix factorization (Rendle et al. 2009): SGD on sampled pairwise preferences, item bias",
        p => new BprTrainer(BprOptions.FromParameters(p)),
        Load,
        BprOptions.SearchSpace);
}
