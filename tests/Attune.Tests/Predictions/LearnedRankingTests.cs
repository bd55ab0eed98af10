using Attune.Predictions.Ranking;

namespace Attune.Tests.Predictions;

/// <summary>
/// The pieces of learned ranking on a synthetic log with known truth: 300 items with a relevance the logging policy only
/// half follows, shown ten at a time, clicked with probability θ(position) × relevance (θ = 1 / log2(p + 1)) and bought after
/// a click with probability 0.3.
/// </summary>
public sealed class LearnedRankingTests
{
    private static bool LightGbmLoads => System.Runtime.InteropServices.NativeLibrary.TryLoad("libgomp.so.1", out _) || !OperatingSystem.IsLinux();

    private static double Theta(int position) => 1 / Math.Log2(position + 1);

    private sealed record Shop(float[] Signal, float[] Decoy, double[] Relevance);

    private static Shop MakeShop(Random random)
    {
        int n = 300;
        var signal = new float[n];
        var decoy = new float[n];
        var relevance = new double[n];
        for (int i = 0; i < n; i++)
        {
            signal[i] = (float)random.NextDouble();
            decoy[i] = (float)random.NextDouble();
            relevance[i] = 0.6 / (1 + Math.Exp(-(6 * signal[i] - 4)));
        }
        return new Shop(signal, decoy, relevance);
    }

    /// <summary>Lists of ten items ordered by the logging policy (mostly the decoy), with clicks and purchases drawn.</summary>
    private static (List<LoggedList> Log, List<int[]> Items, List<PositionBias.Impression> Impressions) Log(Shop shop, Random random, int lists)
    {
        var log = new List<LoggedList>();
        var items = new List<int[]>();
        var impressions = new List<PositionBias.Impression>();
        for (int l = 0; l < lists; l++)
        {
            var chosen = Enumerable.Range(0, shop.Signal.Length).OrderBy(_ => random.Next()).Take(10).ToArray();
            var policy = chosen.Select(i => 0.7 * shop.Decoy[i] + 0.3 * shop.Signal[i] + 0.3 * random.NextDouble()).ToArray();
            Array.Sort(policy, chosen);
            Array.Reverse(chosen);
            var labels = new int[10];
            for (int k = 0; k < 10; k++)
            {
                bool click = random.NextDouble() < Theta(k + 1) * shop.Relevance[chosen[k]];
                labels[k] = click ? random.NextDouble() < 0.3 ? 2 : 1 : 0;
                impressions.Add(new PositionBias.Impression(chosen[k], k + 1, click));
            }
            log.Add(new LoggedList([.. chosen.Select(i => new[] { shop.Signal[i], shop.Decoy[i], (float)random.NextDouble() })], labels));
            items.Add(chosen);
        }
        return (log, items, impressions);
    }

    private static double TrueClicks(Shop shop, int[] items, int[] order)
    {
        double clicks = 0;
        for (int rank = 0; rank < order.Length; rank++) clicks += Theta(rank + 1) * shop.Relevance[items[order[rank]]];
        return clicks;
    }

    [Fact]
    public void ThePositionBiasIsRecoveredFromClicksAlone()
    {
        var random = new Random(11);
        var shop = MakeShop(random);
        var (_, _, impressions) = Log(shop, random, 20_000);
        var theta = PositionBias.Estimate(impressions, 10);
        for (int p = 1; p <= 10; p++)
            Assert.True(Math.Abs(theta[p] - Theta(p)) < 0.05, $"position {p}: estimated {theta[p]:0.000}, true {Theta(p):0.000}");
    }

    [Fact]
    public void LambdaRankWithThePositionAsAFeatureOrdersByRelevanceAndTheReplayForeseesIt()
    {
        Assert.SkipUnless(LightGbmLoads, "libgomp.so.1 (Debian: apt-get install libgomp1) is missing: LightGBM cannot load");
        var random = new Random(5);
        var shop = MakeShop(random);
        var (train, _, impressions) = Log(shop, random, 15_000);
        var (test, testItems, _) = Log(shop, random, 3_000);
        var ranker = LearnedRanker.Train(train, ["signal", "decoy", "noise"]);
        var theta = PositionBias.Estimate(impressions, 10);

        double logged = 0, learned = 0, oracle = 0;
        var identity = Enumerable.Range(0, 10).ToArray();
        for (int l = 0; l < test.Count; l++)
        {
            var items = testItems[l];
            logged += TrueClicks(shop, items, identity);
            learned += TrueClicks(shop, items, ranker.Rank(test[l].Features));
            oracle += TrueClicks(shop, items, [.. identity.OrderByDescending(k => shop.Relevance[items[k]])]);
        }
        // Re-ordering the same ten items by the learned score recovers most of what the best order gains over the logged one.
        Assert.True(learned > logged * 1.1, $"learned {learned / test.Count:0.0000} vs logged {logged / test.Count:0.0000} clicks per list");
        Assert.True(learned - logged > 0.8 * (oracle - logged), $"learned {learned:0}, logged {logged:0}, best {oracle:0}");

        // The replay with inverse-propensity weights estimates both orders' clicks from the logged clicks alone.
        var (replayLogged, _) = RankingReplay.Evaluate(test, theta, _ => identity);
        var (replayLearned, purchases) = RankingReplay.Evaluate(test, theta, list => ranker.Rank(list.Features));
        Assert.InRange(replayLogged, 0.9 * logged / test.Count, 1.1 * logged / test.Count);
        Assert.InRange(replayLearned, 0.85 * learned / test.Count, 1.15 * learned / test.Count);
        Assert.InRange(purchases / replayLearned, 0.2, 0.4); // 30 % of clicks become purchases
    }
}
