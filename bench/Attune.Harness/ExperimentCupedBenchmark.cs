using Attune.Tests.Experiments.Simulation;

namespace Attune.Harness;

/// <summary>
/// CUPED's variance reduction against theory (<see cref="CupedSimulation"/>): several levels of pre/post correlation, several
/// seeded experiments each; the interval should narrow to √(1 − ρ²) of its width.
/// </summary>
internal static class ExperimentCupedBenchmark
{
    public static int Run(HarnessOptions o)
    {
        int people = o.Int("people", 10_000), repeats = o.Int("repeats", 20), seed = o.Int("seed", 1);
        Console.WriteLine($"experiment-cuped: {people:N0} people per experiment, {repeats} experiments per noise level, revenue per person, seed {seed}");
        bool ok = true;
        foreach (double noise in new[] { 10.0, 20.0, 30.0, 60.0 })
        {
            var rng = new Random(seed * 1000 + (int)noise);
            double sumRatio = 0, sumTheory = 0;
            for (int r = 0; r < repeats; r++)
            {
                var (with, without, rho, _) = CupedSimulation.Run(rng, people, noise, lift: 2);
                sumRatio += CupedSimulation.WidthRatio(with, without);
                sumTheory += Math.Sqrt(1 - rho * rho);
            }
            double measured = sumRatio / repeats, theory = sumTheory / repeats;
            ok &= Math.Abs(measured - theory) < 0.03;
            Console.WriteLine($"experiment-cuped: noise {noise,4:F0}: CI width with CUPED / without = {measured:F3}; theory sqrt(1 - rho^2) = {theory:F3} " +
                $"(difference {measured - theory:F4}; rho {Math.Sqrt(1 - theory * theory):F3})");
        }
        return ok ? 0 : 1;
    }
}
