using System.Text.Json;
using Attune.Experiments.Assignment;
using Attune.Validation;

namespace Attune.Experiments.Running;

/// <summary>Checks an experiment's targeting condition as the API receives it.</summary>
public static class ExperimentTargeting
{
    /// <summary>Null when <paramref name="condition"/> is a valid GrowthBook condition, else the first problem (with its path).</summary>
    public static string? Check(JsonElement condition)
    {
        var problems = new List<FieldError>();
        Condition.Compile(AttributeJson.FromElement(condition), problems, "targeting");
        return problems.Count == 0 ? null : $"{problems[0].Field}: {problems[0].Message}";
    }
}
