namespace Attune.Experiments.Statistics;

/// <summary>
/// An event-level quantile metric whose events cluster in users: gbstats <c>QuantileClusteredStatistic</c>. The iid variance
/// is inflated by the ratio of the clustered to the iid variance of the quantile's indicator (a delta-method ratio over
/// clusters).
/// </summary>
public sealed class QuantileClusteredStatistic : QuantileStatistic
{
    public QuantileClusteredStatistic(long n, long nStar, double nu, double quantileHat, double quantileLower, double quantileUpper,
        double mainSum, double mainSumSquares, double denominatorSum, double denominatorSumSquares,
        double mainDenominatorSumProduct, long nClusters) : base(n, nStar, nu, quantileHat, quantileLower, quantileUpper)
    {
        MainSum = mainSum;
        MainSumSquares = mainSumSquares;
        DenominatorSum = denominatorSum;
        DenominatorSumSquares = denominatorSumSquares;
        MainDenominatorSumProduct = mainDenominatorSumProduct;
        NClusters = nClusters;
    }

    /// <summary>Σ over clusters of the events below the quantile.</summary>
    public double MainSum { get; }
    public double MainSumSquares { get; }

    /// <summary>Σ over clusters of the events.</summary>
    public double DenominatorSum { get; }
    public double DenominatorSumSquares { get; }
    public double MainDenominatorSumProduct { get; }

    /// <summary>Clusters (users).</summary>
    public long NClusters { get; }

    /// <inheritdoc/>
    public override double VarianceInit
    {
        get
        {
            if (N <= 1 || Nu == 0 || NClusters <= 1 || DenominatorSum <= 0) return 0;
            double vIid = base.VarianceInit;
            double vNuIid = Nu * (1.0 - Nu) / N;
            return vIid * ClusterVariance / vNuIid;
        }
    }

    /// <summary>gbstats <c>get_cluster_variance</c>: the delta-method variance of Σmain/Σdenominator over clusters.</summary>
    public double ClusterVariance
    {
        get
        {
            double k = NClusters;
            double muS = MainSum / k;
            double muN = DenominatorSum / k;
            double sigma2S = (MainSumSquares / k - muS * muS) * k / (k - 1);
            double sigma2N = (DenominatorSumSquares / k - muN * muN) * k / (k - 1);
            double sigmaSN = (MainDenominatorSumProduct / k - muS * muN) * k / (k - 1);
            double num = sigma2S - 2 * muS * sigmaSN / muN + Math.Pow(muS, 2) * sigma2N / Math.Pow(muN, 2);
            double den = k * Math.Pow(muN, 2);
            return num / den;
        }
    }
}
