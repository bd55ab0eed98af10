namespace Attune.Algorithms;

/// <summary>One tunable hyper-parameter: its range, and whether to search it on a log scale or as an integer.</summary>
public sealed record ParameterRange(string Name, double Min, double Max, bool LogScale = false, bool Integer = false);

/// <summary>A kind of model: how to make its trainer from parameters, how to load a saved one, and what to tune.</summary>
public sealed record ModelDescriptor(
    string Name,
    string Description,
    Func<ModelParameters, IRecommenderTrainer> CreateTrainer,
    Func<BinaryReader, IRecommender> Load,
    IReadOnlyList<ParameterRange> SearchSpace);

/// <summary>Every model Attune ships, by name, and the versioned snapshot format they share.</summary>
/// <remarks>
/// Binary format of a snapshot: the string <c>attune-model</c>, an int32 format version (<see cref="FormatVersion"/>),
/// the model name (string), then the model's own payload (see each model's <c>Save</c>).
/// Format history: 1 = first layout.
/// </remarks>
public static partial class ModelCatalog
{
    public const int FormatVersion = 1;
    private const string Magic = "attune-model";

    private static readonly Dictionary<string, ModelDescriptor> s_models = new(StringComparer.OrdinalIgnoreCase);

    static ModelCatalog() => RegisterBuiltIns();

    public static IReadOnlyCollection<ModelDescriptor> All => s_models.Values;

    public static ModelDescriptor Get(string name) =>
        s_models.TryGetValue(name, out var d) ? d
        : throw new ArgumentException($"unknown model '{name}'; known: {string.Join(", ", s_models.Keys.Order())}");

    public static bool TryGet(string name, out ModelDescriptor descriptor) => s_models.TryGetValue(name, out descriptor!);

    public static void Register(ModelDescriptor descriptor) => s_models[descriptor.Name] = descriptor;

    /// <summary>Makes the trainer of model <paramref name="name"/>; unknown parameter names are an error.</summary>
    public static IRecommenderTrainer CreateTrainer(string name, ModelParameters parameters)
    {
        var trainer = Get(name).CreateTrainer(parameters);
        parameters.ThrowIfUnused(name);
        return trainer;
    }

    public static void Save(IRecommender model, Stream stream)
    {
        using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(FormatVersion);
        w.Write(model.Name);
        model.Save(w);
    }

    public static IRecommender Load(Stream stream)
    {
        using var r = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        if (r.ReadString() != Magic) throw new InvalidDataException("not an Attune model snapshot");
        int version = r.ReadInt32();
        if (version > FormatVersion) throw new InvalidDataException($"snapshot format {version} is newer than this Attune reads ({FormatVersion})");
        return Get(r.ReadString()).Load(r);
    }

    /// <summary>Helpers for model payloads.</summary>
    public static void WriteArray(BinaryWriter w, float[] values)
    {
        w.Write(values.Length);
        w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
    }

    public static float[] ReadFloats(BinaryReader r)
    {
        var values = new float[ReadLength(r, sizeof(float))];
        r.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    public static void WriteArray(BinaryWriter w, int[] values)
    {
        w.Write(values.Length);
        w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
    }

    public static int[] ReadInts(BinaryReader r)
    {
        var values = new int[ReadLength(r, sizeof(int))];
        r.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    /// <summary>
    /// Reads an array's int32 length and checks it fits in what is left of the stream: a damaged length must fail as
    /// <see cref="InvalidDataException"/>, not as an allocation of gigabytes.
    /// </summary>
    public static int ReadLength(BinaryReader r, int elementSize)
    {
        int length = r.ReadInt32();
        var s = r.BaseStream;
        if (length < 0 || (s.CanSeek && (long)length * elementSize > s.Length - s.Position))
            throw new InvalidDataException($"an array of {length:N0} values does not fit in the rest of the file: it is truncated or damaged");
        return length;
    }
}
