using System.CommandLine;
using Attune.Algorithms;
using Attune.Evaluation.Protocols;
using Attune.Evaluation.Tuning;

namespace Attune.Cli.Commands;

/// <summary>
/// <c>attune tune</c>: search a model's hyper-parameters within a time budget on the validation split (carved from the training
/// data only) and write the best set for <c>attune evaluate --params-file</c>.
/// </summary>
internal static class TuneCommand
{
    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Description = "Dataset file or folder (layout detected)", Required = true };
        var protocol = new Option<string>("--protocol") { Description = string.Join(", ", EvaluationProtocols.Names), Required = true };
        protocol.AcceptOnlyFromAmong([.. EvaluationProtocols.Names]);
        var model = new Option<string>("--model") { Description = "Model name", Required = true };
        var budget = new Option<int>("--budget") { Description = "Seconds to search", DefaultValueFactory = _ => 120 };
        var output = new Option<FileInfo>("--out") { Description = "Where to write the best parameters (JSON)", Required = true };
        var metric = new Option<string?>("--metric") { Description = "Metric to maximise (default: the protocol's, e.g. ndcg@10)" };
        var trials = new Option<int>("--max-trials") { Description = "Stop after this many trials (0 = only the budget counts)" };
        var seed = new Option<int>("--seed") { Description = "Seed of the search", DefaultValueFactory = _ => 42 };
        var threads = new Option<int>("--threads") { Description = "Threads (0 = all cores)" };
        var command = new Command("tune", "Tune a model's hyper-parameters on a validation split carved from the training data")
        {
            dataset, protocol, model, budget, output, metric, trials, seed, threads,
        };
        command.SetAction((result, ct) => EvaluationConsole.GuardAsync(async () =>
        {
            var p = EvaluationProtocols.Get(result.GetValue(protocol)!);
            var descriptor = ModelCatalog.Get(result.GetValue(model)!);
            var data = EvaluationConsole.Load(result.GetValue(dataset)!);
            int maxTrials = result.GetValue(trials);
            var options = new TuneOptions
            {
                Budget = TimeSpan.FromSeconds(Math.Max(1, result.GetValue(budget))),
                Metric = result.GetValue(metric),
                Seed = result.GetValue(seed),
                MaxTrials = maxTrials > 0 ? maxTrials : int.MaxValue,
                Threads = result.GetValue(threads),
            };
            if (descriptor.SearchSpace.Count == 0) Console.WriteLine($"note: {descriptor.Name} has no search space; only its defaults are tried");
            var tuned = await EvaluationConsole.TuneAsync(p.CreateSplit(data, validation: true), descriptor, options, ct);
            var file = result.GetValue(output)!;
            TunedParametersFile.Write(file.FullName, tuned);
            Console.WriteLine($"Best on validation: {tuned.Metric} = {tuned.BestValue:F4} with {EvaluationConsole.Describe(tuned.BestParameters)} " +
                $"after {tuned.Trials.Count} trials in {tuned.Seconds:F1} s; wrote {file.FullName}");
            return 0;
        }));
        return command;
    }
}
