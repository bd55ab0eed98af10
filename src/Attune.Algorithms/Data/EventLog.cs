namespace Attune.Algorithms.Data;

/// <summary>
/// The raw interactions behind a <see cref="TrainingData"/>, column-wise: who, what, how strong, when, and the event type code.
/// Models that need time (decayed popularity, trending) or event types ("bought together") read it; others use the matrix.
/// </summary>
public sealed class EventLog(int[] users, int[] items, float[] weights, long[] timesMs, int[] types)
{
    public int[] Users { get; } = users;
    public int[] Items { get; } = items;
    /// <summary>Signed strength: negative for dislike, refund, removal.</summary>
    public float[] Weights { get; } = weights;
    public long[] TimesMs { get; } = timesMs;
    /// <summary>Event type code (see Attune.Model.EventType); 0 when unknown.</summary>
    public int[] Types { get; } = types;

    public int Count => Users.Length;

    /// <summary>The newest event time: "now" for decay.</summary>
    public long LatestMs => TimesMs.Length == 0 ? 0 : TimesMs.Max();

    /// <summary>
    /// The user × item matrix of the events whose type is in <paramref name="types"/> (all when null), each weighted by
    /// <c>0.5^(age / halfLife)</c> when <paramref name="halfLifeDays"/> &gt; 0 (age measured from <see cref="LatestMs"/>).
    /// </summary>
    public InteractionMatrix ToMatrix(int userCount, int itemCount, IReadOnlySet<int>? types = null, double halfLifeDays = 0)
    {
        long now = LatestMs;
        var u = new List<int>(Count);
        var i = new List<int>(Count);
        var w = new List<float>(Count);
        for (int k = 0; k < Count; k++)
        {
            if (types is not null && !types.Contains(Types[k])) continue;
            double decay = halfLifeDays > 0 ? Math.Pow(0.5, (now - TimesMs[k]) / (halfLifeDays * 86_400_000)) : 1;
            u.Add(Users[k]);
            i.Add(Items[k]);
            w.Add((float)(Weights[k] * decay));
        }
        return InteractionMatrix.FromTriples(userCount, itemCount, u.ToArray(), i.ToArray(), w.ToArray());
    }
}
