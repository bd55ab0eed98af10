namespace Attune.Experiments.Statistics;

/// <summary>
/// What a test reports (gbstats <c>TestResult</c>): the effect's estimate, its interval and its normal approximation. When
/// <see cref="ErrorMessage"/> is set the test could not run and the numbers are gbstats' uninformative defaults.
/// </summary>
/// <param name="Expected">The effect (JSON <c>expected</c>).</param>
/// <param name="Ci">Confidence or credible interval; a one-sided test has one infinite end (JSON <c>ci</c>).</param>
/// <param name="Uplift">The effect's distribution, normal with this mean and standard deviation (JSON <c>uplift</c>).</param>
/// <param name="ErrorMessage">One of <see cref="Messages"/>, or null (JSON <c>errorMessage</c>).</param>
public abstract record TestResult(double Expected, Interval Ci, Uplift Uplift, string? ErrorMessage);
