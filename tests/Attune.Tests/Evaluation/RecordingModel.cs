using System.Collections.Concurrent;
using Attune.Algorithms;
using Attune.Algorithms.Data;

namespace Attune.Tests.Evaluation;

/// <summary>
/// A model kind that remembers everything it was shown: the training data of every fit and the (user, history) of every score
/// call, so a test can check that tuning never saw test data.
/// </summary>
internal sealed class RecordingModel
{
    public ConcurrentBag<TrainingData> Trained { get; } = [];
    public ConcurrentBag<(int User, int[] History)> Scored { get; } = [];
    public ConcurrentBag<double> Alphas { get; } = [];

    public ModelDescriptor Descriptor => new("recorder", "records its inputs",
        p =>
        {
            Alphas.Add(p.Double("alpha", 1));
            return new Trainer(this);
        },
        _ => throw new NotSupportedException(),
        [new ParameterRange("alpha", 0.01, 10, LogScale: true)]);

    /// <summary>Every item index the model was ever shown, in training (matrix and sequences) or as scoring history.</summary>
    public HashSet<int> ItemsSeen()
    {
        var seen = new HashSet<int>();
        foreach (var t in Trained)
        {
            seen.UnionWith(t.Interactions.Columns);
            if (t.Sequences is not null) seen.UnionWith(t.Sequences.Items);
        }
        foreach (var (_, history) in Scored) seen.UnionWith(history);
        return seen;
    }

    /// <summary>Every (user, item) pair in any training matrix or scoring history of a known user.</summary>
    public HashSet<(int, int)> PairsSeen()
    {
        var seen = new HashSet<(int, int)>();
        foreach (var t in Trained)
            for (int u = 0; u < t.Users; u++)
                foreach (int i in t.Interactions.ItemsOf(u)) seen.Add((u, i));
        foreach (var (user, history) in Scored)
            foreach (int i in history) seen.Add((user, i));
        return seen;
    }

    private sealed class Trainer(RecordingModel owner) : IRecommenderTrainer
    {
        public IRecommender Fit(TrainingData data, CancellationToken cancellationToken = default)
        {
            owner.Trained.Add(data);
            return new Recommender(owner, data.Items);
        }
    }

    private sealed class Recommender(RecordingModel owner, int items) : IRecommender
    {
        public string Name => "recorder";
        public int Items => items;

        public void Score(int user, ReadOnlySpan<int> history, Span<float> scores)
        {
            owner.Scored.Add((user, history.ToArray()));
            for (int i = 0; i < scores.Length; i++) scores[i] = -i;
        }

        public void Save(BinaryWriter writer) => throw new NotSupportedException();
    }
}
