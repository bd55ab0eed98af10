namespace Attune.Algorithms.Scoring;

/// <summary>
/// A model that scores by dot product: a vector per user and per item (and an optional bias per item), so
/// <c>score(u, i) = userFactors[u] · itemFactors[i] + itemBias[i]</c>. ALS and BPR differ only in how they learn the vectors and
/// how they build a vector for someone they have not seen (<see cref="InferUserVector"/>).
/// </summary>
/// <remarks>Factors are row-major: <see cref="Rank"/> floats per user and per item, in one flat array each.</remarks>
public abstract class FactorModel : IRecommender
{
    private readonly float[] _userFactors;
    private readonly float[] _itemFactors;
    private readonly float[]? _itemBias;

    protected FactorModel(int rank, float[] userFactors, float[] itemFactors, float[]? itemBias)
    {
        if (rank <= 0) throw new ArgumentOutOfRangeException(nameof(rank));
        if (userFactors.Length % rank != 0 || itemFactors.Length % rank != 0) throw new ArgumentException("factor arrays must hold whole rows of rank floats");
        Rank = rank;
        Users = userFactors.Length / rank;
        Items = itemFactors.Length / rank;
        if (itemBias is not null && itemBias.Length != Items) throw new ArgumentException("item bias must have one entry per item", nameof(itemBias));
        _userFactors = userFactors;
        _itemFactors = itemFactors;
        _itemBias = itemBias;
    }

    public abstract string Name { get; }
    public int Rank { get; }
    public int Users { get; }
    public int Items { get; }

    /// <summary>All user vectors, row-major.</summary>
    public ReadOnlySpan<float> UserFactors => _userFactors;
    /// <summary>All item vectors, row-major.</summary>
    public ReadOnlySpan<float> ItemFactors => _itemFactors;
    /// <summary>Per-item bias, or empty.</summary>
    public ReadOnlySpan<float> ItemBias => _itemBias;

    public ReadOnlySpan<float> UserVector(int user) => _userFactors.AsSpan(user * Rank, Rank);
    public ReadOnlySpan<float> ItemVector(int item) => _itemFactors.AsSpan(item * Rank, Rank);

    /// <summary>
    /// Builds a vector for someone outside the training data from the items in <paramref name="history"/> (indexes outside
    /// <c>0..Items-1</c> are ignored).
    /// </summary>
    public abstract void InferUserVector(ReadOnlySpan<int> history, Span<float> userVector);

    /// <inheritdoc/>
    /// <remarks>A user index outside <c>0..Users-1</c> (such as -1) is scored from <paramref name="history"/> through <see cref="InferUserVector"/>.</remarks>
    public void Score(int user, ReadOnlySpan<int> history, Span<float> scores)
    {
        if (scores.Length != Items) throw new ArgumentException($"scores must have {Items} entries", nameof(scores));
        if ((uint)user < (uint)Users)
        {
            FactorScorer.ScoreAll(_itemFactors, Rank, UserVector(user), scores, _itemBias);
            return;
        }
        Span<float> v = Rank <= 512 ? stackalloc float[Rank] : new float[Rank];
        InferUserVector(history, v);
        FactorScorer.ScoreAll(_itemFactors, Rank, v, scores, _itemBias);
    }

    /// <summary>
    /// The <paramref name="k"/> best items for a user (or, for <c>user = -1</c>, for <paramref name="history"/>), best first,
    /// skipping <paramref name="exclude"/> (ascending). Returns how many were written to <paramref name="result"/>.
    /// </summary>
    public int Recommend(int user, ReadOnlySpan<int> history, int k, Span<int> result, ReadOnlySpan<int> exclude = default)
    {
        if ((uint)user < (uint)Users)
            return TopKScorer.Select(_itemFactors, Rank, UserVector(user), k, result, exclude, _itemBias);
        Span<float> v = Rank <= 512 ? stackalloc float[Rank] : new float[Rank];
        InferUserVector(history, v);
        return TopKScorer.Select(_itemFactors, Rank, v, k, result, exclude, _itemBias);
    }

    public abstract void Save(BinaryWriter writer);

    /// <summary>Writes rank, user factors, item factors and item bias (an empty array when there is none).</summary>
    protected void SaveFactors(BinaryWriter writer)
    {
        writer.Write(Rank);
        ModelCatalog.WriteArray(writer, _userFactors);
        ModelCatalog.WriteArray(writer, _itemFactors);
        ModelCatalog.WriteArray(writer, _itemBias ?? []);
    }

    /// <summary>Reads what <see cref="SaveFactors"/> wrote.</summary>
    protected static (int Rank, float[] Users, float[] Items, float[]? Bias) ReadFactors(BinaryReader reader)
    {
        int rank = reader.ReadInt32();
        var users = ModelCatalog.ReadFloats(reader);
        var items = ModelCatalog.ReadFloats(reader);
        var bias = ModelCatalog.ReadFloats(reader);
        return (rank, users, items, bias.Length == 0 ? null : bias);
    }
}
