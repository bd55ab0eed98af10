using System.Text;

namespace Attune.Search.Semantic;

/// <summary>
/// The item vectors saved beside the store (<c>search/vectors.bin</c> in the data directory), so that a restart embeds only
/// the items whose text changed. Each entry keeps the hash of the text it was computed from; the file names its model, and
/// a file of another model (or version of this format) is ignored. Written to a temporary file, then renamed over the old.
/// </summary>
internal static class VectorFile
{
    private const string Magic = "attune-vectors/1";

    public sealed record Entry(ulong TextHash, float Scale, sbyte[] Codes);

    /// <summary>The saved vectors of <paramref name="model"/> with codes of <paramref name="codeLength"/>; empty when the file is
    /// missing or of another model; null with <paramref name="problem"/> when it cannot be read.</summary>
    public static Dictionary<string, Entry>? Read(string path, string model, int codeLength, out string? problem)
    {
        problem = null;
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        if (!File.Exists(path)) return entries;
        try
        {
            using var reader = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
            if (reader.ReadString() != Magic || reader.ReadString() != model || reader.ReadInt32() != codeLength) return entries;
            int count = reader.ReadInt32();
            for (int k = 0; k < count; k++)
            {
                string id = reader.ReadString();
                ulong hash = reader.ReadUInt64();
                float scale = reader.ReadSingle();
                var codes = new sbyte[codeLength];
                if (reader.Read(System.Runtime.InteropServices.MemoryMarshal.AsBytes(codes.AsSpan())) != codeLength) throw new EndOfStreamException();
                entries[id] = new Entry(hash, scale, codes);
            }
            return entries;
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or UnauthorizedAccessException or InvalidDataException)
        {
            problem = $"{path}: {e.Message}";
            return null;
        }
    }

    /// <summary>Writes every vector of <paramref name="vectors"/> whose text hash is known.</summary>
    public static int Write(string path, string model, VectorIndex vectors, IReadOnlyDictionary<string, ulong> textHashes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temporary = path + ".tmp";
        int written = 0;
        using (var stream = File.Create(temporary))
        using (var writer = new BinaryWriter(stream, Encoding.UTF8))
        {
            writer.Write(Magic);
            writer.Write(model);
            writer.Write(vectors.CodeLength);
            long countAt = stream.Position;
            writer.Write(0);
            vectors.ForEach((id, codes, scale) =>
            {
                if (!textHashes.TryGetValue(id, out ulong hash)) return;
                writer.Write(id);
                writer.Write(hash);
                writer.Write(scale);
                writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(codes));
                written++;
            });
            writer.Flush();
            stream.Position = countAt;
            writer.Write(written);
        }
        File.Move(temporary, path, overwrite: true);
        return written;
    }

    /// <summary>A hash of <paramref name="text"/> that is the same in every process (FNV-1a, 64 bits).</summary>
    public static ulong Hash(string text)
    {
        ulong hash = 14695981039346656037UL;
        foreach (char c in text)
        {
            hash = (hash ^ (byte)c) * 1099511628211UL;
            hash = (hash ^ (byte)(c >> 8)) * 1099511628211UL;
        }
        return hash;
    }
}
