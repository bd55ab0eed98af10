using System.CommandLine;
using Attune.Algorithms;
using Attune.Evaluation.Protocols;
using Attune.Evaluation.Running;
using Attune.Evaluation.Tuning;

namespace Attune.Cli.Commands;

/// <summary>
/// <c>attune evaluate</c>: train a model on a benchmark's training split and score it with a published protocol.
/// <c>--model best</c> first chooses and tunes a model on the validation split (<see cref="ModelSearch"/>: every single model's
/// defaults, a portfolio of configurations good on the shared benchmarks, then steps around the best), then trains the winner.
/// </summary>
internal static class EvaluateCommand
{
    public const string BestModel = "best";
    public const string HybridModel = "hybrid";

    /// <summary>Seconds <c>--model best</c> searches by default: with the final fit, within 10 minutes per shared benchmark on 2 cores.</summary>
    public const int DefaultBudgetSeconds = 300;

    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Description = "Dataset file or folder (layout detected)", Required = true };
        var protocol = new Option<string>("--protocol")
        {
            Description = string.Join(", ", EvaluationProtocols.Names) + $", or {SearchEvaluateCommand.Protocol} (a judged search set: no --model)",
            Required = true,
        };
        protocol.AcceptOnlyFromAmong([.. EvaluationProtocols.Names, SearchEvaluateCommand.Protocol]);
        var model = new Option<string>("--model") { Description = $"Model name, or '{BestModel}' to choose and tune one on the validation split first (every protocol but {SearchEvaluateCommand.Protocol})" };
        var parameters = new Option<string[]>("--params") { Description = "Model parameters as name=value", AllowMultipleArgumentsPerToken = true };
        var paramsFile = new Option<FileInfo?>("--params-file") { Description = "JSON written by 'attune tune' (its params are used)" };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the result as JSON here" };
        var validation = new Option<bool>("--validation") { Description = "Score on the validation split carved from the training data" };
        var budget = new Option<int>("--budget")
        {
            Description = $"Search seconds for --model {BestModel} (the defaults of every model are tried whatever the budget)",
            DefaultValueFactory = _ => DefaultBudgetSeconds,
        };
        var trials = new Option<int>("--trials") { Description = $"Stop --model {BestModel}'s search after this many trials (same seed and threads: same answer)" };
        var seed = new Option<int>("--seed") { Description = $"Seed of --model {BestModel}'s search", DefaultValueFactory = _ => 42 };
        var threads = new Option<int>("--threads") { Description = "Threads (0 = all cores)" };
        var require = new Option<string[]>("--require")
        {
            Description = "Quality floors such as ndcg@10=0.47: exit with code 3 when a metric is below its floor (for CI)",
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("evaluate", "Evaluate a model offline on a benchmark dataset with a published protocol")
        {
            dataset, protocol, model, parameters, paramsFile, json, validation, budget, trials, seed, threads, require,
        };
        command.SetAction((result, ct) => EvaluationConsole.GuardAsync(async () =>
        {
            if (result.GetValue(protocol) == SearchEvaluateCommand.Protocol)
            {
                return await SearchEvaluateCommand.RunAsync(result.GetValue(dataset)!, result.GetValue(json),
                    ModelParameters.Parse(result.GetValue(require) ?? []).Values, ct);
            }
            var p = EvaluationProtocols.Get(result.GetValue(protocol)!);
            string modelName = result.GetValue(model) ?? throw new ArgumentException($"--model is required for --protocol {result.GetValue(protocol)}");
            int threadCount = result.GetValue(threads);
            var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (result.GetValue(paramsFile) is { } file)
            {
                var (tunedFor, fromFile) = TunedParametersFile.Read(file.FullName);
                if (tunedFor is not null && !string.Equals(tunedFor, modelName, StringComparison.OrdinalIgnoreCase))
                    Console.WriteLine($"note: {file.Name} was tuned for model '{tunedFor}'");
                foreach (var (k, v) in fromFile) values[k] = v;
            }
            foreach (var (k, v) in ModelParameters.Parse(result.GetValue(parameters) ?? []).Values) values[k] = v;

            bool best = string.Equals(modelName, BestModel, StringComparison.OrdinalIgnoreCase);
            if (!best) ModelCatalog.CreateTrainer(modelName, new ModelParameters(values));  // unknown model or parameter: fail before loading

            var data = EvaluationConsole.Load(result.GetValue(dataset)!);
            if (best)
            {
                if (values.Count > 0) Console.WriteLine($"note: --params are not used with --model {BestModel}; the search chooses them");
                var search = await EvaluationConsole.SearchAsync(p.CreateSplit(data, validation: true), new TuneOptions
                {
                    Budget = TimeSpan.FromSeconds(Math.Max(1, result.GetValue(budget))),
                    MaxTrials = result.GetValue(trials) is > 0 and int n ? n : int.MaxValue,
                    Seed = result.GetValue(seed),
                    Threads = threadCount,
                }, ct);
                modelName = search.Best.Candidate.Model;
                values = new Dictionary<string, string>(search.Best.Candidate.Parameters, StringComparer.OrdinalIgnoreCase);
            }

            var modelParameters = new ModelParameters(values);
            var trainer = ModelCatalog.CreateTrainer(modelName, modelParameters);
            var split = p.CreateSplit(data, result.GetValue(validation));
            var evaluation = await EvaluationConsole.RunAsync(split, trainer, modelName, modelParameters, data.Name, threadCount, ct);
            EvaluationConsole.Print(evaluation);
            if (result.GetValue(json) is { } jsonFile)
            {
                ResultJson.Write(jsonFile.FullName, evaluation);
                Console.WriteLine($"Wrote {jsonFile.FullName}");
            }
            int exit = 0;
            foreach (var (metric, floor) in ModelParameters.Parse(result.GetValue(require) ?? []).Values)
            {
                double required = double.Parse(floor, System.Globalization.CultureInfo.InvariantCulture);
                if (!evaluation.Metrics.TryGetValue(metric, out double value))
                    throw new ArgumentException($"--require: no metric '{metric}' (have {string.Join(", ", evaluation.Metrics.Keys)})");
                bool ok = value >= required;
                Console.WriteLine($"quality gate {metric} = {value:F4} (floor {required}): {(ok ? "pass" : "FAIL")}");
                if (!ok) exit = 3;
            }
            return exit;
        }));
        return command;
    }
}
