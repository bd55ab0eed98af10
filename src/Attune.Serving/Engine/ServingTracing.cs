using System.Diagnostics;

namespace Attune.Serving.Engine;

/// <summary>
/// The engine's traces (activity source <see cref="SourceName"/>): a span per answer (<c>attune.recommend</c>,
/// <c>attune.rank</c>) and per training (<c>attune.train</c>). A host exports them (the server: OTLP when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set); with no listener <see cref="ActivitySource.StartActivity(string, ActivityKind)"/>
/// returns null and a request pays one check.
/// </summary>
internal static class ServingTracing
{
    public const string SourceName = "Attune";

    public static readonly ActivitySource Source = new(SourceName, typeof(ServingTracing).Assembly.GetName().Version?.ToString());

    // Attribute names (OpenTelemetry style: namespaced, lower case, dots).
    public const string Scenario = "attune.scenario";
    public const string Recipe = "attune.recipe";
    public const string Count = "attune.count";
    public const string ModelVersion = "attune.model.version";
    public const string Experiment = "attune.experiment";
    public const string Variant = "attune.variant";
    public const string Personalized = "attune.personalized";
    public const string TrainingReason = "attune.training.reason";
    public const string TrainingEvents = "attune.training.events";

    /// <summary>Tags an answer's span with what was served (the span is null when nobody listens).</summary>
    public static void Answered(Activity? activity, Recommendation answer)
    {
        if (activity is null) return;
        activity.SetTag(Scenario, answer.Scenario);
        activity.SetTag(Recipe, answer.Recipe);
        activity.SetTag(Count, answer.Items.Count);
        activity.SetTag(ModelVersion, answer.ModelVersion);
        activity.SetTag(Personalized, answer.Personalized);
        if (answer.Experiment is { } experiment)
        {
            activity.SetTag(Experiment, experiment.Id);
            activity.SetTag(Variant, experiment.Variant);
        }
    }

    public static void Failed(Activity? activity, Exception e)
    {
        if (activity is null) return;
        activity.SetStatus(ActivityStatusCode.Error, e.Message);
        activity.AddException(e);
    }
}
