using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Attune.Experiments.Statistics;

namespace Attune.Cli.Commands;

/// <summary><c>attune stats srm --users 1000,1100 [--weights 0.5,0.5]</c>: the sample-ratio-mismatch p-value (gbstats <c>check_srm</c>).</summary>
internal static class StatsSrmCommand
{
    public static Command Create()
    {
        var users = new Option<string>("--users") { Description = "Users per variation, control first: 1000,1100", Required = true };
        var weights = new Option<string?>("--weights") { Description = "Configured traffic weights in the same order (default: equal)" };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a line" };
        var command = new Command("srm", "Check a traffic split for sample ratio mismatch (chi-square; GrowthBook flags p < 0.001)") { users, weights, json };
        command.SetAction(result =>
        {
            long[] counts;
            double[] shares;
            try
            {
                counts = ParseList<long>(result.GetValue(users)!, "--users", s => long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : (long?)null,
                    "a whole number of users, 0 or more");
                if (counts.Length < 2) throw new FormatException("--users: give at least two variations, e.g. 1000,1100");
                string? w = result.GetValue(weights);
                shares = w is null
                    ? Enumerable.Repeat(1.0 / counts.Length, counts.Length).ToArray()
                    : ParseList<double>(w, "--weights", s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) && v >= 0 ? v : (double?)null,
                        "a weight, 0 or more");
                if (shares.Length != counts.Length) throw new FormatException($"--weights: {shares.Length} weights for {counts.Length} variations");
                if (shares.Sum() <= 0) throw new FormatException("--weights: at least one weight must be positive");
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine($"attune: {e.Message}");
                return StatsAnalyzeCommand.ExitBadInput;
            }

            double p = SampleRatioMismatch.PValue(counts, shares);
            bool mismatch = SampleRatioMismatch.IsMismatch(p);
            string pText = p.ToString("R", CultureInfo.InvariantCulture);
            if (result.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(new SrmOutput(counts, shares, p, SampleRatioMismatch.DefaultThreshold, mismatch), JsonOptions));
            }
            else
            {
                Console.Out.WriteLine(mismatch
                    ? $"p-value {pText}: sample ratio mismatch (below {SampleRatioMismatch.DefaultThreshold.ToString(CultureInfo.InvariantCulture)}): do not trust this experiment's results"
                    : $"p-value {pText}: no sample ratio mismatch (flagged below {SampleRatioMismatch.DefaultThreshold.ToString(CultureInfo.InvariantCulture)})");
            }
            return 0;
        });
        return command;
    }

    private static T[] ParseList<T>(string text, string option, Func<string, T?> parse, string what) where T : struct
    {
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new T[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            values[i] = parse(parts[i]) ?? throw new FormatException($"{option}: '{parts[i]}' is not {what}");
        return values;
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private sealed record SrmOutput(long[] Users, double[] Weights, double PValue, double Threshold, bool Mismatch);
}
