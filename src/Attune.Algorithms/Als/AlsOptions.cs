namespace Attune.Algorithms.Als;

/// <summary>How <see cref="AlsTrainer"/> solves each user's and item's least-squares problem.</summary>
public enum AlsSolver
{
    /// <summary>A few conjugate-gradient steps warm-started from the previous sweep (Takács et al. 2011): O(n·k + k²) per step.</summary>
    ConjugateGradient,
    /// <summary>An exact solve: build the k × k system (O(n·k²)) and factor it (O(k³)). Slower; a reference for CG.</summary>
    Cholesky,
}

/// <summary>Hyper-parameters of implicit-feedback ALS. Parameter names (for <see cref="ModelParameters"/>) are in brackets.</summary>
/// <remarks>
/// The loss (Hu, Koren and Volinsky 2008, eq. 3, with the unobserved weight and frequency-scaled regularisation of Rendle,
/// Krichene, Zhang and Koren 2022, "Revisiting the Performance of iALS on Item Recommendation Benchmarks", eq. 4 and 7):
/// <code>
/// Σ_(u,i) observed  c_ui·(1 − x_u·y_i)²  +  α₀·Σ_(u,i) unobserved (x_u·y_i)²
///   + λ·Σ_u (|I_u| + α₀·|I|)^ν·‖x_u‖²  +  λ·Σ_i (|U_i| + α₀·|U|)^ν·‖y_i‖²,      c_ui = 1 + alpha·r_ui
/// </code>
/// With α₀ = 1 and ν = 0 this is Hu et al.'s iALS. The <c>implicit</c> library's confidence <c>alpha·r</c> plays the role of c
/// here: its defaults (alpha 1, regularization 0.01) on 0/1 data are our alpha = 0, reg = 0.01.
/// Each half-sweep solves, for every user, <c>(α₀·YᵀY + Σ_i (c_ui − α₀)·y_i·y_iᵀ + λ_u·I)·x_u = Σ_i c_ui·y_i</c>; the Gram
/// matrix YᵀY is computed once per half-sweep, so a user costs O(|I_u|·k) per CG step.
/// </remarks>
public sealed class AlsOptions
{
    /// <summary>Latent dimensions k [factors]. <value>The default is 64.</value> Multiples of 16 use the AVX-512 kernels.</summary>
    public int Factors { get; init; } = Defaults.Factors;

    /// <summary>Full sweeps (users then items) [iterations]. <value>The default is 15.</value></summary>
    public int Iterations { get; init; } = Defaults.Iterations;

    /// <summary>λ, the L2 weight [reg]. <value>The default is 20</value> (tuned on MovieLens 100k; larger, sparser data may want more); with <see cref="RegularizationExponent"/> = 1 use values near 0.01.</summary>
    public float Regularization { get; init; } = Defaults.Regularization;

    /// <summary>Confidence slope [alpha]: an observed entry of strength r weighs <c>1 + alpha·r</c>. <value>The default is 1.</value></summary>
    public float Alpha { get; init; } = Defaults.Alpha;

    /// <summary>α₀, the weight of each unobserved pair (target 0) [alpha0]. <value>The default is 1 (Hu et al.).</value></summary>
    public float UnobservedWeight { get; init; } = Defaults.UnobservedWeight;

    /// <summary>ν, the exponent of the frequency-scaled regularisation λ·(n + α₀·N)^ν [regExp]. <value>The default is 0 (a plain λ).</value></summary>
    public float RegularizationExponent { get; init; } = Defaults.RegularizationExponent;

    /// <summary>Solver [solver = cg | cholesky]. <value>The default is conjugate gradient.</value></summary>
    public AlsSolver Solver { get; init; } = AlsSolver.ConjugateGradient;

    /// <summary>Conjugate-gradient steps per solve [cgSteps]. <value>The default is 3</value>, as in <c>implicit</c>.</summary>
    public int CgSteps { get; init; } = Defaults.CgSteps;

    /// <summary>Standard deviation of the initial factors times √k [initStd]. <value>The default is 0.1</value> (each entry ~ N(0, 0.1²/k)).</summary>
    public float InitStd { get; init; } = Defaults.InitStd;

