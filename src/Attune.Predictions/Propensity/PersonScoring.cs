using Attune.Predictions.Clv;

namespace Attune.Predictions.Propensity;

/// <summary>
/// What is held about a person: their activity features when scored, one probability per propensity model (NaN: not
/// eligible; empty before the first training), their customer-value forecast (buyers, once fitted), when, and by which
/// models' version (0: none yet).
/// </summary>
public sealed record PersonScores(string Id, bool Anonymous, float[] Features, float[] Probabilities, CustomerForecast? Clv, long ScoredAtMs, int Version);

/// <summary>Scores people from their histories: the same function for everyone after a training and for one person after an event.</summary>
public static class PersonScoring
{
    private const int PurchaseType = 5;
    private static readonly int s_purchases = PersonFeatures.IndexOf("purchasesAll");

    /// <summary>Features, probabilities and customer value of one person's history (time order) as of <paramref name="nowMs"/>.</summary>
    public static PersonScores Score(string id, bool anonymous, ReadOnlySpan<ActivityEvent> history, PropensityScorer? scorer, ItemFacts? items,
        CustomerValueModel? customerValue, PersonFeatures.Scratch scratch, long nowMs)
    {
        var features = new float[PersonFeatures.Count];
        PersonFeatures.Extract(history, nowMs, items, scratch, features);
        var probabilities = scorer is null ? [] : new float[scorer.Models.Count];
        scorer?.Score(features, probabilities);
        CustomerForecast? clv = null;
        if (customerValue is not null && features[s_purchases] > 0)
        {
            var purchases = new List<(long, double)>();
            foreach (ref readonly var e in history) if (e.Type == PurchaseType && e.Ms < nowMs) purchases.Add((e.Ms, e.Value));
            if (PurchaseSummaries.Of(id, purchases, nowMs) is { } summary) clv = customerValue.Forecast(summary, 90);
        }
        return new PersonScores(id, anonymous, features, probabilities, clv, nowMs, scorer?.Version ?? 0);
    }

    /// <summary>Everyone in <paramref name="people"/> scored as of <paramref name="nowMs"/> on all cores; <paramref name="sink"/> is called
    /// from several threads.</summary>
    public static void ScoreAll(PeopleActivity people, PropensityScorer? scorer, ItemFacts? items, CustomerValueModel? customerValue, long nowMs,
        Action<PersonScores> sink)
    {
        int workers = Environment.ProcessorCount;
        Parallel.For(0, workers, worker =>
        {
            var scratch = new PersonFeatures.Scratch();
            for (int p = worker; p < people.People; p += workers)
                sink(Score(people.Ids[p], people.Anonymous[p], people.Of(p), scorer, items, customerValue, scratch, nowMs));
        });
    }
}
