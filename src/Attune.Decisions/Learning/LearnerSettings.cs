namespace Attune.Decisions.Learning;

/// <summary>How a decision point explores: which algorithm turns the learner's predicted rewards into probabilities.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(Attune.Decisions.Points.KebabEnumConverter<ExplorationAlgorithm>))]
public enum ExplorationAlgorithm
{
    /// <summary>SquareCB (Foster and Rakhlin 2020, VW's <c>--squarecb</c>): an action's probability falls with its predicted gap to the
    /// best, and exploration narrows as evidence grows (γ = gammaScale · n^gammaExponent). The default.</summary>
    SquareCb,
    /// <summary>The best action with probability 1 − ε (+ ε/K); every action ε/K (Personalizer's exploration percentage).</summary>
    EpsilonGreedy,
    /// <summary>p ∝ exp(λ · predicted reward).</summary>
    Softmax,
    /// <summary>Linear Thompson sampling with a diagonal posterior over the weights; probabilities estimated by 64 posterior draws.</summary>
    Thompson,
}

/// <summary>Exploration settings of a decision point (see <see cref="ExplorationAlgorithm"/>); unused fields are ignored.</summary>
public sealed record ExplorationSettings
{
    public ExplorationAlgorithm Algorithm { get; init; } = ExplorationAlgorithm.SquareCb;
    /// <summary>ε of ε-greedy, in [0, 1].</summary>
    public double Epsilon { get; init; } = 0.2;
    /// <summary>λ of softmax (larger is greedier), ≥ 0.</summary>
    public double Lambda { get; init; } = 20;
    /// <summary>SquareCB's γ at the first example (VW's default is 10; 50 chose itself on simulations, see docs/decisions.md).</summary>
    public double GammaScale { get; init; } = 50;
    /// <summary>SquareCB's γ growth with the examples learned (VW's default 0.5).</summary>
    public double GammaExponent { get; init; } = 0.5;
    /// <summary>Thompson sampling: the posterior's scale (the reward noise's standard deviation). 0.25 measured best on both
    /// simulations (`Attune.Harness.dll decisions`: prices 94.9 % of the oracle on held-out seeds against 92.6 % at 0.5; the audience
    /// 89.6 % against 84.9 %).</summary>
    public double ThompsonScale { get; init; } = 0.25;

    public static ExplorationSettings Default { get; } = new();
}

/// <summary>What a decision point's learner predicts.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(Attune.Decisions.Points.KebabEnumConverter<RewardModel>))]
public enum RewardModel
{
    /// <summary>The reward itself, as a linear function of the features (VW's squared loss). The default.</summary>
    Linear,
    /// <summary>
    /// The probability that the action converts, as a logistic function of the features; the reward is the action's worth
    /// (<c>worth</c>, a share in (0, 1]) when it converts and 0 when not. For prices (worth = the price as a share of the list
    /// price) and offers: the learner models demand, and the revenue follows from it.
    /// </summary>
    Conversion,
}

/// <summary>How a decision point's learner learns.</summary>
public sealed record LearningSettings
{
    /// <summary>What the learner predicts (the reward, or the conversion that earns the action's worth). <value>Linear.</value></summary>
    public RewardModel RewardModel { get; init; } = RewardModel.Linear;
    /// <summary>Step size of the adaptive updates, in (0, 10].</summary>
    public double LearningRate { get; init; } = 0.1;
    /// <summary>log₂ of the weight table's size (VW's <c>-b</c>), 12 to 24.</summary>
    public int Bits { get; init; } = 18;
    /// <summary>Whether context × action products are features (VW's <c>-q</c>): what lets the best action depend on the context.</summary>
    public bool Interactions { get; init; } = true;
    /// <summary>The most an example's inverse propensity may weigh (clipping bounds the variance of rare actions' updates).</summary>
    public double ImportanceWeightCap { get; init; } = 10;
    /// <summary>Ridge prior of Thompson sampling's posterior (precision before any evidence).</summary>
    public double Prior { get; init; } = 1;

    public static LearningSettings Default { get; } = new();
}
