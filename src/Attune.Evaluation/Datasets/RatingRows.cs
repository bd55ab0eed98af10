namespace Attune.Evaluation.Datasets;

/// <summary>
/// Interaction rows as columns, in file order: row <c>r</c> is (<see cref="User"/>[r], <see cref="Item"/>[r], <see cref="Rating"/>[r],
/// <see cref="Time"/>[r]). Users and items are dense indexes.
/// </summary>
public sealed class RatingRows
{
    public RatingRows(int[] user, int[] item, float[] rating, double[] time)
    {
        if (item.Length != user.Length || rating.Length != user.Length || time.Length != user.Length)
            throw new ArgumentException("rating columns differ in length");
        User = user;
        Item = item;
        Rating = rating;
        Time = time;
    }

    public int Count => User.Length;
    public int[] User { get; }
    public int[] Item { get; }

    /// <summary>The rating, or 1 when the source has none.</summary>
    public float[] Rating { get; }

    /// <summary>Unix seconds, or the position in the user's sequence when the source has no time.</summary>
    public double[] Time { get; }

    /// <summary>The rows at <paramref name="rows"/>, in that order.</summary>
    public RatingRows Select(ReadOnlySpan<int> rows)
    {
        var u = new int[rows.Length];
        var i = new int[rows.Length];
        var r = new float[rows.Length];
        var t = new double[rows.Length];
        for (int k = 0; k < rows.Length; k++)
        {
            int p = rows[k];
            u[k] = User[p];
            i[k] = Item[p];
            r[k] = Rating[p];
            t[k] = Time[p];
        }
        return new RatingRows(u, i, r, t);
    }
}
