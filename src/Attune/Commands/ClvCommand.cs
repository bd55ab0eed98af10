using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Attune.Predictions.Clv;

namespace Attune.Cli.Commands;

/// <summary>
/// <c>attune clv fit --model bgnbd|mbgnbd|pareto-nbd|gamma-gamma|bgbb|sbg --file F --json OUT</c>: fits a customer-lifetime
/// model by maximum likelihood and prints and writes <c>{"model", "params": {...}, "logLikelihood", "converged"}</c> (sBG:
/// <c>params</c> holds one object per cohort). A fit that does not converge is a result with <c>converged: false</c> and the
/// reason, not an error; a bad file is a line-numbered error.
/// </summary>
internal static class ClvCommand
{
    public static readonly string[] Models = ["bgnbd", "mbgnbd", "pareto-nbd", "gamma-gamma", "bgbb", "sbg"];

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "bgnbd, mbgnbd, pareto-nbd, gamma-gamma, bgbb or sbg", Required = true };
        var file = new Option<FileInfo>("--file")
        {
            Description = "CSV with a header: ID,frequency,recency,T (bgnbd, mbgnbd, pareto-nbd); ID,x,t_x,T,zbar (gamma-gamma); " +
                "frequency,recency,periods,weights (bgbb); customer_id,recency,T[,cohort] (sbg)",
            Required = true,
        };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the result to this file" };
        var fit = new Command("fit", "Fit a customer-lifetime model by maximum likelihood") { model, file, json };
        fit.SetAction(result =>
        {
            string name = result.GetValue(model)!;
            string path = result.GetValue(file)!.FullName;
            try
            {
                var fitted = name switch
                {
                    "bgnbd" => BgNbd.Fit(ClvFile.ReadSummaries(path, spend: false)),
                    "mbgnbd" => BgNbd.Fit(ClvFile.ReadSummaries(path, spend: false), modified: true),
                    "gamma-gamma" => GammaGamma.Fit(ClvFile.ReadSummaries(path, spend: true)),
                    "bgbb" => BetaGeometricBetaBinomial.Fit(ClvFile.ReadBgBb(path)),
                    "sbg" => ShiftedBetaGeometric.Fit(ClvFile.ReadContracts(path)),
                    "pareto-nbd" => ParetoNbd.Fit(ClvFile.ReadSummaries(path, spend: false)),
                    _ => throw new FormatException($"--model: unknown '{name}'; known: {string.Join(", ", Models)}"),
                };
                var output = Output(fitted);
                string text = output.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
                Console.WriteLine(text);
                if (result.GetValue(json) is { } target)
                {
                    File.WriteAllText(target.FullName, text);
                    Console.Error.WriteLine($"Wrote {target.FullName}");
                }
                return 0;
            }
            catch (ClvFileException e)
            {
                Console.Error.WriteLine($"attune: {path}:");
                foreach (var problem in e.Problems) Console.Error.WriteLine($"  {problem}");
                return StatsAnalyzeCommand.ExitBadInput;
            }
            catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"attune: {e.Message}");
                return StatsAnalyzeCommand.ExitBadInput;
            }
        });
        return new Command("clv", "Customer lifetime value and repeat-purchase models (docs/predictions.md)") { fit };
    }

    /// <summary>The result as the literature names it: <c>{"model", "params", "logLikelihood", "converged"[, "reason"]}</c>.</summary>
    public static JsonObject Output(ClvFit fit)
    {
        JsonNode parameters;
        if (fit.Cohorts is { } cohorts)
        {
            var byCohort = new JsonObject();
            foreach (var (cohort, f) in cohorts) byCohort[cohort] = Params(f);
            parameters = byCohort;
        }
        else parameters = Params(fit);
        var o = new JsonObject
        {
            ["model"] = fit.Model,
            ["params"] = parameters,
            ["logLikelihood"] = double.IsFinite(fit.LogLikelihood) ? fit.LogLikelihood : null,
            ["converged"] = fit.Converged,
        };
        if (fit.Reason is { } reason) o["reason"] = reason;
        return o;
    }

    private static JsonObject Params(ClvFit fit)
    {
        var o = new JsonObject();
        foreach (var (name, value) in fit.Params) o[name] = double.IsFinite(value) ? value : null;
        return o;
    }
}
