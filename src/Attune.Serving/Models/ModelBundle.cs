using System.Text.Json;
using Attune.Algorithms;
using Attune.Algorithms.Als;
using Attune.Algorithms.Content;
using Attune.Algorithms.Data;
using Attune.Algorithms.ItemKnn;
using Attune.Algorithms.Neural;
using Attune.Algorithms.Sequence;
using Attune.Serving.Training;

namespace Attune.Serving.Models;

/// <summary>
/// One trained, versioned set of everything serving needs from the past: the models (matrix factorization, viewed-together and
/// bought-together item-kNN, the sequence model, content TF-IDF, and SASRec when configured), popularity (overall, by context, short and long decayed counts
/// for trending), each person's history, purchases and recent impressions, and the id ↔ index maps they share. Immutable once
/// built; a new training makes a new bundle that is swapped in whole.
/// </summary>
/// <remarks>
/// Snapshot layout (<see cref="Save"/>): the string <c>attune-bundle</c>, int32 format version (<see cref="FormatVersion"/>),
/// the <see cref="ModelInfo"/> as JSON, item ids, user ids, histories (CSR), purchases (CSR), impressions, popularity arrays,
/// context popularity (key + array), then each present model as a <see cref="ModelCatalog"/> snapshot preceded by its role
/// name, ending with an empty role name.
/// <para>
/// Format history (a bundle of every version listed must keep loading: <c>tests/Attune.Tests/Fixtures/bundle-vN.bundle</c>,
/// checked by <c>BundleFormatTests</c>; bump <see cref="FormatVersion"/> for any change to the layout and commit a fixture of
/// the new version): 1 = first layout (written by 948f6fc, fixture <c>bundle-v1.bundle</c>).
/// </para>
/// <para>
/// <see cref="Load"/> refuses a bundle that is empty, truncated, damaged or of a newer version with an
/// <see cref="InvalidDataException"/> and nothing else, so a caller needs one catch to fall back to training.
/// </para>
/// </remarks>
public sealed partial class ModelBundle
{
    public const int FormatVersion = 1;
    private const string Magic = "attune-bundle";

    public required ModelInfo Info { get; init; }
    public required string[] ItemIds { get; init; }
    public required string[] UserIds { get; init; }
    /// <summary>Each user's items in time order (training index rows), as the sequence model reads them.</summary>
    public required SequenceData Histories { get; init; }
    public required SparseRows Purchases { get; init; }
    public required SparseRows OpenCarts { get; init; }
    public required ImpressionTable Impressions { get; init; }
    /// <summary>Decayed interaction strength per item (half-life <see cref="ServingModelOptions.PopularityHalfLifeDays"/>).</summary>
    public required float[] Popularity { get; init; }
    /// <summary>Short- and long-window decayed counts at <see cref="ModelInfo.DataUntil"/>, the start of online trending.</summary>
    public required float[] TrendShort { get; init; }
    public required float[] TrendLong { get; init; }
    public required Dictionary<string, float[]> ContextPopularity { get; init; }

    public AlsModel? Als { get; init; }
    public ItemKnnModel? ViewedTogether { get; init; }
    public ItemKnnModel? BoughtTogether { get; init; }
    public SequenceModel? Sequence { get; init; }
    public ContentModel? Content { get; init; }
    /// <summary>The neural next-item model, when configured (<see cref="ServingModelOptions.SasRec"/>).</summary>
    public SasRecModel? SasRec { get; init; }

    public int Items => ItemIds.Length;
    public int Users => UserIds.Length;

    private Dictionary<string, int>? _userIndex;

    /// <summary>The training index of a user or anonymous id, or -1.</summary>
    public int IndexOfUser(string id)
    {
        var map = _userIndex;
        if (map is null)
        {
            map = new Dictionary<string, int>(UserIds.Length, StringComparer.Ordinal);
            for (int u = 0; u < UserIds.Length; u++) map[UserIds[u]] = u;
            _userIndex = map;
        }
        return map.TryGetValue(id, out int index) ? index : -1;
    }

    /// <summary>The same bundle with other info (the read time is only known to the caller of the trainer).</summary>
    public ModelBundle WithInfo(ModelInfo info) => new()
    {
        Info = info, ItemIds = ItemIds, UserIds = UserIds, Histories = Histories, Purchases = Purchases, OpenCarts = OpenCarts,
        Impressions = Impressions, Popularity = Popularity, TrendShort = TrendShort, TrendLong = TrendLong,
        ContextPopularity = ContextPopularity, Als = Als, ViewedTogether = ViewedTogether, BoughtTogether = BoughtTogether,
        Sequence = Sequence, Content = Content, SasRec = SasRec,
    };

