using System.CommandLine;
using Attune.Storage.Sqlite;
using Spectre.Console;

namespace Attune.Cli.Commands;

internal static class StatsCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data();
        var command = new Command("stats", "Show what the store holds; analyze and srm run the experiment statistics engine")
        {
            data, StatsAnalyzeCommand.Create(), StatsSrmCommand.Create(),
        };
        command.SetAction(async (result, ct) =>
        {
            string dir = result.GetValue(data)!;
            if (!File.Exists(Path.Combine(dir, "attune.db")))
            {
                Console.Error.WriteLine($"attune: no store in {Path.GetFullPath(dir)}");
                return 1;
            }
            SqliteStore store;
            try
            {
                store = SqliteStore.Open(new SqliteStoreOptions { DataDirectory = dir, Owner = "attune stats", Cipher = CommonOptions.CipherFromEnvironment() });
            }
            catch (DataFolderInUseException e) when (e.Owner?.Url is { } url)
            {
                // REVIEW: stats could read a served folder read-only; until then the server answers the same question.
                Console.Error.WriteLine($"attune: {e.Directory} is in use by {e.Owner}; stop it first, or read its statistics at {url.Split(';')[0].TrimEnd('/')}/v1/stats");
                return CommonOptions.ExitFolderInUse;
            }
            catch (DataFolderInUseException e)
            {
                Console.Error.WriteLine($"attune: {e.Message}");
                return CommonOptions.ExitFolderInUse;
            }
            catch (Exception e) when (CommonOptions.IsBadStore(e))
            {
                Console.Error.WriteLine($"attune: --data {dir}: {e.Message}");
                return CommonOptions.ExitBadPath;
            }
            await using var _ = store;
            var s = await store.GetStatsAsync(ct);
            var table = new Table().AddColumn("what").AddColumn(new TableColumn("count").RightAligned());
            table.AddRow("items", s.Items.ToString("N0"));
            table.AddRow("users", s.Users.ToString("N0"));
            table.AddRow("anonymous visitors", s.AnonymousVisitors.ToString("N0"));
            table.AddRow("events", s.Events.ToString("N0"));
            foreach (var (type, n) in s.EventsByType.OrderByDescending(kv => kv.Value)) table.AddRow("  " + type, n.ToString("N0"));
            table.AddRow("first event", s.FirstEvent?.ToString("u") ?? "-");
            table.AddRow("last event", s.LastEvent?.ToString("u") ?? "-");
            table.AddRow("database size", $"{s.DatabaseBytes / 1048576.0:F1} MiB");
            if (s.EncryptedValues is { } encrypted)
            {
                // Encryption at rest: personal values per key; a rotation is done when only the active key has any.
                table.AddRow("encrypted values", "");
                foreach (var (key, n) in encrypted) table.AddRow("  " + Markup.Escape(key), n.ToString("N0"));
            }
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }
}
