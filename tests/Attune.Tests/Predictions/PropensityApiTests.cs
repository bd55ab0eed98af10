using System.Net.Http.Json;
using System.Text.Json;
using Attune.Tests.Server;

namespace Attune.Tests.Predictions;

/// <summary>The store's propensity models through the real server, on the demo shop (20,000 shoppers, 90 days).</summary>
public sealed class PropensityApiTests
{
    private static bool LightGbmLoads => System.Runtime.InteropServices.NativeLibrary.TryLoad("libgomp.so.1", out _) || !OperatingSystem.IsLinux();

    [Fact]
    public async Task ModelsTrainedOnTheDemoShopBeatTheRfmBaselineExplainThemselvesAndFollowNewEvents()
    {
        Assert.SkipUnless(LightGbmLoads, "libgomp.so.1 (Debian: apt-get install libgomp1) is missing: LightGBM cannot load");
        using var dir = TestPaths.NewTempDirectory();
        await TestServer.LoadDemoShopAsync(dir.Path, users: 20_000, items: 5_000, days: 90, seed: 42);
        await using var server = await TestServer.StartAsync(dataDirectory: dir.Path);
        var client = server.Client;

        var before = await HttpAssert.Ok(await client.GetAsync("/v1/users/u00001/predictions"));
        Assert.False(before.TryGetProperty("propensities", out _));
        Assert.Contains("no propensity models yet", before.GetProperty("propensityReason").GetString());

        // Training takes about 40 s alone on 2 cores, minutes beside the rest of the suite: more than HttpClient's 100 s default.
        using var patient = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromMinutes(15) };
        var version = await HttpAssert.Ok(await patient.PostAsync("/v1/predictions/propensity/train", null));
        var models = version.GetProperty("models").EnumerateArray().ToDictionary(m => m.GetProperty("target").GetString()!);
        Assert.Equal(["purchase7d", "purchase30d", "churn", "cartToPurchase"], models.Keys);
        foreach (var (name, m) in models)
        {
            // Measured (docs/benchmarks.md): purchase7d 0.7194 vs RFM 0.6822, churn 0.7727 vs 0.6595, purchase30d 0.7096 vs
            // 0.6704, cartToPurchase 0.7208 vs 0.6982. Floors: above the baseline trained the same way, and calibrated.
            double auc = m.GetProperty("rocAuc").GetDouble(), baseline = m.GetProperty("baselineRocAuc").GetDouble();
            Assert.True(auc > baseline + 0.01, $"{name}: ROC-AUC {auc:0.0000} vs RFM baseline {baseline:0.0000}");
            Assert.True(auc > 0.68, $"{name}: ROC-AUC {auc:0.0000}");
            Assert.True(m.GetProperty("calibrationError").GetDouble() < 0.06, $"{name}: ECE {m.GetProperty("calibrationError")}");
            var lift = m.GetProperty("lift").EnumerateArray().ToArray();
            Assert.Equal(10, lift.Length);
            Assert.True(lift[0].GetProperty("lift").GetDouble() > 1.8, $"{name}: top decile lift {lift[0]}");
            Assert.Equal(1.0, lift[9].GetProperty("cumulativeCapture").GetDouble(), 1e-9);
            Assert.NotEmpty(m.GetProperty("topFeatures").EnumerateArray());
        }
        Assert.True(models["churn"].GetProperty("rocAuc").GetDouble() > models["churn"].GetProperty("baselineRocAuc").GetDouble() + 0.05);

        var listed = await HttpAssert.Ok(await client.GetAsync("/v1/predictions/propensity"));
        Assert.Equal(version.GetProperty("version").GetInt32(), listed.GetProperty("active").GetInt32());
        Assert.Equal(22_000, listed.GetProperty("people").GetInt32()); // 20,000 users and the never-identified visitors
        Assert.Equal(version.GetProperty("version").GetInt32(), listed.GetProperty("versions")[0].GetProperty("version").GetInt32());

