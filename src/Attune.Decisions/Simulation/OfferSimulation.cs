using Attune.Decisions.Features;
using Attune.Decisions.Learning;
using Attune.Decisions.Offers;

namespace Attune.Decisions.Simulation;

/// <summary>How an offer learner treated each kind of visitor, and the margin it kept against always and never discounting.</summary>
/// <param name="OfferShare">Per kind of visitor (persuadable, sure thing, lost cause): the share of the last quarter's decisions that showed the discount.</param>
/// <param name="SpendShare">Per kind of visitor: its share of the discounts actually given (redeemed) in the last quarter.</param>
/// <param name="Margin">Expected margin kept per visitor by the learner over the run, and by the two fixed policies on the same visitors.</param>
public sealed record OfferSimulationOutcome(IReadOnlyDictionary<string, double> OfferShare, IReadOnlyDictionary<string, double> SpendShare, double Margin,
    double AlwaysMargin, double NeverMargin);

/// <summary>
/// Offers with known uplift: persuadable visitors buy far more often with a 10 % discount (10 % → 40 %), sure things buy
/// anyway (60 % → 63 %), lost causes rarely buy either way (2 % → 2.2 %). Carts are worth 100 with a margin of 30. With the margin-aware
/// reward (<see cref="OfferReward"/>) the learner should discount the persuadable and not the sure things; showing it to a
/// lost cause costs next to nothing (they rarely redeem it), so what matters there is who the discounts actually go to.
/// </summary>
public static class OfferSimulation
{
    private static readonly (string Name, double Without, double With)[] s_kinds =
        [("persuadable", 0.10, 0.40), ("sure-thing", 0.60, 0.63), ("lost-cause", 0.02, 0.022)];

    public static OfferSimulationOutcome Run(ulong seed, int decisions = 20_000)
    {
        const double value = 100, margin = 30, discount = 10;
        var random = new SplitMix(seed);
        var policy = new DecisionPolicy(new CbLearner(LearningSettings.Default), ExplorationSettings.Default);
        var none = new FeatureSet();
        Featurizer.AddIndicator(none, "_id", OfferDesk.NoOffer);
        Featurizer.AddIndicator(none, "kind", "none");
        var ten = new FeatureSet();
        Featurizer.AddIndicator(ten, "_id", "ten-off");
        Featurizer.AddIndicator(ten, "kind", "discount");
        ten.Add(FeatureHash.Of("depth"), 0.1f);
        FeatureSet[] actions = [none, ten];
        var context = new FeatureSet();
        var shown = new double[s_kinds.Length];
        var redeemed = new double[s_kinds.Length];
        var seen = new int[s_kinds.Length];
        double kept = 0, always = 0, never = 0;
        for (int t = 0; t < decisions; t++)
        {
            int k = (int)(random.Next() % (ulong)s_kinds.Length);
            var kind = s_kinds[k];
            context.Clear();
            Featurizer.AddIndicator(context, "user.segment", "s" + k.ToString(System.Globalization.CultureInfo.InvariantCulture) + "-" + (random.Next() % 5).ToString(System.Globalization.CultureInfo.InvariantCulture));
            Featurizer.AddIndicator(context, "user.kind", kind.Name);
            context.Add(FeatureHash.Of("cart.valueLog"), (float)Math.Log(1 + value));
            var outcome = policy.Rank(context, actions, random.Next());
            bool offered = outcome.Chosen == 1;
            double p = offered ? kind.With : kind.Without;
            bool bought = random.NextDouble() < p;
            policy.Learn(context, actions[outcome.Chosen], OfferReward.Of(bought, margin, offered ? discount : 0, value), outcome.Probabilities[outcome.Chosen]);
            kept += p * (margin - (offered ? discount : 0));
            always += kind.With * (margin - discount);
            never += kind.Without * margin;
            if (t >= decisions * 3 / 4)
            {
                shown[k] += outcome.Probabilities[1];
                redeemed[k] += outcome.Probabilities[1] * kind.With;
                seen[k]++;
            }
        }
        var share = new Dictionary<string, double>(StringComparer.Ordinal);
        var spend = new Dictionary<string, double>(StringComparer.Ordinal);
        double totalRedeemed = redeemed.Sum();
        for (int k = 0; k < s_kinds.Length; k++)
        {
            share[s_kinds[k].Name] = seen[k] == 0 ? 0 : shown[k] / seen[k];
            spend[s_kinds[k].Name] = totalRedeemed == 0 ? 0 : redeemed[k] / totalRedeemed;
        }
        return new OfferSimulationOutcome(share, spend, kept / decisions, always / decisions, never / decisions);
    }
}
