using Attune.Evaluation.Datasets;
using Attune.Evaluation.Metrics;

namespace Attune.Evaluation.Protocols;

/// <summary>
/// The microsoft/recommenders MovieLens benchmark: <see cref="StratifiedSplitter"/> 75/25 per item (seed 42), top-10 with the
/// user's training items removed, every test row relevant; <c>map</c>, <c>ndcg@10</c>, <c>precision@10</c>, <c>recall@10</c>
/// averaged over the users with test rows (<see cref="RecommendersMetrics"/>). The model reads the user's training items in time
/// order. Validation: the same split (seed 42) of the training part.
/// </summary>
public sealed class RecommendersProtocol : IEvaluationProtocol
{
    public const double Ratio = 0.75;
    public const int K = 10;

    public string Name => "recommenders";
    public string Description => "microsoft/recommenders: stratified 75/25 split per item (seed 42), top-10, seen items removed";
    public string DefaultMetric => "ndcg@10";

    public EvaluationSplit CreateSplit(Dataset dataset)
    {
        var rows = DatasetViews.Rows(dataset);
        int users = dataset.Users.Count, items = dataset.ItemCount;
        var (trainRows, testRows) = StratifiedSplitter.SplitByItem(rows, items, Ratio);
        var training = TrainingDataBuilder.FromRows(rows.Select(trainRows), users, items);

        // Test items per user, ascending and distinct.
        var testItems = new SortedSet<int>?[users];
        foreach (int r in testRows) (testItems[rows.User[r]] ??= []).Add(rows.Item[r]);
        var caseUsers = new List<int>();
        var history = new RowsBuilder(items);
        var targets = new RowsBuilder(items);
        var exclude = new RowsBuilder(items);
        for (int u = 0; u < users; u++)
        {
            if (testItems[u] is not { } set) continue;
            caseUsers.Add(u);
            history.Add(training.Sequences!.Row(u));
            targets.Add([.. set]);
            exclude.Add(training.Interactions.ItemsOf(u));
        }
        return new EvaluationSplit
        {
            Protocol = Name,
            Training = training,
            Cases = new EvaluationCases
            {
                Users = [.. caseUsers],
                History = history.Build(),
                Targets = targets.Build(),
                Exclude = exclude.Build(),
            },
            Metrics = new RecommendersMetrics(K),
            ItemCategories = dataset.ItemCategories,
            Description = $"{trainRows.Length:N0} train / {testRows.Length:N0} test rows (stratified by item, ratio {Ratio}, seed " +
                $"{StratifiedSplitter.DefaultSeed}); {caseUsers.Count:N0} test users",
        };
    }

    public Dataset CarveValidation(Dataset dataset)
    {
        var rows = DatasetViews.Rows(dataset);
        var (trainRows, _) = StratifiedSplitter.SplitByItem(rows, dataset.ItemCount, Ratio);
        return dataset with
        {
            Layout = DatasetLayout.Ratings,
            Ratings = rows.Select(trainRows),
            Sequences = null,
            Name = dataset.Name + " (training part)",
        };
    }
}