        // Segments over the predictions: a rule on a probability, the RFM segments of the shop's buyers, behavioural clusters.
        var likely = await HttpAssert.Ok(await client.PutAsync("/v1/segments/likely-buyers",
            new StringContent("""{"rule": "predictions.purchase7d > 0.3"}""", System.Text.Encoding.UTF8, "application/json")));
        Assert.InRange(likely.GetProperty("members").GetInt32(), 100, 15_000);
        var segments = (await HttpAssert.Ok(await client.GetAsync("/v1/segments"))).EnumerateArray().ToArray();
        int buyers = segments.Where(s => s.GetProperty("kind").GetString() == "rfm").Sum(s => s.GetProperty("members").GetInt32());
        Assert.InRange(buyers, 5_000, 20_000);
        var clusters = (await HttpAssert.Ok(await patient.PostAsync("/v1/segments/clusters/refresh", null))).EnumerateArray().ToArray();
        Assert.Equal(8, clusters.Length);
        Assert.All(clusters, c => Assert.NotEmpty(c.GetProperty("topCategories").EnumerateArray()));
        Assert.Equal(clusters.Length, clusters.Select(c => c.GetProperty("name").GetString()).Distinct().Count());
        var clusterSegments = (await HttpAssert.Ok(await client.GetAsync("/v1/segments"))).EnumerateArray().Where(s => s.GetProperty("kind").GetString() == "cluster").ToArray();
        Assert.Equal(8, clusterSegments.Length);
        Assert.True(clusterSegments.Sum(s => s.GetProperty("members").GetInt32()) > 10_000); // the users the model has vectors for

        // A person's predictions: calibrated probabilities, each with its strongest reasons in words.
        string user = "u00007";
        var person = (await HttpAssert.Ok(await client.GetAsync($"/v1/users/{user}/predictions"))).GetProperty("propensities");
        var purchase7d = person.GetProperty("scores").GetProperty("purchase7d");
        Assert.InRange(purchase7d.GetProperty("probability").GetDouble(), 0.0, 1.0);
        var reasons = purchase7d.GetProperty("reasons").EnumerateArray().ToArray();
        Assert.InRange(reasons.Length, 1, 3);
        Assert.All(reasons, r => Assert.Matches(@"\((raises|lowers) it\)$", r.GetProperty("text").GetString()!));

        // A new event: the person's scores are refreshed from their history within the refresh period (200 ms), not at the
        // next training. A cart add opens the cart-to-purchase prediction for someone without an open cart.
        string? shopper = null;
        for (int u = 1; u <= 400 && shopper is null; u++)
        {
            var p = await HttpAssert.Ok(await client.GetAsync($"/v1/users/u{u:D5}/predictions"));
            if (p.TryGetProperty("propensities", out var s) && s.GetProperty("scores").GetProperty("cartToPurchase").TryGetProperty("reason", out _)
                && s.GetProperty("scores").GetProperty("purchase7d").TryGetProperty("probability", out _))
                shopper = $"u{u:D5}";
        }
        Assert.NotNull(shopper);
        var scoredBefore = (await HttpAssert.Ok(await client.GetAsync($"/v1/users/{shopper}/predictions"))).GetProperty("propensities").GetProperty("scoredAt").GetDateTimeOffset();
        await HttpAssert.Ok(await client.PostAsJsonAsync("/v1/events", new[] { new { type = "add_to_cart", userId = shopper, itemId = "i00010" } }));
        JsonElement after = default;
        for (int i = 0; i < 100; i++)
        {
            await Task.Delay(50);
            after = (await HttpAssert.Ok(await client.GetAsync($"/v1/users/{shopper}/predictions"))).GetProperty("propensities");
            if (after.GetProperty("scoredAt").GetDateTimeOffset() > scoredBefore) break;
        }
        Assert.True(after.GetProperty("scoredAt").GetDateTimeOffset() > scoredBefore, "the person's scores were not refreshed within 5 s");
        var cart = after.GetProperty("scores").GetProperty("cartToPurchase");
        Assert.InRange(cart.GetProperty("probability").GetDouble(), 0.0, 1.0);
        Assert.NotEmpty(cart.GetProperty("reasons").EnumerateArray());
        Assert.Equal(0, after.GetProperty("scores").GetProperty("purchase7d").GetProperty("reasons").EnumerateArray().Count(r => r.GetProperty("text").GetString()!.Length == 0));
    }
}
