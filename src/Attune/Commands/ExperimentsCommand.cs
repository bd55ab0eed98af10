using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Attune.Storage.Sqlite;
using Spectre.Console;

namespace Attune.Cli.Commands;

/// <summary>
/// <c>attune experiments results ID</c>: an experiment's results from the running server (results live in its memory, kept up
/// to date as events arrive). The server is found through <c>--url</c>, or the data folder's owner file that
/// <c>attune serve</c> writes; the key comes from <c>--key</c> or <c>ATTUNE_API_KEY</c>.
/// </summary>
internal static class ExperimentsCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("id") { Description = "The experiment id (or 'holdout' for the global holdout)" };
        var data = CommonOptions.Data();
        var url = new Option<string?>("--url") { Description = "The server (default: the one serving --data)" };
        var key = new Option<string?>("--key") { Description = "An admin API key (default: $ATTUNE_API_KEY)" };
        var json = new Option<bool>("--json") { Description = "Print the JSON the server answers" };
        var results = new Command("results", "An experiment's results: per phase, variant and metric, and the verdict") { id, data, url, key, json };
        results.SetAction(async (r, ct) =>
        {
            string? baseUrl = r.GetValue(url) ?? OwnerUrl(r.GetValue(data)!);
            if (baseUrl is null)
            {
                Console.Error.WriteLine($"attune: no server is serving {Path.GetFullPath(r.GetValue(data)!)}; start `attune serve` or pass --url");
                return 1;
            }
            using var http = new HttpClient { BaseAddress = new Uri(baseUrl.Split(';')[0].TrimEnd('/') + "/") };
            if ((r.GetValue(key) ?? Environment.GetEnvironmentVariable("ATTUNE_API_KEY")) is { Length: > 0 } k)
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", k);
            string experiment = r.GetValue(id)!;
            string path = experiment == "holdout" ? "v1/holdout/results" : $"v1/experiments/{Uri.EscapeDataString(experiment)}/results";
            HttpResponseMessage response;
            try
            {
                response = await http.GetAsync(path, ct);
            }
            catch (HttpRequestException e)
            {
                Console.Error.WriteLine($"attune: {http.BaseAddress} did not answer ({e.Message})");
                return 1;
            }
            string body = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                string detail = body;
                try { detail = JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString() ?? body; } catch (JsonException) { }
                Console.Error.WriteLine($"attune: {(int)response.StatusCode} {detail}");
                return 1;
            }
            if (r.GetValue(json))
            {
                Console.WriteLine(body);
                return 0;
            }
            Print(JsonDocument.Parse(body).RootElement);
            return 0;
        });
        return new Command("experiments", "Experiments of a running server") { results };
    }

    private static string? OwnerUrl(string dir)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, DataFolderLock.OwnerFileName)));
            return doc.RootElement.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);

    private static void Print(JsonElement results)
    {
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(results.GetProperty("id").GetString()!)}[/] ({results.GetProperty("status").GetString()})");
        foreach (var phase in results.GetProperty("phases").EnumerateArray())
        {
            var verdict = phase.GetProperty("verdict");
            string variant = verdict.TryGetProperty("variant", out var v) ? $" {v.GetString()}" : "";
            AnsiConsole.MarkupLine($"phase {phase.GetProperty("number").GetInt32()}: [bold]{Markup.Escape(verdict.GetProperty("decision").GetString()! + variant)}[/] — " +
                Markup.Escape(verdict.GetProperty("reason").GetString()!));
            if (phase.TryGetProperty("srmPValue", out var srm) && srm.ValueKind == JsonValueKind.Number) Console.WriteLine($"SRM p-value {F(srm.GetDouble(), "G4")}");
            if (phase.TryGetProperty("interleaving", out var inter) && inter.ValueKind == JsonValueKind.Object)
                Console.WriteLine($"interleaving: {inter.GetProperty("preferA").GetInt64()} prefer {inter.GetProperty("a").GetString()}, " +
                    $"{inter.GetProperty("preferB").GetInt64()} prefer {inter.GetProperty("b").GetString()}, sign test p {F(inter.GetProperty("pValue").GetDouble(), "G4")}");
            var table = new Table().AddColumns("metric", "variant", "people", "value", "lift", "CI", "p / chance to win");
            foreach (var metric in phase.GetProperty("metrics").EnumerateArray())
            {
                string name = metric.GetProperty("id").GetString()! + (metric.GetProperty("cuped").GetBoolean() ? " (CUPED)" : "");
                foreach (var row in metric.GetProperty("variants").EnumerateArray())
                {
                    string lift = "", ci = "", p = "";
                    if (row.TryGetProperty("difference", out var d))
                    {
                        if (d.TryGetProperty("expected", out var e) && e.ValueKind == JsonValueKind.Number) lift = F(e.GetDouble(), "+0.0%;-0.0%");
                        if (d.TryGetProperty("ci", out var c) && c.ValueKind == JsonValueKind.Array) ci = $"[{F(c[0].GetDouble(), "+0.0%;-0.0%")}, {F(c[1].GetDouble(), "+0.0%;-0.0%")}]";
                        if (d.TryGetProperty("adjustedPValue", out var ap) && ap.ValueKind == JsonValueKind.Number) p = "p " + F(ap.GetDouble(), "G3") + " (adj.)";
                        else if (d.TryGetProperty("pValue", out var pv) && pv.ValueKind == JsonValueKind.Number) p = "p " + F(pv.GetDouble(), "G3");
                        else if (d.TryGetProperty("chanceToWin", out var w) && w.ValueKind == JsonValueKind.Number) p = F(w.GetDouble(), "0.0%") + " to win";
                        if (d.TryGetProperty("errorMessage", out var m) && m.ValueKind == JsonValueKind.String) p = m.GetString()!;
                    }
                    table.AddRow(Markup.Escape(name), Markup.Escape(row.GetProperty("key").GetString()!), row.GetProperty("people").GetInt64().ToString("N0", CultureInfo.InvariantCulture),
                        F(row.GetProperty("value").GetDouble(), "G4"), lift, ci, Markup.Escape(p));
                    name = "";
                }
            }
            AnsiConsole.Write(table);
        }
    }
}
