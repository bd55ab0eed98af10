namespace Attune.Predictions.Clv;

/// <summary>
/// A model fitted by maximum likelihood: its parameters by the literature's names, the log-likelihood at them, and whether
/// the optimizer converged (when not, <see cref="Reason"/> says why; the parameters are the best point it reached). A model
/// fitted per cohort (sBG) has one fit per cohort in <see cref="Cohorts"/> and no parameters of its own.
/// </summary>
public sealed record ClvFit(string Model, IReadOnlyDictionary<string, double> Params, double LogLikelihood, bool Converged, string? Reason)
{
    public IReadOnlyDictionary<string, ClvFit>? Cohorts { get; init; }

    public double this[string name] => Params[name];
}

/// <summary>One customer's purchase summary: repeat purchases <see cref="X"/> (frequency), the time of the last one
/// <see cref="Tx"/> (recency, 0 without repeat), the time observed <see cref="T"/>, and optionally their mean spend per
/// repeat purchase (<see cref="MeanSpend"/>, Gamma-Gamma).</summary>
public readonly record struct CustomerSummary(string Id, double X, double Tx, double T, double MeanSpend = 0, double Weight = 1);
