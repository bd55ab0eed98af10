using System.CommandLine;

namespace Attune.Cli.Commands;

internal static class CommonOptions
{
    public static Option<string> Data() => new("--data")
    {
        Description = "Folder of the embedded store",
        DefaultValueFactory = _ => "./data",
    };
}
