using Attune.Algorithms.Data;
using Attune.Evaluation.Datasets;

namespace Attune.Evaluation.Protocols;

/// <summary>
/// The leave-one-out split of ICLRec, S3-Rec and SASRec: each user's last item is the target; the model trains on every item
/// before it (training + validation items) and reads at most the <see cref="MaxHistory"/> most recent of them; all of them are
/// masked out of the full ranking. Validation is the same split of the sequences without their last item.
/// </summary>
public static class LeaveOneOut
{
    public const int MaxHistory = 50;

    /// <summary>Users with at least one item: every one of them is a test case.</summary>
    public static List<int> UsersWithItems(SequenceData sequences)
    {
        var users = new List<int>();
        for (int u = 0; u < sequences.Rows; u++)
            if (sequences.Row(u).Length > 0) users.Add(u);
        return users;
    }

    public static (TrainingData Training, EvaluationCases Cases) Build(SequenceData sequences, IReadOnlyList<int> users,
        SequenceData? negatives = null)
    {
        var training = TrainingDataBuilder.FromSequences(TrainingDataBuilder.DropLast(sequences, 1));
        int items = sequences.ItemCount;
        var history = new RowsBuilder(items);
        var targets = new RowsBuilder(items);
        var exclude = new RowsBuilder(items);
        foreach (int u in users)
        {
            var row = sequences.Row(u);
            var before = row[..^1];
            history.Add(before[Math.Max(0, before.Length - MaxHistory)..]);
            targets.Add(row[^1..]);
            exclude.Add(before);
        }
        var cases = new EvaluationCases
        {
            Users = [.. users],
            History = history.Build(),
            Targets = targets.Build(),
            Exclude = exclude.Build(),
            Negatives = negatives,
        };
        return (training, cases);
    }

    /// <summary>The sequences without each user's last item, as a sequence dataset.</summary>
    public static Dataset WithoutLastItem(Dataset dataset) => dataset with
    {
        Layout = DatasetLayout.Sequences,
        Sequences = TrainingDataBuilder.DropLast(DatasetViews.UserSequences(dataset), 1),
        Ratings = null,
        Name = dataset.Name + " (training part)",
    };
}
