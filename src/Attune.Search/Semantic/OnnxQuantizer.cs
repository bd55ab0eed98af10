using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace Attune.Search.Semantic;

/// <summary>
/// Dynamic int8 quantization of an ONNX model's weight matrices, done at load: every <c>MatMul</c> whose second input is a
/// constant float matrix becomes ONNX Runtime's <c>DynamicQuantizeMatMul</c> (com.microsoft) over symmetric int8 weights
/// with one scale per output column; activations are quantized per call. What <c>onnxruntime.quantization.quantize_dynamic</c>
/// does for a transformer's linear layers, without a Python step or a second model file.
/// </summary>
internal static class OnnxQuantizer
{
    private const int FloatType = (int)TensorProto.Types.DataType.Float;
    private const int Int8Type = (int)TensorProto.Types.DataType.Int8;

    /// <summary>The model with its constant matrix products quantized, and how many were.</summary>
    public static (byte[] Model, int Quantized) Quantize(Stream onnx, IReadOnlyCollection<string>? keepOutputs = null)
    {
        var model = ModelProto.Parser.ParseFrom(onnx);
        var graph = model.Graph;
        var initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var tensor in graph.Initializer) initializers[tensor.Name] = tensor;
        var uses = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
            foreach (string input in node.Input) uses[input] = uses.GetValueOrDefault(input) + 1;

        int quantized = 0;
        foreach (var node in graph.Node)
        {
            if (node.OpType != "MatMul" || node.Input.Count != 2) continue;
            if (!initializers.TryGetValue(node.Input[1], out var weights) || weights.Dims.Count != 2
                || weights.DataType != FloatType || uses[weights.Name] != 1) continue;
            var (codes, scales) = QuantizeColumns(weights);
            graph.Initializer.Remove(weights);
            graph.Initializer.Add(codes);
            graph.Initializer.Add(scales);
            node.OpType = "DynamicQuantizeMatMul";
            node.Domain = "com.microsoft";
            node.Input[1] = codes.Name;
            node.Input.Add(scales.Name);
            quantized++;
        }
        if (quantized > 0 && !model.OpsetImport.Any(o => o.Domain == "com.microsoft"))
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        if (keepOutputs is { Count: > 0 })
        {
            // Outputs nobody reads (a pooler head) are dropped; ONNX Runtime then prunes the nodes only they needed.
            var kept = graph.Output.Where(o => keepOutputs.Contains(o.Name)).ToList();
            graph.Output.Clear();
            graph.Output.AddRange(kept);
        }
        return (model.ToByteArray(), quantized);
    }

    /// <summary>Symmetric int8 codes of a K×N matrix with one scale per column (largest magnitude ↦ 127).</summary>
    private static (TensorProto Codes, TensorProto Scales) QuantizeColumns(TensorProto weights)
    {
        int rows = checked((int)weights.Dims[0]), columns = checked((int)weights.Dims[1]);
        float[] values = weights.RawData.Length > 0
            ? MemoryMarshal.Cast<byte, float>(weights.RawData.Span).ToArray()
            : [.. weights.FloatData];
        if (values.Length != rows * columns) throw new InvalidDataException($"ONNX initializer {weights.Name} holds {values.Length} values, not {rows}×{columns}.");
        var scale = new float[columns];
        for (int r = 0; r < rows; r++)
        {
            var row = values.AsSpan(r * columns, columns);
            for (int c = 0; c < columns; c++) scale[c] = Math.Max(scale[c], Math.Abs(row[c]));
        }
        for (int c = 0; c < columns; c++) scale[c] = scale[c] > 0 ? scale[c] / 127f : 1f;
        var codes = new byte[values.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                codes[r * columns + c] = unchecked((byte)(sbyte)Math.Clamp((int)MathF.Round(values[r * columns + c] / scale[c]), -127, 127));

        var codeTensor = new TensorProto { Name = weights.Name + "_int8", DataType = Int8Type, RawData = ByteString.CopyFrom(codes) };
        codeTensor.Dims.Add(rows);
        codeTensor.Dims.Add(columns);
        var scaleTensor = new TensorProto
        {
            Name = weights.Name + "_scale",
            DataType = FloatType,
            RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(scale.AsSpan())),
        };
        scaleTensor.Dims.Add(columns);
        return (codeTensor, scaleTensor);
    }
}
