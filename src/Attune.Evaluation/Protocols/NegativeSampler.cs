using Attune.Algorithms.Data;
using Attune.Evaluation.Datasets;

namespace Attune.Evaluation.Protocols;

/// <summary>
/// Draws each case's negatives uniformly without replacement from the items the user never interacted with (S3-Rec's way; SASRec
/// draws with replacement). One <see cref="Random"/> with a fixed seed walks the cases in order, so the same input gives the
/// same negatives. When fewer items are left than asked for, all of them are taken.
/// </summary>
public static class NegativeSampler
{
    public const int DefaultSeed = 12345;

    /// <param name="sequences">Every user's items: none of them may be drawn.</param>
    /// <param name="users">The users to draw for, one row of the result each.</param>
    public static SequenceData Sample(SequenceData sequences, IReadOnlyList<int> users, int count, int seed = DefaultSeed)
    {
        int items = sequences.ItemCount;
        var rng = new Random(seed);
        var mark = new int[items];  // mark[i] == c + 1: item i is taken for case c (the user's own, or already drawn)
        var result = new RowsBuilder(items);
        Span<int> drawn = count <= 1024 ? stackalloc int[count] : new int[count];
        for (int c = 0; c < users.Count; c++)
        {
            int stamp = c + 1, own = 0;
            foreach (int i in sequences.Row(users[c]))
            {
                if (mark[i] == stamp) continue;
                mark[i] = stamp;
                own++;
            }
            int n = 0;
            if (items - own <= count)
            {
                for (int i = 0; i < items; i++)
                    if (mark[i] != stamp) drawn[n++] = i;
            }
            else
            {
                while (n < count)
                {
                    int i = rng.Next(items);
                    if (mark[i] == stamp) continue;
                    mark[i] = stamp;
                    drawn[n++] = i;
                }
            }
            result.Add(drawn[..n]);
        }
        return result.Build();
    }
}
