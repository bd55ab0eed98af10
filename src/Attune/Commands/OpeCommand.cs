using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Attune.Evaluation.OffPolicy;

namespace Attune.Cli.Commands;

/// <summary>
/// <c>attune ope --log FILE --format obd --policy ACTION_DIST.csv --reward-model ctr-table --estimators ipw,snipw,dm,dr,sndr,switch-dr,dr-os
/// --lambda 100 --json OUT</c>: off-policy estimates of a policy's value from a logged bandit file, printed and written as
/// <c>{estimator: value}</c>.
/// </summary>
internal static class OpeCommand
{
    public static Command Create()
    {
        var log = new Option<FileInfo>("--log") { Description = "The logged bandit feedback (Open Bandit Dataset CSV)", Required = true };
        var format = new Option<string>("--format") { Description = "The log's format: obd", DefaultValueFactory = _ => "obd" };
        var policy = new Option<FileInfo>("--policy") { Description = "The evaluation policy: P(action at position), one row per action, one column per position", Required = true };
        var rewardModel = new Option<string>("--reward-model") { Description = "The reward model of DM and the DR family: ctr-table", DefaultValueFactory = _ => "ctr-table" };
        var estimators = new Option<string>("--estimators")
        {
            Description = "Comma-separated: " + string.Join(",", OffPolicyEstimators.Names),
            DefaultValueFactory = _ => string.Join(",", OffPolicyEstimators.Names),
        };
        var lambda = new Option<double>("--lambda") { Description = "Switch-DR's weight threshold and DRos's shrinkage", DefaultValueFactory = _ => 100 };
        var json = new Option<FileInfo?>("--json") { Description = "Also write {estimator: value} to this file" };
        var command = new Command("ope", "Off-policy evaluation: estimate a policy's value from another policy's logs (OBP's estimators)")
        {
            log, format, policy, rewardModel, estimators, lambda, json,
        };
        command.SetAction(result =>
        {
            try
            {
                if (result.GetValue(format) is not "obd") throw new FormatException("--format: only 'obd' (Open Bandit Dataset CSV) is read");
                if (result.GetValue(rewardModel) is not "ctr-table") throw new FormatException("--reward-model: only 'ctr-table' is built in");
                var names = result.GetValue(estimators)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                foreach (string name in names)
                {
                    if (!OffPolicyEstimators.Names.Contains(name))
                        throw new FormatException($"--estimators: unknown '{name}'; known: {string.Join(", ", OffPolicyEstimators.Names)}");
                }
                double l = result.GetValue(lambda);
                if (!(l >= 0) || double.IsInfinity(l)) throw new FormatException("--lambda: a number, 0 or more");
                var logged = BanditLog.ReadObd(result.GetValue(log)!.FullName);
                var evaluation = ActionDistribution.ReadCsv(result.GetValue(policy)!.FullName);
                if (evaluation.Actions < logged.Actions || evaluation.Positions < logged.Positions)
                    throw new FormatException($"--policy: {evaluation.Actions} actions × {evaluation.Positions} positions, the log has {logged.Actions} × {logged.Positions}");
                var q = RewardModel.CtrTable(logged, evaluation.Actions, evaluation.Positions);
                var values = new Dictionary<string, double>();
                double ess = OffPolicyEstimators.EffectiveSampleSize(logged, evaluation);
                Console.WriteLine($"{logged.Rounds:N0} rounds, {logged.Actions} actions × {logged.Positions} positions, mean reward " +
                    $"{logged.Reward.Average().ToString("R", CultureInfo.InvariantCulture)}; effective sample size {ess:N0} " +
                    $"({ess / logged.Rounds:P1} of the log{(ess < 0.01 * logged.Rounds ? ": weak support, the estimates rest on few rounds" : "")})");
                Console.WriteLine("  estimator  value                   95 % bootstrap interval (1,000 resamples)");
                foreach (string name in names)
                {
                    var rounds = OffPolicyEstimators.RoundValues(name, logged, evaluation, q, l);
                    double value = values[name] = rounds.Average();
                    var (lower, upper) = OffPolicyEstimators.BootstrapInterval(rounds);
                    Console.WriteLine($"  {name,-10} {value.ToString("R", CultureInfo.InvariantCulture),-23} [{lower:0.######}, {upper:0.######}]");
                }
                if (result.GetValue(json) is { } file)
                {
                    File.WriteAllText(file.FullName, JsonSerializer.Serialize(values, new JsonSerializerOptions { WriteIndented = true }));
                    Console.WriteLine($"Wrote {file.FullName}");
                }
                return 0;
            }
            catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"attune: {e.Message}");
                return StatsAnalyzeCommand.ExitBadInput;
            }
        });
        return command;
    }
}
