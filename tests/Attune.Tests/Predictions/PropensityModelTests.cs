using Attune.Predictions.Propensity;

namespace Attune.Tests.Predictions;

/// <summary>The pieces of the store's propensity models: features from a history, targets, the trees' own scorer and explanations.</summary>
public sealed class PropensityModelTests
{
    private const long Day = 86_400_000;
    private static readonly long Now = DateTimeOffset.Parse("2026-06-01T00:00:00Z").ToUnixTimeMilliseconds();

    private static ActivityEvent E(double daysAgo, int type, float value = 0, int item = -1, int session = 0) =>
        new(Now - (long)(daysAgo * Day), type, value, item, session, 0, 0, false);

    private static float[] Features(ActivityEvent[] history, ItemFacts? items = null, long? at = null)
    {
        Array.Sort(history);
        var f = new float[PersonFeatures.Count];
        PersonFeatures.Extract(history, at ?? Now, items, new PersonFeatures.Scratch(), f);
        return f;
    }

    private static float F(float[] f, string name) => f[PersonFeatures.IndexOf(name)];

    [Fact]
    public void FeaturesCountRecencyFrequencySpendSessionsAndOpenCarts()
    {
        var items = new ItemFacts();
        items.Add("a", 10, "shoes");
        items.Add("b", 30, "bags");
        var f = Features(
        [
            E(40, 1, item: 0, session: 7), E(40, 5, 25, item: 0, session: 7), E(39.9999, 5, 5, item: 0, session: 7), // one order, two lines
            E(10, 1, item: 1, session: 8), E(10, 1, item: 1, session: 8), E(10, 5, 30, item: 1, session: 8),
            E(2, 1, item: 0, session: 9), E(2, 3, item: 0, session: 9), E(1, 7, session: 10), E(0.5, 12),
            E(-1, 5, 100), // after the cutoff: unseen
        ], items);
        Assert.Equal(0.5, F(f, "daysSinceLastActivity"), 3);
        Assert.Equal(2, F(f, "daysSinceLastCart"), 3);
        Assert.Equal(10, F(f, "daysSinceLastPurchase"), 3);
        Assert.Equal(40, F(f, "tenureDays"), 3);
        Assert.Equal(2, F(f, "purchasesAll")); // purchase occasions: the order of two lines counts once
        Assert.Equal(1, F(f, "purchases30d"));
        Assert.Equal(60, F(f, "spendAll"), 3);
        Assert.Equal(30, F(f, "spend30d"), 3);
        Assert.Equal(30, F(f, "orderValue"), 3);
        Assert.Equal(1, F(f, "openCart")); // carted after the last purchase
        Assert.Equal([1f, 3f, 4f], [F(f, "views7d"), F(f, "views30d"), F(f, "viewsAll")]);
        Assert.Equal(1, F(f, "searches30d"));
        Assert.Equal(1, F(f, "emails30d"));
        Assert.Equal(5, F(f, "sessionsAll")); // sessions 7, 8, 9, 10 and the email opened on its own
        Assert.Equal(30, F(f, "daysBetweenPurchases"), 2);
        Assert.Equal(2, F(f, "categories30d"));
        Assert.Equal((10 * 5 + 30 * 3) / 8f, F(f, "priceLevel"), 3); // priced views, carts and purchase lines
        // Nothing before the cutoff: everything "never".
        var none = Features([E(-2, 1)]);
        Assert.Equal(PersonFeatures.NeverDays, F(none, "daysSinceLastActivity"));
        Assert.Equal(0, F(none, "eventsAll"));
    }

    [Fact]
    public void TargetsSayWhoTheySpeakAboutAndWhatHappenedNext()
    {
        var targets = PropensityTarget.Defaults(churnDays: 30);
        var purchase7 = targets.Single(t => t.Name == "purchase7d");
        var churn = targets.Single(t => t.Name == "churn");
        var cart = targets.Single(t => t.Name == "cartToPurchase");
        ActivityEvent[] history = [E(20, 1), E(3, 3), E(-2, 5, 10), E(-40, 1)];
        Array.Sort(history);
        var f = Features(history);
        Assert.True(purchase7.Eligible(f));
        Assert.True(cart.Eligible(f)); // carted 3 days ago, nothing bought since
        Assert.True(purchase7.Label(history, Now)); // bought 2 days later
        Assert.False(purchase7.Label(history, Now - 10 * Day)); // the next 7 days from then: a cart add, no purchase
        Assert.False(churn.Label(history, Now)); // active in the next 30 days
        Assert.True(churn.Label(history, Now + 3 * Day)); // then nothing until 40 days later
        var old = Features([E(200, 1)]);
        Assert.False(purchase7.Eligible(old));
        Assert.False(churn.Eligible(old));
        Assert.False(cart.Eligible(old));
        Assert.Equal("no item left in the cart in the last 7 days", cart.IneligibleReason);
    }

    private static TabularData Synthetic(int n, int seed)
    {
        var random = new Random(seed);
        var rows = new float[n][];
        var labels = new bool[n];
        for (int i = 0; i < n; i++)
        {
            rows[i] = [(float)random.NextDouble(), (float)random.NextDouble(), (float)random.NextDouble()];
            double z = 4 * rows[i][0] - 2 * rows[i][1] - 1;
            labels[i] = random.NextDouble() < 1 / (1 + Math.Exp(-z));
        }
        return new TabularData { FeatureNames = ["signal", "against", "noise"], Rows = rows, Labels = labels };
    }

