namespace Attune.Predictions.Propensity;

/// <summary>One reason behind a person's probability: a feature, its value, how far it moved the score (log-odds) and in words.</summary>
public sealed record PropensityReason(string Feature, float Value, double Effect, string Text);

/// <summary>
/// A version of the propensity models, ready to score people: their features (<see cref="PersonFeatures"/>) → one calibrated
/// probability per model (NaN where the person is outside the model's population), and the features that moved it most.
/// </summary>
public sealed class PropensityScorer(IReadOnlyList<PropensityModel> models, int version, DateTimeOffset trainedAt)
{
    public IReadOnlyList<PropensityModel> Models { get; } = models;
    public int Version { get; } = version;
    public DateTimeOffset TrainedAt { get; } = trainedAt;

    /// <summary>Writes each model's probability for these features (NaN when not eligible) into <paramref name="probabilities"/>.</summary>
    public void Score(ReadOnlySpan<float> features, Span<float> probabilities)
    {
        for (int m = 0; m < Models.Count; m++)
        {
            var model = Models[m];
            probabilities[m] = model.Target.Eligible(features) ? (float)model.Classifier.Probability(features) : float.NaN;
        }
    }

    public int IndexOf(string target)
    {
        for (int m = 0; m < Models.Count; m++) if (Models[m].Target.Name == target) return m;
        return -1;
    }

    /// <summary>The <paramref name="count"/> features that moved model <paramref name="m"/>'s score for this person the most.</summary>
    public IReadOnlyList<PropensityReason> Explain(int m, ReadOnlySpan<float> features, int count = 3)
    {
        Span<double> contributions = stackalloc double[PersonFeatures.Count];
        contributions.Clear();
        Models[m].Classifier.Trees.Contributions(features, contributions);
        var reasons = new List<PropensityReason>(count);
        Span<bool> used = stackalloc bool[PersonFeatures.Count];
        used.Clear();
        for (int k = 0; k < count; k++)
        {
            int best = -1;
            for (int f = 0; f < contributions.Length; f++)
                if (!used[f] && (best < 0 || Math.Abs(contributions[f]) > Math.Abs(contributions[best]))) best = f;
            if (best < 0 || Math.Abs(contributions[best]) < 1e-6) break;
            used[best] = true;
            string words = PersonFeatures.Describe(best, features[best]);
            reasons.Add(new PropensityReason(PersonFeatures.All[best].Name, features[best], contributions[best],
                $"{words} ({(contributions[best] > 0 ? "raises" : "lowers")} it)"));
        }
        return reasons;
    }
}
