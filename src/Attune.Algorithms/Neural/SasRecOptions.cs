namespace Attune.Algorithms.Neural;

/// <summary>Hyper-parameters of <see cref="SasRecModel"/>. Parameter names (for <see cref="ModelParameters"/>) are in brackets.</summary>
/// <remarks>
/// SASRec (Kang and McAuley 2018, "Self-Attentive Sequential Recommendation") trained with a sampled softmax cross-entropy
/// over the next item at every position instead of the paper's one-negative binary loss: Klenitskiy and Vasilev 2023
/// ("Turning Dross Into Gold Loss: is BERT4Rec really better than SASRec?") show the cross-entropy variant is the stronger one.
/// </remarks>
public sealed record SasRecOptions
{
    /// <summary>Width of item vectors and of every layer [dim]. <value>The default is 64.</value></summary>
    public int Dim { get; init; } = 64;

    /// <summary>Self-attention blocks [blocks]. <value>The default is 2.</value></summary>
    public int Blocks { get; init; } = 2;

    /// <summary>Latest items of a history the model reads [maxLength]. <value>The default is 50.</value></summary>
    public int MaxLength { get; init; } = 50;

    /// <summary>Passes over the training sequences [epochs]; null: as many as make <see cref="Positions"/> predicted positions
    /// (at least 3, at most 200). <value>The default is null.</value></summary>
    public int? Epochs { get; init; }

    /// <summary>With no <see cref="Epochs"/>: how many next-item predictions training makes in all [positions]. One count
    /// for every size of data: a small set gets many passes, a large one few, and training costs about the same (a minute or
    /// two on two cores). <value>The default is 4,000,000.</value></summary>
    public long Positions { get; init; } = 4_000_000;

    /// <summary>Adam step [learningRate]. <value>The default is 0.002.</value></summary>
    public float LearningRate { get; init; } = 0.002f;

    /// <summary>Sequences per step [batch]: small steps learn faster per pass (on Toys, 15 passes: nDCG@10 0.0295 with 32,
    /// 0.0192 with 128). <value>The default is 32.</value></summary>
    public int Batch { get; init; } = 32;

    /// <summary>Share of activations zeroed while training [dropout]. <value>The default is 0.3.</value></summary>
    public float Dropout { get; init; } = 0.3f;

    /// <summary>Items drawn uniformly per step as the softmax's negatives, shared by the step's sequences [negatives].
    /// <value>The default is 256.</value></summary>
    public int Negatives { get; init; } = 256;

    /// <summary>L2 weight on the item vectors a step touches [reg]. <value>The default is 0.</value></summary>
    public float Regularization { get; init; }

    /// <summary>Seed for initialisation, order, dropout and negatives [seed]; null takes <see cref="Data.TrainingData.Seed"/>.</summary>
    public int? Seed { get; init; }

    public static IReadOnlyList<ParameterRange> SearchSpace { get; } =
    [
        new("dim", 32, 128, LogScale: true, Integer: true),
        new("epochs", 10, 80, LogScale: true, Integer: true),
        new("learningRate", 3e-4, 1e-2, LogScale: true),
        new("dropout", 0.1, 0.6),
        new("maxLength", 10, 200, LogScale: true, Integer: true),
    ];

    public static SasRecOptions FromParameters(ModelParameters p)
    {
        var d = new SasRecOptions();
        return new SasRecOptions
        {
            Dim = p.Int("dim", d.Dim),
            Blocks = p.Int("blocks", d.Blocks),
            MaxLength = p.Int("maxLength", d.MaxLength),
            Epochs = p.Values.ContainsKey("epochs") ? p.Int("epochs", 0) : null,
            Positions = (long)p.Double("positions", d.Positions),
            LearningRate = p.Float("learningRate", d.LearningRate),
            Batch = p.Int("batch", d.Batch),
            Dropout = p.Float("dropout", d.Dropout),
            Negatives = p.Int("negatives", d.Negatives),
            Regularization = p.Float("reg", d.Regularization),
            Seed = p.Values.ContainsKey("seed") ? p.Int("seed", 0) : null,
        }.Validate();
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first value no model can use; returns the options.</summary>
    public SasRecOptions Validate()
    {
        static void Check(bool ok, string what)
        {
            if (!ok) throw new ArgumentException($"sasrec: {what}");
        }
        Check(Dim is >= 4 and <= 1024, $"dim must be 4…1024, not {Dim}");
        Check(Blocks is >= 1 and <= 8, $"blocks must be 1…8, not {Blocks}");
        Check(MaxLength is >= 1 and <= 1000, $"maxLength must be 1…1000, not {MaxLength}");
        Check(Epochs is null or (>= 0 and <= 10_000), $"epochs must be 0…10000, not {Epochs}");
        Check(Positions is >= 1 and <= 10_000_000_000, $"positions must be 1…10¹⁰, not {Positions}");
        Check(LearningRate is > 0 and < 1, $"learningRate must be in (0, 1), not {LearningRate}");
        Check(Batch is >= 1 and <= 65_536, $"batch must be 1…65536, not {Batch}");
        Check(Dropout is >= 0 and < 1, $"dropout must be in [0, 1), not {Dropout}");
        Check(Negatives is >= 1 and <= 100_000, $"negatives must be 1…100000, not {Negatives}");
        Check(Regularization >= 0, $"reg must be ≥ 0, not {Regularization}");
        return this;
    }
}
