using System.CommandLine;
using Attune.Experiments.Statistics;

namespace Attune.Cli.Commands;

/// <summary>
/// <c>attune stats analyze FILE</c>: runs one request of the statistics JSON contract (docs/statistics.md) and prints the result,
/// the same JSON that <c>POST /v1/stats/analyze</c> answers.
/// </summary>
internal static class StatsAnalyzeCommand
{
    /// <summary>Exit code for a request the engine cannot read (the message names the field).</summary>
    public const int ExitBadInput = 2;

    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "A request {\"test\", \"config\", \"control\", \"treatment\"} as JSON; - reads standard input" };
        var indent = new Option<bool>("--indent") { Description = "Indent the output" };
        var command = new Command("analyze", "Run one gbstats-compatible test on sufficient statistics and print the result as JSON") { file, indent };
        command.SetAction(async (result, ct) =>
        {
            string path = result.GetValue(file)!;
            string json;
            if (path == "-")
            {
                json = await Console.In.ReadToEndAsync(ct);
            }
            else if (File.Exists(path))
            {
                json = await File.ReadAllTextAsync(path, ct);
            }
            else
            {
                Console.Error.WriteLine($"attune: no such file: {path}");
                return ExitBadInput;
            }
            try
            {
                Console.Out.WriteLine(StatisticsJson.Analyze(json, result.GetValue(indent)));
                return 0;
            }
            catch (StatisticsInputException e)
            {
                Console.Error.WriteLine($"attune: {e.Message}");
                return ExitBadInput;
            }
        });
        return command;
    }
}
