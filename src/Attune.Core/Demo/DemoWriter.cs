using System.Text.Json;
using Attune.Model;

namespace Attune.Demo;

/// <summary>Writes what external tools need to check themselves against a demo shop.</summary>
public static class DemoWriter
{
    /// <summary>
    /// Writes the hidden truth as one JSON object: the options it came from, each user's taste (by user id),
    /// the complement relations and the reference prices of the categories.
    /// </summary>
    public static void WriteTruth(DemoShop shop, string path)
    {
        ArgumentNullException.ThrowIfNull(shop);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var o = shop.Options;
        var file = new DemoTruthFile(
            o.Seed, o.Users, o.Items, o.Days, o.End, o.GuestCount,
            shop.Truth.Tastes, shop.Truth.Complements, shop.Truth.ReferencePrices);
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        JsonSerializer.Serialize(stream, file, AttuneJson.Options);
    }

    private sealed record DemoTruthFile(
        int Seed,
        int Users,
        int Items,
        int Days,
        DateTimeOffset End,
        int AnonymousVisitors,
        IReadOnlyDictionary<string, DemoTaste> Tastes,
        IReadOnlyDictionary<string, IReadOnlyList<string>> Complements,
        IReadOnlyDictionary<string, double> ReferencePrices);
}