    public void Save(Stream stream)
    {
        using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(FormatVersion);
        w.Write(JsonSerializer.Serialize(Info, ModelInfo.Json));
        WriteStrings(w, ItemIds);
        WriteStrings(w, UserIds);
        ModelCatalog.WriteArray(w, Histories.Start);
        ModelCatalog.WriteArray(w, Histories.Items);
        ModelCatalog.WriteArray(w, Purchases.Start);
        ModelCatalog.WriteArray(w, Purchases.Items);
        ModelCatalog.WriteArray(w, OpenCarts.Start);
        ModelCatalog.WriteArray(w, OpenCarts.Items);
        ModelCatalog.WriteArray(w, Impressions.Start);
        ModelCatalog.WriteArray(w, Impressions.Items);
        ModelCatalog.WriteArray(w, Impressions.Counts);
        WriteLongs(w, Impressions.FirstShownMs);
        WriteLongs(w, Impressions.LastShownMs);
        WriteLongs(w, Impressions.LastEngagedMs);
        ModelCatalog.WriteArray(w, Popularity);
        ModelCatalog.WriteArray(w, TrendShort);
        ModelCatalog.WriteArray(w, TrendLong);
        w.Write(ContextPopularity.Count);
        foreach (var (key, values) in ContextPopularity.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            w.Write(key);
            ModelCatalog.WriteArray(w, values);
        }
        w.Flush();
        foreach (var (role, model) in Roles())
        {
            if (model is null) continue;
            w.Write(role);
            w.Flush();
            ModelCatalog.Save(model, stream);
        }
        w.Write("");
    }

    /// <summary>Reads a bundle written by <see cref="Save"/> of this or an earlier format version.</summary>
    /// <exception cref="InvalidDataException">The stream is empty, truncated, damaged, not a bundle, or of a newer format.</exception>
    public static ModelBundle Load(Stream stream)
    {
        if (stream.CanSeek && stream.Length - stream.Position == 0) throw new InvalidDataException("the model bundle is empty (0 bytes)");
        try
        {
            return Validated(Read(stream));
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("the model bundle ends early: the file is truncated", e);
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or OverflowException or ArgumentException
            or IndexOutOfRangeException or InvalidCastException)
        {
            throw new InvalidDataException($"the model bundle is damaged: {e.Message}", e);
        }
    }

    private static ModelBundle Read(Stream stream)
    {
        using var r = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        if (r.ReadString() != Magic) throw new InvalidDataException("not an Attune model bundle");
        int version = r.ReadInt32();
        if (version > FormatVersion) throw new InvalidDataException($"bundle format {version} is newer than this Attune reads ({FormatVersion})");
        var info = JsonSerializer.Deserialize<ModelInfo>(r.ReadString(), ModelInfo.Json)
            ?? throw new InvalidDataException("the model bundle has no version info");
        var itemIds = ReadStrings(r);
        var userIds = ReadStrings(r);
        var histories = new SequenceData(itemIds.Length, ModelCatalog.ReadInts(r), ModelCatalog.ReadInts(r));
        var purchases = new SparseRows(ModelCatalog.ReadInts(r), ModelCatalog.ReadInts(r));
        var carts = new SparseRows(ModelCatalog.ReadInts(r), ModelCatalog.ReadInts(r));
        var impressions = new ImpressionTable(ModelCatalog.ReadInts(r), ModelCatalog.ReadInts(r), ModelCatalog.ReadInts(r),
            ReadLongs(r), ReadLongs(r), ReadLongs(r));
        var popularity = ModelCatalog.ReadFloats(r);
        var trendShort = ModelCatalog.ReadFloats(r);
        var trendLong = ModelCatalog.ReadFloats(r);
        int contexts = r.ReadInt32();
        var context = new Dictionary<string, float[]>(StringComparer.Ordinal);
        for (int c = 0; c < contexts; c++) context[r.ReadString()] = ModelCatalog.ReadFloats(r);
        var models = new Dictionary<string, IRecommender>(StringComparer.Ordinal);
        while (r.ReadString() is { Length: > 0 } role) models[role] = ModelCatalog.Load(stream);
        return new ModelBundle
        {
            Info = info,
            ItemIds = itemIds,
            UserIds = userIds,
            Histories = histories,
            Purchases = purchases,
            OpenCarts = carts,
            Impressions = impressions,
            Popularity = popularity,
            TrendShort = trendShort,
            TrendLong = trendLong,
            ContextPopularity = context,
            Als = models.GetValueOrDefault("als") as AlsModel,
            ViewedTogether = models.GetValueOrDefault("viewed-together") as ItemKnnModel,
            BoughtTogether = models.GetValueOrDefault("bought-together") as ItemKnnModel,
            Sequence = models.GetValueOrDefault("sequence") as SequenceModel,
            Content = models.GetValueOrDefault("content") as ContentModel,
            SasRec = models.GetValueOrDefault("sasrec") as SasRecModel,
        };
    }

