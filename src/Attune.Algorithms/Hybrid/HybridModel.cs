using System.Numerics.Tensors;

namespace Attune.Algorithms.Hybrid;

/// <summary>
/// A weighted blend of several models. Each component's scores are standardised per request (z-score over the catalog) so
/// that weights compare like with like; the weights are learned on a validation split by <see cref="HybridTrainer"/>.
/// </summary>
public sealed class HybridModel : IRecommender
{
    private readonly IRecommender[] _components;
    private readonly float[] _weights;

    [ThreadStatic] private static float[]? t_buffer;

    public HybridModel(IRecommender[] components, float[] weights)
    {
        if (components.Length != weights.Length || components.Length == 0) throw new ArgumentException("one weight per component");
        _components = components;
        _weights = weights;
    }

    public string Name => "hybrid";
    public int Items => _components[0].Items;

    public IReadOnlyList<IRecommender> Components => _components;
    public IReadOnlyList<float> Weights => _weights;

    public void Score(int user, ReadOnlySpan<int> history, Span<float> scores)
    {
        int n = Items;
        var target = scores[..n];
        target.Clear();
        var buffer = t_buffer is { Length: var l } && l >= n ? t_buffer : t_buffer = new float[n];
        var part = buffer.AsSpan(0, n);
        for (int c = 0; c < _components.Length; c++)
        {
            if (_weights[c] == 0) continue;
            _components[c].Score(user, history, part);
            Standardize(part);
            TensorPrimitives.MultiplyAdd(part, _weights[c], target, target);
        }
    }

    /// <summary>In place: (x − mean) / std; all zeros when the scores are constant.</summary>
    public static void Standardize(Span<float> x)
    {
        float mean = TensorPrimitives.Sum<float>(x) / x.Length;
        TensorPrimitives.Subtract(x, mean, x);
        float std = MathF.Sqrt(TensorPrimitives.SumOfSquares<float>(x) / x.Length);
        if (std > 1e-12f) TensorPrimitives.Divide(x, std, x);
        else x.Clear();
    }

    public void Save(BinaryWriter writer)
    {
        writer.Write(_components.Length);
        for (int c = 0; c < _components.Length; c++)
        {
            writer.Write(_weights[c]);
            writer.Write(_components[c].Name);
            _components[c].Save(writer);
        }
    }

    internal static HybridModel Load(BinaryReader reader)
    {
        int count = reader.ReadInt32();
        var components = new IRecommender[count];
        var weights = new float[count];
        for (int c = 0; c < count; c++)
        {
            weights[c] = reader.ReadSingle();
            components[c] = ModelCatalog.Get(reader.ReadString()).Load(reader);
        }
        return new HybridModel(components, weights);
    }
}
