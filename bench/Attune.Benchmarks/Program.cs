using BenchmarkDotNet.Running;

// Micro-benchmarks. Run from the repository root:
//   dotnet run -c Release --project bench/Attune.Benchmarks -- --filter '*'
// Results and the machine they ran on go to docs/benchmarks.md.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