    /// <summary>Seed for the initial factors [seed]; null takes <see cref="Data.TrainingData.Seed"/>.</summary>
    public int? Seed { get; init; }

    /// <summary>
    /// Fits this many models from consecutive seeds and averages their scores [seeds] (one model of rank
    /// <c>seeds × factors</c> whose vectors are the fits' side by side, scaled by 1/√seeds: a known person's score is exactly
    /// the average). Averaging removes the part of the ranking that depends on the initial factors (on MovieLens 100k one
    /// configuration's MAP ranges 0.1543–0.1558 over seven seeds). <value>The default is 1.</value>
    /// </summary>
    public int Seeds { get; init; } = 1;

    public static class Defaults
    {
        public const int Factors = 64;
        public const int Iterations = 15;
        public const float Regularization = 20f;
        public const float Alpha = 1f;
        public const float UnobservedWeight = 1f;
        public const float RegularizationExponent = 0f;
        public const int CgSteps = 3;
        public const float InitStd = 0.1f;
    }

    /// <summary>What a tuner searches: the options that matter most, on the scales they act on.</summary>
    public static IReadOnlyList<ParameterRange> SearchSpace { get; } =
    [
        new("factors", 16, 256, LogScale: true, Integer: true),
        new("reg", 1e-3, 100, LogScale: true),
        new("alpha", 0.1, 100, LogScale: true),
        new("alpha0", 1e-3, 1, LogScale: true),
        new("regExp", 0, 1),
    ];

    public static AlsOptions FromParameters(ModelParameters p)
    {
        string solver = p.String("solver", "cg");
        var options = new AlsOptions
        {
            Factors = p.Int("factors", Defaults.Factors),
            Iterations = p.Int("iterations", Defaults.Iterations),
            Regularization = p.Float("reg", Defaults.Regularization),
            Alpha = p.Float("alpha", Defaults.Alpha),
            UnobservedWeight = p.Float("alpha0", Defaults.UnobservedWeight),
            RegularizationExponent = p.Float("regExp", Defaults.RegularizationExponent),
            CgSteps = p.Int("cgSteps", Defaults.CgSteps),
            InitStd = p.Float("initStd", Defaults.InitStd),
            Seed = p.Values.ContainsKey("seed") ? p.Int("seed", 0) : null,
            Seeds = p.Int("seeds", 1),
            Solver = solver.ToLowerInvariant() switch
            {
                "cg" or "conjugategradient" => AlsSolver.ConjugateGradient,
                "cholesky" => AlsSolver.Cholesky,
                _ => throw new ArgumentException($"parameter 'solver': '{solver}' is not cg or cholesky"),
            },
        };
        options.Validate();
        return options;
    }

    public void Validate()
    {
        if (Factors is < 1 or > 4096) throw new ArgumentException($"factors must be 1..4096, not {Factors}");
        if (Iterations < 0) throw new ArgumentException($"iterations must be ≥ 0, not {Iterations}");
        if (!(Regularization > 0)) throw new ArgumentException($"reg must be > 0, not {Regularization}");
        if (!(Alpha >= 0)) throw new ArgumentException($"alpha must be ≥ 0, not {Alpha}");
        if (!(UnobservedWeight > 0)) throw new ArgumentException($"alpha0 must be > 0, not {UnobservedWeight}");
        if (!(RegularizationExponent >= 0)) throw new ArgumentException($"regExp must be ≥ 0, not {RegularizationExponent}");
        if (CgSteps < 1) throw new ArgumentException($"cgSteps must be ≥ 1, not {CgSteps}");
        if (!(InitStd >= 0)) throw new ArgumentException($"initStd must be ≥ 0, not {InitStd}");
        if (Seeds is < 1 or > 16) throw new ArgumentException($"seeds must be 1..16, not {Seeds}");
        if ((long)Factors * Seeds > 4096) throw new ArgumentException($"factors × seeds must be at most 4096, not {(long)Factors * Seeds}");
    }
}
