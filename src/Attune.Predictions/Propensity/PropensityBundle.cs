using System.IO.Compression;
using System.Text.Json;

namespace Attune.Predictions.Propensity;

/// <summary>
/// A version of the propensity models as bytes (Brotli-compressed, little-endian): each model's target, trees, calibrator,
/// settings and evaluation. The node that trains stores it, and the other nodes of a shared store score with the same models
/// instead of training their own (so a person has the same probabilities whichever node answers).
/// </summary>
public static class PropensityBundle
{
    private const int Magic = 0x42505441; // "ATPB"
    private const int FormatVersion = 1;
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static byte[] Write(PropensityScorer scorer)
    {
        using var buffer = new MemoryStream();
        using (var brotli = new BrotliStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var w = new BinaryWriter(brotli))
        {
            w.Write(Magic);
            w.Write(FormatVersion);
            w.Write(scorer.Version);
            w.Write(scorer.TrainedAt.ToUnixTimeMilliseconds());
            w.Write(scorer.Models.Count);
            foreach (var model in scorer.Models)
            {
                var t = model.Target;
                w.Write(t.Name);
                w.Write(t.Description);
                w.Write(t.HorizonDays);
                w.Write((int)t.Kind);
                w.Write(JsonSerializer.Serialize(model.Classifier.Settings, s_json));
                w.Write(JsonSerializer.Serialize(model.Evaluation, s_json));
                switch (model.Classifier.Calibrator)
                {
                    case PlattCalibrator platt:
                        w.Write("platt");
                        w.Write(platt.Parameters.A);
                        w.Write(platt.Parameters.B);
                        break;
                    case IsotonicCalibrator isotonic:
                        w.Write("isotonic");
                        Doubles(w, isotonic.Steps.X);
                        Doubles(w, isotonic.Steps.Y);
                        break;
                    default:
                        throw new NotSupportedException($"a calibrator of type {model.Classifier.Calibrator.GetType().Name} cannot be stored");
                }
                var d = model.Classifier.Trees.ToData();
                Ints(w, d.Roots);
                Ints(w, d.Feature);
                w.Write(d.Threshold.Length);
                foreach (float v in d.Threshold) w.Write(v);
                Ints(w, d.Left);
                Ints(w, d.Right);
                Doubles(w, d.NodeValue);
                Doubles(w, d.LeafValue);
                w.Write(d.Bias);
                w.Write(d.Features);
            }
        }
        return buffer.ToArray();
    }

    /// <exception cref="FormatException">Not a bundle of this format, or damaged.</exception>
    public static PropensityScorer Read(byte[] bytes)
    {
        try
        {
            using var r = new BinaryReader(new BrotliStream(new MemoryStream(bytes), CompressionMode.Decompress));
            if (r.ReadInt32() != Magic) throw new FormatException("not a propensity bundle");
            if (r.ReadInt32() is var format && format != FormatVersion) throw new FormatException($"propensity bundle format {format} is not known here");
            int version = r.ReadInt32();
            var trainedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.ReadInt64());
            int count = Count(r.ReadInt32());
            var models = new List<PropensityModel>(count);
            for (int m = 0; m < count; m++)
            {
                var target = new PropensityTarget(r.ReadString(), r.ReadString(), r.ReadInt32(), (PropensityTarget.Kinds)r.ReadInt32());
                if (!Enum.IsDefined(target.Kind)) throw new FormatException($"unknown target kind {(int)target.Kind}");
                var settings = JsonSerializer.Deserialize<BoostingSettings[]>(r.ReadString(), s_json) ?? [];
                var evaluation = JsonSerializer.Deserialize<PropensityEvaluation>(r.ReadString(), s_json)
                    ?? throw new FormatException("a model without its evaluation");
                ICalibrator calibrator = r.ReadString() switch
                {
                    "platt" => PlattCalibrator.FromParameters(r.ReadDouble(), r.ReadDouble()),
                    "isotonic" => IsotonicCalibrator.FromSteps(Doubles(r), Doubles(r)),
                    var other => throw new FormatException($"unknown calibrator '{other}'"),
                };
                int[] roots = Ints(r), feature = Ints(r);
                var threshold = new float[Count(r.ReadInt32())];
                for (int i = 0; i < threshold.Length; i++) threshold[i] = r.ReadSingle();
                int[] left = Ints(r), right = Ints(r);
                double[] nodeValue = Doubles(r), leafValue = Doubles(r);
                var trees = TreeEnsemble.FromData(new TreeEnsembleData(roots, feature, threshold, left, right, nodeValue, leafValue, r.ReadDouble(), r.ReadInt32()));
                models.Add(new PropensityModel(target, GradientBoostedClassifier.Restore(trees, calibrator, settings), evaluation));
            }
            return new PropensityScorer(models, version, trainedAt);
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or InvalidDataException or JsonException or ArgumentOutOfRangeException)
        {
            throw new FormatException($"damaged propensity bundle: {e.Message}", e);
        }
    }

    private static int Count(int n) => n is >= 0 and <= 10_000_000 ? n : throw new FormatException($"bad length {n}");

    private static void Ints(BinaryWriter w, int[] values)
    {
        w.Write(values.Length);
        foreach (int v in values) w.Write(v);
    }

    private static void Doubles(BinaryWriter w, double[] values)
    {
        w.Write(values.Length);
        foreach (double v in values) w.Write(v);
    }

    private static int[] Ints(BinaryReader r)
    {
        var values = new int[Count(r.ReadInt32())];
        for (int i = 0; i < values.Length; i++) values[i] = r.ReadInt32();
        return values;
    }

    private static double[] Doubles(BinaryReader r)
    {
        var values = new double[Count(r.ReadInt32())];
        for (int i = 0; i < values.Length; i++) values[i] = r.ReadDouble();
        return values;
    }
}