    /// <summary>Checks that the parts agree in size, so a damaged bundle fails here rather than in the first request.</summary>
    private static ModelBundle Validated(ModelBundle b)
    {
        static bool Rows(int[] start, int items, int maxRows) =>
            start.Length is > 0 && start.Length - 1 <= maxRows && start[0] == 0 && start[^1] == items;
        bool ok = b.Histories.Rows == b.Users && Rows(b.Histories.Start, b.Histories.Items.Length, b.Users)
            && Rows(b.Purchases.Start, b.Purchases.Items.Length, b.Users) && Rows(b.OpenCarts.Start, b.OpenCarts.Items.Length, b.Users)
            && Rows(b.Impressions.Start, b.Impressions.Items.Length, b.Users)
            && b.Popularity.Length == b.Items && b.TrendShort.Length == b.Items && b.TrendLong.Length == b.Items
            && b.ContextPopularity.Values.All(v => v.Length == b.Items)
            && (b.Als is null || (b.Als.Items == b.Items && b.Als.Users == b.Users))
            && (b.ViewedTogether is null || b.ViewedTogether.Items == b.Items)
            && (b.BoughtTogether is null || b.BoughtTogether.Items == b.Items)
            && (b.SasRec is null || b.SasRec.Items == b.Items);
        return ok ? b : throw new InvalidDataException($"the model bundle is damaged: its parts disagree on {b.Items} items and {b.Users} people");
    }

    private IEnumerable<(string Role, IRecommender? Model)> Roles() =>
    [
        ("als", Als), ("viewed-together", ViewedTogether), ("bought-together", BoughtTogether), ("sequence", Sequence), ("content", Content), ("sasrec", SasRec),
    ];

    private static void WriteStrings(BinaryWriter w, string[] values)
    {
        w.Write(values.Length);
        foreach (string v in values) w.Write(v);
    }

    private static string[] ReadStrings(BinaryReader r)
    {
        var values = new string[ModelCatalog.ReadLength(r, 1)];
        for (int i = 0; i < values.Length; i++) values[i] = r.ReadString();
        return values;
    }

    private static void WriteLongs(BinaryWriter w, long[] values)
    {
        w.Write(values.Length);
        w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
    }

    private static long[] ReadLongs(BinaryReader r)
    {
        var values = new long[ModelCatalog.ReadLength(r, sizeof(long))];
        r.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }
}

/// <summary>What <c>GET /v1/models</c> tells about one trained version.</summary>
public sealed record ModelInfo
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public required string Version { get; init; }
    public required DateTimeOffset TrainedAt { get; init; }
    /// <summary>Time of the newest event trained on.</summary>
    public DateTimeOffset? DataUntil { get; init; }
    /// <summary>The store's arrival number of the last event trained on.</summary>
    public long Watermark { get; init; }
    /// <summary>When the store was read: live events received after it are not in the bundle.</summary>
    public DateTimeOffset SnapshotAt { get; init; }
    public long Events { get; init; }
    public int Users { get; init; }
    public int Items { get; init; }
    public long Interactions { get; init; }
    /// <summary>Seconds spent reading the store into training data.</summary>
    public double ReadSeconds { get; init; }
    public double TrainingSeconds { get; init; }
    /// <summary>Seconds per component.</summary>
    public Dictionary<string, double> ComponentSeconds { get; init; } = [];
    /// <summary>Held-out quality measured while training (see <see cref="BundleTrainer"/>), e.g. <c>als.recall@20</c>.</summary>
    public Dictionary<string, double> Metrics { get; init; } = [];
    /// <summary>Why it was trained: <c>startup</c>, <c>schedule</c>, <c>new-events</c>, <c>api</c>, <c>tuning</c>.</summary>
    public string? Reason { get; init; }
    /// <summary>The node that trained it (<see cref="ServingOptions.NodeName"/>): on several nodes, the elected trainer of the time.</summary>
    public string? Node { get; init; }
    /// <summary>The factor model's parameters this version was trained with (configured, or chosen by a tuning).</summary>
    public string? AlsParameters { get; init; }
    /// <summary>The sequence model's parameters this version was trained with (configured, or chosen by a tuning).</summary>
    public string? SequenceParameters { get; init; }
    /// <summary>The factor model's tuning whose parameters this version uses (run before training it, or carried forward):
    /// what it chose and the gain it measured. The same record is the first of <see cref="Tunings"/>.</summary>
    public TuningInfo? Tuning { get; init; }
    /// <summary>Every component's tuning whose parameters this version uses (<c>als</c>, <c>sequence</c>).</summary>
    public List<TuningInfo>? Tunings { get; init; }
}

/// <summary>
/// A tuning of one component on the shop's own data (a time split: each sampled person's last item held out): the parameters
/// chosen, the configured ones it started from, and the held-out metric of each.
/// </summary>
/// <param name="Component">The tuned component, e.g. <c>als</c>.</param>
/// <param name="Parameters">What was chosen (the defaults when nothing beat them by more than the noise margin).</param>
/// <param name="Defaults">The configured parameters it started from.</param>
/// <param name="Metric">The held-out metric compared, e.g. <c>hitRate@20</c>.</param>
/// <param name="Trials">Configurations measured, the defaults included.</param>
/// <param name="At">When the tuning ran.</param>
public sealed record TuningInfo(string Component, string Parameters, string Defaults, string Metric, double DefaultValue, double TunedValue,
    int Trials, double Seconds, DateTimeOffset? At = null);
