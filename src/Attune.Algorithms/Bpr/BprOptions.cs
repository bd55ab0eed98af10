namespace Attune.Algorithms.Bpr;

/// <summary>Hyper-parameters of BPR. Parameter names (for <see cref="ModelParameters"/>) are in brackets.</summary>
/// <remarks>
/// Bayesian Personalized Ranking (Rendle, Freudenthaler, Gantner and Schmidt-Thieme 2009, "BPR: Bayesian Personalized Ranking
/// from Implicit Feedback", algorithm LearnBPR): for a sampled user u, one of their items i and an item j they have not touched,
/// ascend <c>ln σ(x_u·(y_i − y_j) + b_i − b_j) − reg·(‖x_u‖² + ‖y_i‖² + ‖y_j‖² + b_i² + b_j²)/2</c> by SGD. Positives are drawn
/// uniformly from the observed pairs and negatives uniformly from the catalogue (rejecting the user's own items).
/// </remarks>
public sealed class BprOptions
{
    /// <summary>Latent dimensions [factors]. <value>The default is 64.</value></summary>
    public int Factors { get; init; } = Defaults.Factors;

    /// <summary>Passes; each draws as many samples as there are observed pairs [epochs]. <value>The default is 100.</value></summary>
    public int Epochs { get; init; } = Defaults.Epochs;

    /// <summary>SGD step [learningRate]. <value>The default is 0.02.</value></summary>
    public float LearningRate { get; init; } = Defaults.LearningRate;

    /// <summary>L2 weight [reg]. <value>The default is 0.01.</value></summary>
    public float Regularization { get; init; } = Defaults.Regularization;

    /// <summary>Whether to learn a bias per item [itemBias]. <value>The default is true.</value></summary>
    public bool ItemBias { get; init; } = true;

    /// <summary>Standard deviation of the initial factors times √k [initStd]. <value>The default is 0.1.</value></summary>
    public float InitStd { get; init; } = Defaults.InitStd;

    /// <summary>Seed for initialisation and sampling [seed]; null takes <see cref="Data.TrainingData.Seed"/>.</summary>
    public int? Seed { get; init; }

    public static class Defaults
    {
        public const int Factors = 64;
        public const int Epochs = 100;
        public const float LearningRate = 0.02f;
        public const float Regularization = 0.01f;
        public const float InitStd = 0.1f;
    }

    public static IReadOnlyList<ParameterRange> SearchSpace { get; } =
    [
        new("factors", 16, 256, LogScale: true, Integer: true),
        new("epochs", 10, 200, LogScale: true, Integer: true),
        new("learningRate", 1e-3, 0.3, LogScale: true),
        new("reg", 1e-5, 0.1, LogScale: true),
    ];

    public static BprOptions FromParameters(ModelParameters p)
    {
        var options = new BprOptions
        {
            Factors = p.Int("factors", Defaults.Factors),
            Epochs = p.Int("epochs", Defaults.Epochs),
            LearningRate = p.Float("learningRate", Defaults.LearningRate),
            Regularization = p.Float("reg", Defaults.Regularization),
            ItemBias = p.Bool("itemBias", true),
            InitStd = p.Float("initStd", Defaults.InitStd),
            Seed = p.Values.ContainsKey("seed") ? p.Int("seed", 0) : null,
        };
        options.Validate();
        return options;
    }

    public void Validate()
    {
        if (Factors is < 1 or > 4096) throw new ArgumentException($"factors must be 1..4096, not {Factors}");
        if (Epochs < 0) throw new ArgumentException($"epochs must be ≥ 0, not {Epochs}");
        if (!(LearningRate > 0)) throw new ArgumentException($"learningRate must be > 0, not {LearningRate}");
        if (!(Regularization >= 0)) throw new ArgumentException($"reg must be ≥ 0, not {Regularization}");
        if (!(InitStd >= 0)) throw new ArgumentException($"initStd must be ≥ 0, not {InitStd}");
    }
}
