namespace Attune.Experiments.Statistics;

/// <summary>
/// How many more units an experiment needs for its target power at the MDE (gbstats <c>AdditionalSampleSizeNeededResult</c>):
/// "keep running: <see cref="AdditionalUsers"/> more people needed".
/// </summary>
/// <param name="AdditionalUsers">More units needed across both arms; 0 when already powered; null when it could not be found.</param>
/// <param name="ScalingFactor">The multiple of the current sample size still needed.</param>
/// <param name="UpperBoundAchieved">The search hit its limit (2²⁷ times the current sample).</param>
/// <param name="UpdateMessage"><c>successful</c>, <c>successful, upper bound hit</c>, <c>unsuccessful</c> or <c>error in input</c>.</param>
/// <param name="Error">Why it failed, if it did.</param>
/// <param name="TargetPower">The power aimed at.</param>
public sealed record AdditionalSampleSizeNeededResult(double? AdditionalUsers, double? ScalingFactor, bool UpperBoundAchieved,
    string UpdateMessage, string? Error, double TargetPower);
