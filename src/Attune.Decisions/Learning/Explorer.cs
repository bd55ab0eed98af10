namespace Attune.Decisions.Learning;

/// <summary>
/// Turns predicted rewards into the probabilities an action is chosen with, by the point's <see cref="ExplorationAlgorithm"/>,
/// and draws the action. Deterministic for a seed: the same event id gives the same choice (replays, tests).
/// </summary>
public static class Explorer
{
    /// <summary>Posterior draws that estimate Thompson sampling's probabilities.</summary>
    public const int ThompsonDraws = 64;

    /// <param name="scores">Predicted reward per action.</param>
    /// <param name="deviations">Thompson sampling: each prediction's posterior standard deviation (else ignored).</param>
    /// <param name="examples">Examples the learner has learned (SquareCB's γ).</param>
    /// <param name="probabilities">Written: the probability of each action; they sum to 1.</param>
    public static void Probabilities(ExplorationSettings settings, ReadOnlySpan<float> scores, ReadOnlySpan<float> deviations, long examples,
        ulong seed, Span<double> probabilities)
    {
        int k = scores.Length;
        if (k == 0) return;
        if (k == 1)
        {
            probabilities[0] = 1;
            return;
        }
        switch (settings.Algorithm)
        {
            case ExplorationAlgorithm.EpsilonGreedy:
            {
                float best = Max(scores);
                int ties = 0;
                for (int a = 0; a < k; a++) if (scores[a] == best) ties++;
                double floor = settings.Epsilon / k;
                for (int a = 0; a < k; a++) probabilities[a] = floor + (scores[a] == best ? (1 - settings.Epsilon) / ties : 0);
                break;
            }
            case ExplorationAlgorithm.Softmax:
            {
                float best = Max(scores);
                double sum = 0;
                for (int a = 0; a < k; a++) sum += probabilities[a] = Math.Exp(settings.Lambda * (scores[a] - best));
                for (int a = 0; a < k; a++) probabilities[a] /= sum;
                break;
            }
            case ExplorationAlgorithm.SquareCb:
            {
                int best = ArgMax(scores);
                double gamma = settings.GammaScale * Math.Pow(Math.Max(1, examples), settings.GammaExponent);
                double rest = 0;
                for (int a = 0; a < k; a++)
                {
                    if (a == best) continue;
                    rest += probabilities[a] = 1.0 / (k + gamma * Math.Max(0, scores[best] - scores[a]));
                }
                probabilities[best] = Math.Max(0, 1 - rest);
                break;
            }
            case ExplorationAlgorithm.Thompson:
            {
                probabilities[..k].Clear();
                var random = new SplitMix(seed ^ 0x5DEECE66DUL);
                for (int d = 0; d < ThompsonDraws; d++)
                {
                    int best = 0;
                    double top = double.NegativeInfinity;
                    for (int a = 0; a < k; a++)
                    {
                        double sample = scores[a] + settings.ThompsonScale * deviations[a] * random.NextGaussian();
                        if (sample > top) { top = sample; best = a; }
                    }
                    probabilities[best] += 1.0 / ThompsonDraws;
                }
                break;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(settings), settings.Algorithm, "unknown exploration algorithm");
        }
    }

    /// <summary>Draws an action by its probability with a uniform number from <paramref name="seed"/>.</summary>
    public static int Draw(ReadOnlySpan<double> probabilities, ulong seed)
    {
        double u = new SplitMix(seed).NextDouble();
        double cumulative = 0;
        int last = 0;
        for (int a = 0; a < probabilities.Length; a++)
        {
            if (probabilities[a] <= 0) continue;
            last = a;
            cumulative += probabilities[a];
            if (u < cumulative) return a;
        }
        return last; // rounding left u above the sum
    }

    public static int ArgMax(ReadOnlySpan<float> scores)
    {
        int best = 0;
        for (int a = 1; a < scores.Length; a++) if (scores[a] > scores[best]) best = a;
        return best;
    }

    private static float Max(ReadOnlySpan<float> scores)
    {
        float best = scores[0];
        for (int a = 1; a < scores.Length; a++) if (scores[a] > best) best = scores[a];
        return best;
    }
}

/// <summary>SplitMix64: a small, fast, seedable generator (the draws of one decision come from its event id).</summary>
public struct SplitMix(ulong seed)
{
    private ulong _state = seed;

    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Standard normal (Box–Muller).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>A 64-bit seed from a string (an event id): FNV-1a, then mixed.</summary>
    public static ulong SeedOf(string text)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in text)
        {
            h ^= c;
            h *= 1099511628211UL;
        }
        return new SplitMix(h).Next();
    }
}
