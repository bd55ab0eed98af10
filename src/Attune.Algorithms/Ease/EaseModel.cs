using Attune.Algorithms.Data;
using Attune.Algorithms.LinearAlgebra;

namespace Attune.Algorithms.Ease;

/// <summary>
/// EASE: an item-item linear autoencoder with a closed form (Steck 2019, "Embarrassingly Shallow Autoencoders for Sparse
/// Data", eq. 8): <c>P = (XᵀX + λI)⁻¹</c>, <c>B_ij = −P_ij / P_jj</c>, <c>B_jj = 0</c>. A person's score for item j is the sum of
/// <c>B_ij</c> over the items i they interacted with (weighted by strength when <c>binary=false</c>).
/// </summary>
/// <remarks>
/// Memory: one dense items × items float matrix (4·n² bytes: 100 MB at 5,000 items, 1.6 GB at 20,000); training is one n³
/// inversion in double precision (seconds for a few thousand items on two cores). Catalogs past
/// <see cref="EaseOptions.MaxItems"/> are refused: use item-kNN or ALS there.
/// </remarks>
public sealed class EaseModel : IRecommender
{
    private readonly int _items;
    private readonly float[] _weights; // row-major items × items: row i holds B[i, ·]
    private readonly bool _binary;

    public EaseModel(int items, float[] weights, bool binary)
    {
        _items = items;
        _weights = weights;
        _binary = binary;
    }

    public string Name => "ease";
    public int Items => _items;

    public void Score(int user, ReadOnlySpan<int> history, Span<float> scores)
    {
        scores[.._items].Clear();
        foreach (int i in history)
        {
            if ((uint)i >= (uint)_items) continue;
            System.Numerics.Tensors.TensorPrimitives.Add(scores[.._items], _weights.AsSpan(i * _items, _items), scores[.._items]);
        }
    }

    public void Save(BinaryWriter writer)
    {
        writer.Write(_items);
        writer.Write(_binary);
        ModelCatalog.WriteArray(writer, _weights);
    }

    public static readonly ModelDescriptor Descriptor = new(
        "ease",
        "EASE linear autoencoder (Steck 2019): closed-form item-item weights; catalogs up to ~20,000 items",
        p => new EaseTrainer(new EaseOptions
        {
            Lambda = p.Double("lambda", EaseOptions.Defaults.Lambda),
            Binary = p.Bool("binary", EaseOptions.Defaults.Binary),
            MaxItems = p.Int("maxItems", EaseOptions.Defaults.MaxItems),
            Dropout = p.Double("dropout", EaseOptions.Defaults.Dropout),
        }),
        r =>
        {
            int items = r.ReadInt32();
            bool binary = r.ReadBoolean();
            return new EaseModel(items, ModelCatalog.ReadFloats(r), binary);
        },
        [new ParameterRange("lambda", 1, 5000, LogScale: true), new ParameterRange("dropout", 0, 0.6)]);
}

/// <summary>Hyper-parameters of <see cref="EaseModel"/>.</summary>
public sealed record EaseOptions
{
    public static readonly EaseOptions Defaults = new();

    /// <summary>L2 regularization λ added to the Gram diagonal. <value>The default value is 500.</value></summary>
    public double Lambda { get; init; } = 500;

    /// <summary>Use 1 for every interaction instead of its strength. <value>The default value is <see langword="true"/>.</value></summary>
    public bool Binary { get; init; } = true;

    /// <summary>
    /// Dropout probability p of the DLAE regularizer (Steck 2020): adds p/(1−p)·G_jj to each diagonal entry. 0 is plain EASE.
    /// <value>The default value is 0.</value>
    /// </summary>
    public double Dropout { get; init; }

    /// <summary>Largest catalog trained (memory 4·n² bytes, time n³). <value>The default value is 20,000.</value></summary>
    public int MaxItems { get; init; } = 20_000;
}

public sealed class EaseTrainer(EaseOptions options) : IRecommenderTrainer
{
    public IRecommender Fit(TrainingData data, CancellationToken cancellationToken = default)
    {
        var m = data.Interactions;
        int n = m.Items;
        if (n > options.MaxItems)
            throw new InvalidOperationException($"EASE needs a dense {n}×{n} matrix; catalogs over {options.MaxItems} items use item-kNN or ALS");

        // Gram matrix G = XᵀX. Row i of G sums, over the users of item i, those users' rows of X: each thread owns whole rows.
        var g = new double[(long)n * n];
        var byItem = m.Transpose();
        int threads = Math.Max(1, data.Threads);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = cancellationToken };
        Parallel.For(0, n, parallel, i =>
        {
            long row = (long)i * n;
            var users = byItem.ItemsOf(i);
            var strengths = byItem.ValuesOf(i);
            for (int k = 0; k < users.Length; k++)
            {
                double vi = options.Binary ? 1 : strengths[k];
                var items = m.ItemsOf(users[k]);
                var values = m.ValuesOf(users[k]);
                for (int b = 0; b < items.Length; b++) g[row + items[b]] += vi * (options.Binary ? 1 : values[b]);
            }
        });

        // Diagonal regularization: λ, plus the dropout-emphasis term p/(1−p)·G_jj of Steck 2020 ("Autoencoders that don't
        // overfit towards the identity", DLAE) when Dropout > 0, which penalises popular items' self-reconstruction more.
        double emphasis = options.Dropout > 0 ? options.Dropout / (1 - options.Dropout) : 0;
        for (int i = 0; i < n; i++) g[(long)i * n + i] += options.Lambda + emphasis * g[(long)i * n + i];
        SymmetricInverse.Invert(g, n, data.Threads, cancellationToken);

        // B_ij = −P_ij / P_jj, zero diagonal; stored as float, row i = weights from item i to every j.
        var b = new float[(long)n * n];
        var diagonal = new double[n];
        for (int j = 0; j < n; j++) diagonal[j] = g[(long)j * n + j];
        Parallel.For(0, n, parallel, i =>
        {
            long row = (long)i * n;
            for (int j = 0; j < n; j++) b[row + j] = i == j ? 0f : (float)(-g[row + j] / diagonal[j]);
        });
        return new EaseModel(n, b, options.Binary);
    }
}
