using Attune.Algorithms.Data;

namespace Attune.Evaluation.Datasets;

/// <summary>
/// The same data in the other per-user shape, so every per-user protocol runs on either layout: rating rows become per-user
/// sequences ordered by time (file order breaks ties), and sequences become rows of rating 1 with the position as time.
/// </summary>
public static class DatasetViews
{
    /// <summary>Each user's items in time order (row = user).</summary>
    public static SequenceData UserSequences(Dataset dataset) => dataset.Layout switch
    {
        DatasetLayout.Sequences => dataset.Sequences!,
        DatasetLayout.Ratings => SequencesOf(dataset.Ratings!, dataset.Users.Count, dataset.ItemCount),
        _ => throw new InvalidOperationException(
            $"{dataset.Name} is a session dataset (anonymous sessions); this protocol needs per-user data"),
    };

    /// <summary>Every interaction as a row.</summary>
    public static RatingRows Rows(Dataset dataset) => dataset.Layout switch
    {
        DatasetLayout.Ratings => dataset.Ratings!,
        DatasetLayout.Sequences => RowsOf(dataset.Sequences!),
        _ => throw new InvalidOperationException(
            $"{dataset.Name} is a session dataset (anonymous sessions); this protocol needs per-user data"),
    };

    /// <summary>Rows grouped by user, each user's rows sorted by (time, row number).</summary>
    public static SequenceData SequencesOf(RatingRows rows, int users, int items)
    {
        var order = RowsByUserInTime(rows, users, out var start);
        var seq = new int[order.Length];
        for (int k = 0; k < order.Length; k++) seq[k] = rows.Item[order[k]];
        return new SequenceData(items, start, seq);
    }

    /// <summary>Row numbers grouped by user (CSR offsets in <paramref name="start"/>), each group in (time, row number) order.</summary>
    public static int[] RowsByUserInTime(RatingRows rows, int users, out int[] start)
    {
        start = new int[users + 1];
        foreach (int u in rows.User) start[u + 1]++;
        for (int u = 0; u < users; u++) start[u + 1] += start[u];
        var next = (int[])start.Clone();
        var order = new int[rows.Count];
        for (int r = 0; r < rows.Count; r++) order[next[rows.User[r]]++] = r;
        var keys = new (double Time, int Row)[rows.Count];
        for (int k = 0; k < order.Length; k++) keys[k] = (rows.Time[order[k]], order[k]);
        for (int u = 0; u < users; u++) Array.Sort(keys, order, start[u], start[u + 1] - start[u]);
        return order;
    }

    public static RatingRows RowsOf(SequenceData sequences)
    {
        int n = sequences.Items.Length;
        var user = new int[n];
        var rating = new float[n];
        var time = new double[n];
        for (int u = 0; u < sequences.Rows; u++)
        {
            for (int p = sequences.Start[u]; p < sequences.Start[u + 1]; p++)
            {
                user[p] = u;
                time[p] = p - sequences.Start[u];
            }
        }
        Array.Fill(rating, 1f);
        return new RatingRows(user, (int[])sequences.Items.Clone(), rating, time);
    }
}
