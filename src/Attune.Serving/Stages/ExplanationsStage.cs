using Attune.Serving.Pipeline;

namespace Attune.Serving.Stages;

/// <summary>
/// Plain-language reasons for each chosen item, from the two sources that contributed most to its score (each source
/// explains itself, see <see cref="Sources.ICandidateSource.Explain"/>). Someone who opted out of personalization is told so;
/// an item no source spoke for is "Popular in its category".
/// </summary>
public sealed class ExplanationsStage : IRankingStage
{
    public string Name => "explanations";

    public void Apply(RankingContext c)
    {
        c.Reasons.Clear();
        if (!c.Request.Explain) return;
        var person = c.Person;
        bool optedOut = !person.Personalized && person.Id is not null && c.Serving.IsOptedOut(person.Id);
        foreach (int item in c.Chosen)
        {
            var (first, second) = c.TopSources(item);
            string? a = Reason(c, first, item);
            string? b = second != first ? Reason(c, second, item) : null;
            c.Reasons.Add(optedOut ? [a ?? "Popular right now", "Not personalized: you turned personalization off"]
                : a is null ? [Explanations.PopularIn(c.State, item)]
                : b is null || b == a ? [a] : [a, b]);
        }
    }

    private static string? Reason(RankingContext c, byte source, int item) =>
        source == RankingContext.NoSource || source >= c.Registry.Count ? null : c.Registry[source].Explain(c.Sources, item);
}
