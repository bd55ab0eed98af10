using Attune.Evaluation.Datasets;
using Attune.Evaluation.Metrics;

namespace Attune.Evaluation.Protocols;

/// <summary>
/// ICLRec / S3-Rec full ranking: <see cref="LeaveOneOut"/>, every item scored, the user's earlier items masked; HIT@k and
/// NDCG@k (1 / log2(rank + 2), 0-based rank) for k = 5, 10, 20 over all users (<see cref="NextItemMetrics"/>).
/// </summary>
public sealed class SequentialFullProtocol : IEvaluationProtocol
{
    public string Name => "seq-full";
    public string Description => "ICLRec/S3-Rec: leave-one-out, full ranking with earlier items masked, HR/NDCG@5/10/20";
    public string DefaultMetric => "ndcg@10";

    public EvaluationSplit CreateSplit(Dataset dataset)
    {
        var sequences = DatasetViews.UserSequences(dataset);
        var users = LeaveOneOut.UsersWithItems(sequences);
        var (training, cases) = LeaveOneOut.Build(sequences, users);
        return new EvaluationSplit
        {
            Protocol = Name,
            Training = training,
            Cases = cases,
            Metrics = new NextItemMetrics([5, 10, 20]),
            ItemCategories = dataset.ItemCategories,
            Description = $"leave-one-out: {users.Count:N0} users, last item = target, input = up to {LeaveOneOut.MaxHistory} " +
                "earlier items, earlier items masked",
        };
    }

    public Dataset CarveValidation(Dataset dataset) => LeaveOneOut.WithoutLastItem(dataset);
}
