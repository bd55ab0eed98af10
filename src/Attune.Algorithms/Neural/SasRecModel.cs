using System.Collections.Concurrent;
using System.Numerics.Tensors;
using Attune.Algorithms.Scoring;

namespace Attune.Algorithms.Neural;

/// <summary>
/// A trained SASRec: reads the latest <see cref="SasRecNetwork.MaxLength"/> items of a history through its self-attention
/// blocks and scores every item by the dot product of its vector with the last position's output. The user index is not used:
/// the history is the whole input, so a new visitor's session is served like a known person's history. An empty history gets
/// the items' training popularity.
/// </summary>
public sealed class SasRecModel : IRecommender
{
    /// <summary>Payload layout version; history: 1 = first layout.</summary>
    private const int PayloadVersion = 1;

    private readonly SasRecNetwork _network;
    private readonly float[] _popularity;
    private readonly ConcurrentBag<SasRecWorkspace> _workspaces = new();
    private readonly int _width;

    internal SasRecModel(SasRecNetwork network, float[] popularity, SasRecTraining training)
    {
        _network = network;
        _popularity = popularity;
        Training = training;
        _width = FactorKernels.VectorWidth(network.Dim);
    }

    public string Name => "sasrec";
    public int Items => _network.Items;
    public int Dim => _network.Dim;
    public SasRecTraining Training { get; }

    public void Score(int user, ReadOnlySpan<int> history, Span<float> scores)
    {
        int length = _network.MaxLength;
        Span<int> inputs = length <= 256 ? stackalloc int[length] : new int[length];
        int n = 0;
        for (int i = history.Length - 1; i >= 0 && n < length; i--)
            if ((uint)history[i] < (uint)Items) inputs[length - 1 - n++] = history[i];
        if (n == 0)
        {
            _popularity.CopyTo(scores);
            return;
        }
        inputs = inputs[(length - n)..];
        if (!_workspaces.TryTake(out var ws)) ws = new SasRecWorkspace(_network);
        try
        {
            var rng = default(FactorRandom);
            _network.Forward(inputs, ws, 0f, ref rng);
            var last = ws.Output.AsSpan((n - 1) * Dim, Dim);
            FactorKernels.DotAll(_network.ItemVectors, Dim, last, scores[..Items], _width);
        }
        finally
        {
            _workspaces.Add(ws);
        }
    }

    /// <summary>
    /// Binary format: int32 payload version; int32 items, dim, hidden, maxLength, blocks; the item vectors and the weights
    /// (<see cref="ModelCatalog.WriteArray(BinaryWriter, float[])"/>); the popularity; the training record (epochs, steps, final
    /// loss, seconds).
    /// </summary>
    public void Save(BinaryWriter writer)
    {
        writer.Write(PayloadVersion);
        writer.Write(_network.Items);
        writer.Write(_network.Dim);
        writer.Write(_network.Hidden);
        writer.Write(_network.MaxLength);
        writer.Write(_network.Blocks);
        ModelCatalog.WriteArray(writer, _network.ItemVectors);
        ModelCatalog.WriteArray(writer, _network.Weights);
        ModelCatalog.WriteArray(writer, _popularity);
        writer.Write(Training.Epochs);
        writer.Write(Training.Steps);
        writer.Write(Training.FinalLoss);
        writer.Write(Training.Seconds);
    }

    public static SasRecModel Load(BinaryReader reader)
    {
        int version = reader.ReadInt32();
        if (version != PayloadVersion) throw new InvalidDataException($"sasrec payload version {version} is not {PayloadVersion}");
        int items = reader.ReadInt32(), dim = reader.ReadInt32(), hidden = reader.ReadInt32(), length = reader.ReadInt32(), blocks = reader.ReadInt32();
        if (items < 0 || dim is < 1 or > 1024 || hidden is < 1 or > 4096 || length is < 1 or > 1000 || blocks is < 1 or > 8)
            throw new InvalidDataException($"sasrec shape {items}×{dim}, hidden {hidden}, length {length}, blocks {blocks} is damaged");
        var vectors = ModelCatalog.ReadFloats(reader);
        var weights = ModelCatalog.ReadFloats(reader);
        var popularity = ModelCatalog.ReadFloats(reader);
        if (popularity.Length != items) throw new InvalidDataException("sasrec popularity does not match its items");
        var training = new SasRecTraining(reader.ReadInt32(), reader.ReadInt32(), reader.ReadDouble(), reader.ReadDouble());
        return new SasRecModel(new SasRecNetwork(items, dim, hidden, length, blocks, vectors, weights), popularity, training);
    }

    public static readonly ModelDescriptor Descriptor = new(
        "sasrec",
        "SASRec (Kang and McAuley 2018): causal self-attention over the latest items of a history, trained on the CPU with a "
        + "sampled softmax over the next item at every position; for next-item questions (sessions, people's histories)",
        p => new SasRecTrainer(SasRecOptions.FromParameters(p)),
        Load,
        SasRecOptions.SearchSpace);
}
