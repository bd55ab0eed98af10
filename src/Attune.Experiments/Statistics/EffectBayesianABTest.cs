namespace Attune.Experiments.Statistics;

/// <summary>
/// Bayesian test on the effect itself (gbstats <c>EffectBayesianABTest</c>): the data give the effect ~ N(estimate, se²); with a
/// proper prior N(μ₀, σ₀²) the posterior precision is 1/se² + 1/σ₀² and its mean (estimate/se² + μ₀/σ₀²)/precision; with the
/// default improper flat prior the posterior is the data. Chance to win = P(effect &gt; 0); the interval is the central
/// 1 − alpha credible interval; risk = (E[max(0, δ)], E[max(0, −δ)]).
/// </summary>
/// <remarks>
/// A prior on the relative effect is rescaled by |control mean| (variance by its square) when the analysis is absolute or
/// scaled. The opposite case never rescales: gbstats tests <c>self.config == "absolute"</c>, comparing the config object with a
/// string, which is always false.
/// </remarks>
// REVIEW: that gbstats slip is reproduced on purpose (an absolute prior on a relative analysis is used as if relative).
public sealed class EffectBayesianABTest(Statistic control, Statistic treatment, EffectBayesianConfig? config = null)
    : BayesianABTest(control, treatment, config ?? new EffectBayesianConfig())
{
    private EffectBayesianConfig EffectConfig => (EffectBayesianConfig)Config;

    /// <inheritdoc/>
    public override BayesianTestResult ComputeResult()
    {
        if (MomentsResult.ErrorMessage is { } error) return DefaultOutput(error);

        var prior = EffectConfig.PriorEffect;
        if (!Relative && EffectConfig.PriorType == PriorType.Relative)
        {
            double baseline = Control.UnadjustedMean;
            if (prior.Proper && baseline == 0) return DefaultOutput(Messages.BaselineVariationZero);
            prior = new GaussianPrior(prior.Mean * Math.Abs(baseline), prior.Variance * Math.Pow(baseline, 2), prior.Proper);
        }

        double dataMean = MomentsResult.PointEstimate;
        double dataVariance = Math.Pow(MomentsResult.StandardError, 2);
        double postPrecision, meanDiff;
        if (dataVariance != 0)
        {
            postPrecision = 1 / dataVariance + (prior.Proper ? 1 / prior.Variance : 0);
            meanDiff = prior.Proper ? (dataMean / dataVariance + prior.Mean / prior.Variance) / postPrecision : dataMean;
        }
        else
        {
            postPrecision = prior.Proper ? 1 / prior.Variance : 0;
            meanDiff = prior.Proper ? prior.Mean : 0;
        }
        if (postPrecision == 0) return DefaultOutput(Messages.BaselineVariationZero);
        double stdDiff = Math.Sqrt(1 / postPrecision);

        double chanceToWin = ChanceToWin(meanDiff, stdDiff);
        var ci = CredibleInterval(meanDiff, stdDiff, Alpha);
        var risk = GetRisk(meanDiff, stdDiff);
        if (Inverse) risk = new Risk(risk.Treatment, risk.Control);
        var result = new BayesianTestResult(meanDiff, ci, Uplift.Normal(meanDiff, stdDiff), null, chanceToWin, risk, RiskType);
        return Scaled ? ScaleResult(result) : result;
    }

    /// <summary>The central 1 − alpha interval of N(mean, std²): gbstats <c>utils.gaussian_credible_interval</c>.</summary>
    public static Interval CredibleInterval(double mean, double std, double alpha) =>
        new(NormalDistribution.Quantile(alpha / 2) * std + mean, NormalDistribution.Quantile(1 - alpha / 2) * std + mean);

    /// <summary>
    /// Risk of δ ~ N(mu, sigma²): (P(δ &gt; 0)·E[δ | δ &gt; 0], −P(δ &lt; 0)·E[δ | δ &lt; 0]) (gbstats <c>get_risk</c>). Past 37
    /// standard deviations one probability is exactly 0 or 1 in doubles, so the answer is the limit (max(mu, 0), max(−mu, 0)).
    /// </summary>
    public static Risk GetRisk(double mu, double sigma)
    {
        if (sigma > 0 && Math.Abs(mu / sigma) > 37) return new Risk(Math.Max(mu, 0.0), Math.Max(-mu, 0.0));
        double probControlIsBetter = NormalDistribution.Cdf((0.0 - mu) / sigma);
        double meanNegative = NormalDistribution.TruncatedMean(mu, sigma, double.NegativeInfinity, 0.0);
        double meanPositive = NormalDistribution.TruncatedMean(mu, sigma, 0, double.PositiveInfinity);
        double riskControl = (1.0 - probControlIsBetter) * meanPositive;
        double riskTreatment = -(probControlIsBetter * meanNegative);
        return new Risk(riskControl, riskTreatment);
    }
}
