using System.Diagnostics;
using Spectre.Console;

namespace Attune.Cli.Commands;

/// <summary>
/// Shows progress of long work: a live bar on a terminal, plain lines (at most one every two seconds) when output is
/// redirected, so logs and CI stay readable.
/// </summary>
internal static class ProgressReporter
{
    public static bool Interactive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Runs <paramref name="work"/>, handing it an <see cref="IProgress{T}"/> of units done out of <paramref name="total"/> (0 = unknown).</summary>
    public static async Task<T> RunAsync<T>(string label, long total, string unit, Func<IProgress<long>, Task<T>> work)
    {
        if (Interactive)
        {
            return await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask(label, maxValue: total > 0 ? total : 1);
                    if (total <= 0) task.IsIndeterminate = true;
                    var result = await work(new Progress<long>(done =>
                    {
                        task.Value = total > 0 ? Math.Min(done, total) : 0;
                        task.Description = $"{label} ({done:N0} {unit})";
                    }));
                    task.Value = task.MaxValue;
                    return result;
                });
        }
        var clock = Stopwatch.StartNew();
        long lastPrint = 0;
        var progress = new SyncProgress(done =>
        {
            if (clock.ElapsedMilliseconds - lastPrint < 2000) return;
            lastPrint = clock.ElapsedMilliseconds;
            string pct = total > 0 ? $" ({100.0 * done / total:F0}%)" : "";
            Console.WriteLine($"{label}: {done:N0} {unit}{pct}, {clock.Elapsed.TotalSeconds:F1} s");
        });
        return await work(progress);
    }

    private sealed class SyncProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
