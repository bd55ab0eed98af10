using Attune.Evaluation.Datasets;
using Attune.Evaluation.Metrics;

namespace Attune.Evaluation.Protocols;

/// <summary>
/// SASRec's sampled protocol: <see cref="LeaveOneOut"/>, the target ranked among <see cref="Negatives"/> items the user never
/// interacted with (<see cref="NegativeSampler"/>, seed 12345), HR@10 and NDCG@10 over all users, or over
/// <see cref="MaxUsers"/> of them (seed 42) when there are more. The same users are also ranked against every item, with earlier
/// items masked (<c>full-hr@10</c>, <c>full-ndcg@10</c>), because sampled metrics can order models differently from full ranking
/// (Krichene &amp; Rendle, KDD 2020).
/// </summary>
public sealed class SequentialSampledProtocol : IEvaluationProtocol
{
    public const int Negatives = 100;
    public const int MaxUsers = 10_000;
    public const int UserSampleSeed = 42;

    public string Name => "seq-sampled";
    public string Description => $"SASRec: leave-one-out, target vs {Negatives} sampled negatives, HR/NDCG@10 (+ full ranking)";
    public string DefaultMetric => "ndcg@10";

    public EvaluationSplit CreateSplit(Dataset dataset)
    {
        var sequences = DatasetViews.UserSequences(dataset);
        var users = SampleUsers(LeaveOneOut.UsersWithItems(sequences));
        var negatives = NegativeSampler.Sample(sequences, users, Negatives);
        var (training, cases) = LeaveOneOut.Build(sequences, users, negatives);
        return new EvaluationSplit
        {
            Protocol = Name,
            Training = training,
            Cases = cases,
            Metrics = new SampledNextItemMetrics(10),
            ItemCategories = dataset.ItemCategories,
            Description = $"leave-one-out: {users.Count:N0} users, target vs {Negatives} negatives drawn from items the user " +
                $"never interacted with (seed {NegativeSampler.DefaultSeed})",
        };
    }

    public Dataset CarveValidation(Dataset dataset) => LeaveOneOut.WithoutLastItem(dataset);

    /// <summary>All users when at most <see cref="MaxUsers"/>, else that many drawn with a fixed seed, ascending.</summary>
    public static List<int> SampleUsers(List<int> users)
    {
        if (users.Count <= MaxUsers) return users;
        var pool = users.ToArray();
        var rng = new Random(UserSampleSeed);
        for (int k = 0; k < MaxUsers; k++)
        {
            int j = k + rng.Next(pool.Length - k);
            (pool[k], pool[j]) = (pool[j], pool[k]);
        }
        var sample = pool[..MaxUsers];
        Array.Sort(sample);
        return [.. sample];
    }
}
