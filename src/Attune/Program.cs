using System.CommandLine;
using Attune.Cli.Commands;

var root = new RootCommand("Attune: a self-hosted personalization engine.")
{
    ServeCommand.Create(),
    DemoCommand.Create(),
    ImportCommand.Create(),
    StatsCommand.Create(),
    KeyCommand.Create(),
    EvaluateCommand.Create(),
    TuneCommand.Create(),
    ExperimentsCommand.Create(),
    OpeCommand.Create(),
    ClvCommand.Create(),
    PropensityCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
