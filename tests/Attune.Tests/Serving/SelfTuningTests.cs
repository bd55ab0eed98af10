using Attune.Tests.Server;

namespace Attune.Tests.Serving;

/// <summary>
/// The live engine tunes itself: on demand (and on a schedule) it measures factor-model configurations on a time split of the
/// shop's own data, then the for-you blend over them, trains a version with the best, records the choice and the gain in the
/// version's info, and later trainings keep the tuned parameters.
/// </summary>
public sealed class SelfTuningTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = TestPaths.NewTempDirectory();
    private TestServer _server = null!;
    private HttpClient Client => _server.Client;

    public async ValueTask InitializeAsync()
    {
        await TestServer.LoadDemoShopAsync(_dir.Path, users: 400, items: 200, days: 14, seed: 5);
        _server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Attune:Serving:TuningBudgetSeconds"] = "4",
            ["Attune:Serving:TuningIntervalHours"] = "0", // on demand only in this test
        }, _dir.Path);
        await _server.WaitReadyAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task ATuningRecordsWhatItChoseAndTheGainAndLaterTrainingsKeepIt()
    {
        var before = await HttpAssert.Ok(await Client.GetAsync("/v1/models"));
        string configured = before.GetProperty("versions")[0].GetProperty("alsParameters").GetString()!;
        Assert.False(before.GetProperty("versions")[0].TryGetProperty("tuning", out var none) && none.ValueKind != System.Text.Json.JsonValueKind.Null);

        var tuned = await HttpAssert.Ok(await Client.PostAsync("/v1/models/tune?wait=true", null));

        Assert.Equal("tuning", tuned.GetProperty("reason").GetString());
        var tuning = tuned.GetProperty("tuning");
        Assert.Equal("als", tuning.GetProperty("component").GetString());
        Assert.Equal(configured, tuning.GetProperty("defaults").GetString());
        Assert.Equal("hitRate@20", tuning.GetProperty("metric").GetString());
        Assert.True(tuning.GetProperty("trials").GetInt32() >= 2, tuning.ToString());
        double defaultValue = tuning.GetProperty("defaultValue").GetDouble(), tunedValue = tuning.GetProperty("tunedValue").GetDouble();
        Assert.True(tunedValue >= defaultValue, tuning.ToString()); // never worse than the defaults on the held-out data
        Assert.True(defaultValue > 0, tuning.ToString());
        string chosen = tuning.GetProperty("parameters").GetString()!;
        Assert.Equal(chosen, tuned.GetProperty("alsParameters").GetString());
        Assert.True(tuned.GetProperty("componentSeconds").GetProperty("tuning").GetDouble() > 0);

        // The sequence model is tuned too, in the same budget, by the same rule; the factor model's record is the first.
        var tunings = tuned.GetProperty("tunings");
        Assert.Equal(3, tunings.GetArrayLength());
        Assert.Equal(tuning.ToString(), tunings[0].ToString());
        var sequence = tunings[1];
        Assert.Equal("sequence", sequence.GetProperty("component").GetString());
        Assert.Equal(before.GetProperty("versions")[0].GetProperty("sequenceParameters").GetString(), sequence.GetProperty("defaults").GetString());
        Assert.True(sequence.GetProperty("tunedValue").GetDouble() >= sequence.GetProperty("defaultValue").GetDouble(), sequence.ToString());
        Assert.True(sequence.GetProperty("defaultValue").GetDouble() > 0, sequence.ToString());
        string chosenSequence = sequence.GetProperty("parameters").GetString()!;
        Assert.Equal(chosenSequence, tuned.GetProperty("sequenceParameters").GetString());
        // The cost of an answer stays as configured: the newest items and sessions read per answer are not tuned.
        Assert.Contains("knnHistory=10", chosenSequence);
        Assert.Contains("sample=300", chosenSequence);

        // Then the for-you blend, served through the real pipeline from a bundle of the split: the shipped weights first,
        // replaced only when the half of the people the search did not see clearly prefer others.
        var blend = tunings[2];
        Assert.Equal("for-you", blend.GetProperty("component").GetString());
        Assert.Equal("als=1 content=0.15 popularity=0.15 sequence=0.6 trending=0.05 viewed=0.6", blend.GetProperty("defaults").GetString());
        Assert.Equal("hitRate@20", blend.GetProperty("metric").GetString());
        Assert.True(blend.GetProperty("defaultValue").GetDouble() > 0, blend.ToString());
        Assert.True(blend.GetProperty("tunedValue").GetDouble() >= blend.GetProperty("defaultValue").GetDouble(), blend.ToString());
        Assert.True(blend.GetProperty("trials").GetInt32() >= 1, blend.ToString());
        Assert.NotNull(Attune.Serving.Recipes.TunedBlend.Parse(blend.GetProperty("parameters").GetString()!));
        Assert.True(tuned.GetProperty("componentSeconds").GetProperty("blend-tuning").GetDouble() > 0);

        // A later training keeps the tuned parameters and says which tuning they come from.
        var next = await HttpAssert.Ok(await Client.PostAsync("/v1/models/train?wait=true", null));
        Assert.Equal("api", next.GetProperty("reason").GetString());
        Assert.Equal(chosen, next.GetProperty("alsParameters").GetString());
        Assert.Equal(tunedValue, next.GetProperty("tuning").GetProperty("tunedValue").GetDouble());
        Assert.Equal(chosenSequence, next.GetProperty("sequenceParameters").GetString());
        Assert.Equal(tunings.ToString(), next.GetProperty("tunings").ToString());
        Assert.False(next.GetProperty("componentSeconds").TryGetProperty("tuning", out _)); // it did not tune again

        await HttpAssert.Problem(await Client.PostAsync("/v1/models/tune?wait=maybe", null), System.Net.HttpStatusCode.BadRequest);
    }
}
