using Attune.Experiments.Definitions;

namespace Attune.Experiments.Running;

/// <summary>Capping: each metric's per-person values capped (absolute, or a percentile kept current), and sums rebuilt.</summary>
public sealed partial class ExperimentTracker
{
    private sealed partial class Tracked
    {
        private double Cap(int m, double value) => value < _caps[m] ? value : _caps[m];

        /// <summary>
        /// Percentile caps: recomputed (under the lock) from everyone's values when the data grew by 1 % (at least 50 moves
        /// or people) since the last computation; when a cap moves, only the people above the lower of the old and new cap
        /// move in the sums.
        /// </summary>
        private void RefreshCaps()
        {
            long version = _people.Count + _moves;
            List<int>? due = null;
            for (int m = 0; m < _metrics.Length; m++)
            {
                if (_cappings[m] is not { Type: CappingType.Percentile }) continue;
                if (_capVersions[m] >= 0 && version - _capVersions[m] < Math.Max(50, _capVersions[m] / 100)) continue;
                (due ??= []).Add(m);
            }
            if (due is null) return;
            // One pass over the people collects every due metric's values and the people a cap can touch (a non-zero value
            // now or before exposure); metrics counting the same values with the same capping share one quantile.
            var values = new List<double>[due.Count];
            var touched = new List<Person>[due.Count];
            for (int k = 0; k < due.Count; k++)
            {
                values[k] = [];
                touched[k] = [];
            }
            foreach (var (_, person) in _people)
            {
                for (int k = 0; k < due.Count; k++)
                {
                    int m = due[k];
                    double x = person.Numerator[m];
                    if (x != 0 || !_cappings[m]!.IgnoreZeros) values[k].Add(x);
                    if (x != 0 || person.PreNumerator[m] != 0) touched[k].Add(person);
                }
            }
            var shared = new Dictionary<string, double>(StringComparer.Ordinal);
            for (int k = 0; k < due.Count; k++)
            {
                int m = due[k];
                _capVersions[m] = version;
                string key = ValuesKey(_metrics[m]);
                if (!shared.TryGetValue(key, out double cap)) shared[key] = cap = Quantile(values[k], _cappings[m]!.Value);
                double old = _caps[m];
                if (cap == old) continue;
                _caps[m] = cap;
                // Only people above the lower of the two caps change; each moves from the old capped values to the new.
                double below = Math.Min(old, cap);
                foreach (var person in touched[k])
                {
                    if (person.Numerator[m] <= below && person.PreNumerator[m] <= below) continue;
                    if ((person.Sums ?? VariantOf(person)) is not { } sums || m >= sums.Metrics.Length) continue;
                    ref var metric = ref sums.Metrics[m];
                    double a = Math.Min(person.Numerator[m], old), b = Math.Min(person.Numerator[m], cap), den = person.Denominator[m];
                    if (person.PreKnown) metric.AddPre(a, den, Math.Min(person.PreNumerator[m], old), person.PreDenominator[m], sign: -1);
                    metric.MoveNumerator(a, b, den);
                    if (person.PreKnown) metric.AddPre(b, den, Math.Min(person.PreNumerator[m], cap), person.PreDenominator[m]);
                }
            }
        }

        /// <summary>What a metric's per-person numerator counts, and how it is capped: metrics with equal keys share a cap.</summary>
        private static string ValuesKey(CompiledMetric m) =>
            $"{string.Join(',', m.Definition.EventTypes)}|{m.Value}|{m.RecommendedOnly}|{m.WindowMs}|{m.Definition.Capping}";

        /// <summary>The <paramref name="q"/> quantile with linear interpolation (SQL's PERCENTILE_CONT); +∞ with no values.</summary>
        internal static double Quantile(List<double> values, double q)
        {
            if (values.Count == 0) return double.PositiveInfinity;
            values.Sort();
            double rank = q * (values.Count - 1);
            int lo = (int)Math.Floor(rank);
            int hi = Math.Min(lo + 1, values.Count - 1);
            return values[lo] + (rank - lo) * (values[hi] - values[lo]);
        }

        /// <summary>These metrics' sums, every phase and variant, recomputed from the people's (capped) values in one pass.</summary>
        private void Rebuild(IReadOnlyList<int> metrics)
        {
            foreach (var phase in _phases)
                foreach (var variant in phase.Values)
                    foreach (int m in metrics)
                        if (m < variant.Metrics.Length) variant.Metrics[m] = default;
            foreach (var person in _people.Values)
            {
                if ((person.Sums ?? VariantOf(person)) is not { } sums) continue;
                foreach (int m in metrics)
                {
                    if (m >= sums.Metrics.Length) continue;
                    sums.Metrics[m].AddPerson(Cap(m, person.Numerator[m]), person.Denominator[m], person.PreKnown, Cap(m, person.PreNumerator[m]), person.PreDenominator[m]);
                }
            }
        }
    }
}