    [Fact]
    public void TheTreesOwnScorerMatchesMlNetAndItsContributionsAddUpToTheScore()
    {
        Assert.SkipUnless(System.Runtime.InteropServices.NativeLibrary.TryLoad("libgomp.so.1", out _) || !OperatingSystem.IsLinux(),
            "libgomp.so.1 (Debian: apt-get install libgomp1) is missing: LightGBM cannot load");
        var train = Synthetic(3000, 1);
        var test = Synthetic(500, 2);
        var model = GradientBoostedClassifier.Fit(train, new BoostingSettings { Iterations = 100 }, calibrationFolds: 3);
        var mlNet = model.Scores(test);
        var contributions = new double[3];
        double signal = 0, noise = 0;
        for (int i = 0; i < test.Count; i++)
        {
            double own = model.Trees.Score(test.Rows[i]);
            Assert.True(Math.Abs(own - mlNet[i]) < 1e-4, $"row {i}: {own} vs ML.NET {mlNet[i]}");
            Array.Clear(contributions);
            double expected = model.Trees.Contributions(test.Rows[i], contributions);
            Assert.True(Math.Abs(expected + contributions.Sum() - own) < 1e-9, $"row {i}");
            signal += Math.Abs(contributions[0]);
            noise += Math.Abs(contributions[2]);
        }
        Assert.True(signal > 3 * noise, $"signal {signal}, noise {noise}");
        Assert.True(ClassifierMetrics.RocAuc(mlNet, test.Labels) > 0.7);
        // The RFM-style baseline: logistic regression on the chosen columns.
        var logistic = LogisticRegression.Fit(train, [0, 1]);
        Assert.True(ClassifierMetrics.RocAuc([.. test.Rows.Select(logistic.Probability)], test.Labels) > 0.7);
    }

    [Fact]
    public void AStoredBundleScoresAndExplainsExactlyAsTheTrainedModelsAndRefusesDamage()
    {
        Assert.SkipUnless(System.Runtime.InteropServices.NativeLibrary.TryLoad("libgomp.so.1", out _) || !OperatingSystem.IsLinux(),
            "libgomp.so.1 (Debian: apt-get install libgomp1) is missing: LightGBM cannot load");
        var train = Synthetic(3000, 3);
        var test = Synthetic(300, 4);
        var targets = PropensityTarget.Defaults();
        var evaluation = new PropensityEvaluation("purchase7d", "d", 7, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddDays(7), 3000, 300,
            0.2, 0.8, 0.5, 0.01, 0.7, 0.4, "platt", [new LiftDecile(1, 0.5, 2.5, 0.25)], [new FeatureImportance("recency", 0.3)]);
        // Two models: whichever calibrator each picks, and one with the other forced by the data's size, both stored.
        var models = new List<PropensityModel>
        {
            new(targets[0], GradientBoostedClassifier.Fit(train, new BoostingSettings { Iterations = 60 }, calibrationFolds: 3), evaluation),
            new(targets[2], GradientBoostedClassifier.Fit(Synthetic(800, 5), new BoostingSettings { Iterations = 30, Leaves = 4 }, calibrationFolds: 2), evaluation),
        };
        var trained = new PropensityScorer(models, 7, DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
        byte[] bytes = PropensityBundle.Write(trained);
        var restored = PropensityBundle.Read(bytes);

        Assert.Equal(7, restored.Version);
        Assert.Equal(trained.TrainedAt, restored.TrainedAt);
        Assert.Equal(["purchase7d", "churn"], restored.Models.Select(m => m.Target.Name));
        Assert.Equal(targets[2], restored.Models[1].Target);
        Assert.Equal(evaluation.RocAuc, restored.Models[0].Evaluation.RocAuc);
        Assert.Equal("recency", restored.Models[0].Evaluation.TopFeatures[0].Feature);
        for (int m = 0; m < models.Count; m++)
        {
            Assert.Equal(models[m].Classifier.Calibrator.Name, restored.Models[m].Classifier.Calibrator.Name);
            Assert.Equal(models[m].Classifier.Settings, restored.Models[m].Classifier.Settings);
            var expected = models[m].Classifier.Probabilities(test);
            var actual = restored.Models[m].Classifier.Probabilities(test); // the restored one scores by its trees alone
            for (int i = 0; i < test.Count; i++)
            {
                Assert.Equal(expected[i], actual[i], 1e-6);
                Assert.Equal(models[m].Classifier.Probability(test.Rows[i]), restored.Models[m].Classifier.Probability(test.Rows[i]));
            }
        }

        // Damage is refused with a FormatException, never scored with.
        Assert.Throws<FormatException>(() => PropensityBundle.Read(bytes[..(bytes.Length / 2)]));
        Assert.Throws<FormatException>(() => PropensityBundle.Read([1, 2, 3, 4]));
        var flipped = (byte[])bytes.Clone();
        flipped[flipped.Length / 3] ^= 0xFF;
        try { _ = PropensityBundle.Read(flipped); } // a flip may still decode to a valid bundle, or must fail as FormatException
        catch (FormatException) { }
    }

    [Fact]
    public void FeaturesAreSaidInPlainWords()
    {
        Assert.Equal("last bought 3 days ago", PersonFeatures.Describe(PersonFeatures.IndexOf("daysSinceLastPurchase"), 3));
        Assert.Equal("no purchase in the last year", PersonFeatures.Describe(PersonFeatures.IndexOf("daysSinceLastPurchase"), PersonFeatures.NeverDays));
        Assert.Equal("an item left in the cart", PersonFeatures.Describe(PersonFeatures.IndexOf("openCart"), 1));
        Assert.Equal("4 visits in the last 30 days", PersonFeatures.Describe(PersonFeatures.IndexOf("sessions30d"), 4));
        Assert.Equal("1.5 purchases in all", PersonFeatures.Describe(PersonFeatures.IndexOf("purchasesAll"), 1.5f));
    }
}
