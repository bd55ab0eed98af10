using Attune.Evaluation.Datasets;
using Attune.Evaluation.Metrics;

namespace Attune.Evaluation.Protocols;

/// <summary>
/// The SR-GNN session benchmark: train on whole training sessions (one sequence and one matrix row per session), then for each
/// test (prefix, target) score every item for an anonymous visitor (<c>user = -1</c>) whose history is the prefix; nothing is
/// excluded. <c>p@20</c> (hit rate) and <c>mrr@20</c>, both ×100 (<see cref="SessionMetrics"/>).
/// Validation: the last <see cref="ValidationShare"/> of the training sessions (they are in date order) are expanded into
/// cases the SR-GNN way, after dropping their clicks on items the earlier sessions never show and then sessions left shorter
/// than 2.
/// </summary>
public sealed class SessionProtocol : IEvaluationProtocol
{
    public const double ValidationShare = 0.1;
    public const int K = 20;

    public string Name => "session";
    public string Description => "SR-GNN session benchmark: score all items per test prefix, P@20 and MRR@20 (×100)";
    public string DefaultMetric => "mrr@20";

    public EvaluationSplit CreateSplit(Dataset dataset)
    {
        if (dataset.Layout != DatasetLayout.Sessions)
            throw new InvalidOperationException($"protocol '{Name}' needs a session dataset (train_sessions.txt + test.tsv); {dataset.Name} " +
                $"holds {dataset.Layout.ToString().ToLowerInvariant()}");
        var test = dataset.TestCases!;
        var targets = new RowsBuilder(dataset.ItemCount);
        foreach (int t in test.Targets) targets.Add([t]);
        var users = new int[test.Count];
        Array.Fill(users, -1);
        return new EvaluationSplit
        {
            Protocol = Name,
            Training = TrainingDataBuilder.FromSequences(dataset.TrainSessions!),
            Cases = new EvaluationCases { Users = users, History = test.Prefixes, Targets = targets.Build() },
            Metrics = new SessionMetrics(K),
            ItemCategories = dataset.ItemCategories,
            Description = $"{dataset.TrainSessions!.Rows:N0} training sessions, {test.Count:N0} test prefixes, all items ranked",
        };
    }

    public Dataset CarveValidation(Dataset dataset)
    {
        if (dataset.Layout != DatasetLayout.Sessions)
            throw new InvalidOperationException($"protocol '{Name}' needs a session dataset");
        var sessions = dataset.TrainSessions!;
        int held = Math.Max(1, (int)Math.Round(sessions.Rows * ValidationShare));
        int cut = sessions.Rows - held;
        var train = new RowsBuilder(sessions.ItemCount);
        var seen = new bool[sessions.ItemCount];
        for (int s = 0; s < cut; s++)
        {
            var row = sessions.Row(s);
            train.Add(row);
            foreach (int i in row) seen[i] = true;
        }
        var heldOut = new RowsBuilder(sessions.ItemCount);
        var kept = new List<int>();
        for (int s = cut; s < sessions.Rows; s++)
        {
            kept.Clear();
            foreach (int i in sessions.Row(s))
                if (seen[i]) kept.Add(i);
            if (kept.Count >= 2) heldOut.Add(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(kept));
        }
        return dataset with
        {
            TrainSessions = train.Build(),
            TestCases = SessionCases.Expand(heldOut.Build()),
            Name = dataset.Name + " (training part)",
        };
    }
}
