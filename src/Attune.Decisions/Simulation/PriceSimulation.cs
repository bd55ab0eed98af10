using Attune.Decisions.Features;
using Attune.Decisions.Learning;
using Attune.Decisions.Prices;

namespace Attune.Decisions.Simulation;

/// <summary>A price simulation's result: revenue against the oracle, and every guardrail checked on every price shown.</summary>
/// <param name="ShareOfOracle">The learner's expected revenue over the last fifth of the sessions, as a share of the oracle's
/// (the best price point of the same day's points for each visitor, knowing their demand).</param>
/// <param name="Violations">Prices shown outside the guardrails (floor, ceiling, list price, daily change, spread): must be 0.</param>
public sealed record PriceSimulationOutcome(double ShareOfOracle, double Revenue, double Oracle, int Violations, double FinalAnchor, int Days);

/// <summary>
/// Personal prices for one item under guardrails: visitors of four segments (visible) differ in willingness to pay; the day's
/// price points come from <see cref="PriceGuard"/> around the item's price level, which moves each day towards the point that
/// earned most the day before (by at most the daily change). The learner chooses a point per visitor; the reward is the
/// revenue as a share of the list price.
/// </summary>
public static class PriceSimulation
{
    public static PriceSimulationOutcome Run(ulong seed, PriceRule rule, double listPrice = 100, int sessions = 5_000, int sessionsPerDay = 500,
        LearningSettings? learning = null, ExplorationSettings? exploration = null)
    {
        var random = new SplitMix(seed);
        var willingness = new double[4];
        for (int s = 0; s < willingness.Length; s++) willingness[s] = listPrice * (0.7 + 0.3 * random.NextDouble());
        var policy = new DecisionPolicy(new CbLearner(learning ?? LearningSettings.Default), exploration ?? ExplorationSettings.Default);
        var (low, high) = PriceGuard.Bounds(rule, listPrice);
        double anchor = high;
        double[] points = PriceGuard.Points(rule, listPrice, anchor);
        var earned = new double[points.Length];
        var shown = new int[points.Length];
        double dayMin = double.MaxValue, dayMax = double.MinValue;
        int violations = 0, days = 1;
        double revenue = 0, oracle = 0;
        var context = new FeatureSet();
        var actions = new FeatureSet[points.Length];
        for (int t = 0; t < sessions; t++)
        {
            if (t > 0 && t % sessionsPerDay == 0)
            {
                // A new day: the level moves towards yesterday's best-earning point, within the daily change.
                int best = 0;
                for (int i = 1; i < points.Length; i++)
                    if (shown[i] > 0 && (shown[best] == 0 || earned[i] / shown[i] > earned[best] / shown[best])) best = i;
                double next = PriceGuard.NextAnchor(rule, listPrice, anchor, points[best]);
                if (Math.Abs(next - anchor) > anchor * rule.MaxDailyChange + 1e-9) violations++;
                anchor = next;
                points = PriceGuard.Points(rule, listPrice, anchor);
                Array.Clear(earned);
                Array.Clear(shown);
                dayMin = double.MaxValue;
                dayMax = double.MinValue;
                days++;
            }
            for (int i = 0; i < points.Length; i++) actions[i] = PriceFeatures.Of(points[i], listPrice, i);
            int segment = (int)(random.Next() % (ulong)willingness.Length);
            context.Clear();
            Featurizer.AddIndicator(context, "user.segment", "s" + segment.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var outcome = policy.Rank(context, actions, random.Next());
            double price = points[outcome.Chosen];
            if (price < low - 1e-9 || price > high + 1e-9 || price > listPrice + 1e-9) violations++;
            dayMin = Math.Min(dayMin, price);
            dayMax = Math.Max(dayMax, price);
            if (dayMax - dayMin > anchor * rule.MaxSpread + 1e-9) violations++;
            double p = BuyProbability(price, willingness[segment], listPrice);
            bool bought = random.NextDouble() < p;
            double reward = bought ? price / listPrice : 0;
            policy.Learn(context, actions[outcome.Chosen], reward, outcome.Probabilities[outcome.Chosen]);
            earned[outcome.Chosen] += reward;
            shown[outcome.Chosen]++;
            if (t >= sessions * 4 / 5)
            {
                revenue += p * price;
                double top = 0;
                foreach (double q in points) top = Math.Max(top, BuyProbability(q, willingness[segment], listPrice) * q);
                oracle += top;
            }
        }
        return new PriceSimulationOutcome(oracle == 0 ? 0 : revenue / oracle, revenue, oracle, violations, anchor, days);
    }

    /// <summary>Demand: half of the visitors who value the item at <paramref name="willingness"/> buy at that price, fewer above, more below.</summary>
    public static double BuyProbability(double price, double willingness, double listPrice) =>
        0.6 / (1 + Math.Exp((price - willingness) / (0.03 * listPrice)));
}
