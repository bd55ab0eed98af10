using Attune.Algorithms.Data;

namespace Attune.Algorithms.Sequence;

/// <summary>
/// The training sequences and an inverted index item → sequences that hold it (latest sequence first): what a session-kNN
/// (STAN-like) scorer needs to find the sessions most like the current one. A sequence's place in the training order stands in
/// for its time.
/// </summary>
internal sealed class SessionNeighbors
{
    public int Items { get; }
    public int Sessions => SessionStart.Length - 1;
    public int[] SessionStart { get; }
    public int[] SessionItems { get; }
    /// <summary>Distinct items of each session.</summary>
    public int[] SessionSize { get; }
    public int[] PostingStart { get; }
    public int[] PostingSessions { get; }

    public SessionNeighbors(int items, int[] sessionStart, int[] sessionItems)
    {
        Items = items;
        SessionStart = sessionStart;
        SessionItems = sessionItems;
        int sessions = sessionStart.Length - 1;
        SessionSize = new int[sessions];
        var lastSeen = new int[items];
        Array.Fill(lastSeen, -1);
        var counts = new int[items + 1];
        for (int s = 0; s < sessions; s++)
        {
            for (int p = sessionStart[s]; p < sessionStart[s + 1]; p++)
            {
                int i = sessionItems[p];
                if ((uint)i >= (uint)items) throw new InvalidDataException($"item {i} outside {items}");
                if (lastSeen[i] == s) continue;
                lastSeen[i] = s;
                SessionSize[s]++;
                counts[i + 1]++;
            }
        }
        for (int i = 0; i < items; i++) counts[i + 1] += counts[i];
        PostingStart = counts;
        PostingSessions = new int[counts[items]];
        var next = new int[items];
        Array.Fill(lastSeen, -1);
        // Latest session first: fill from the end of each posting list.
        for (int s = sessions - 1; s >= 0; s--)
        {
            for (int p = sessionStart[s]; p < sessionStart[s + 1]; p++)
            {
                int i = sessionItems[p];
                if (lastSeen[i] == s) continue;
                lastSeen[i] = s;
                PostingSessions[counts[i] + next[i]++] = s;
            }
        }
    }

    public static SessionNeighbors From(SequenceData sequences, int items) =>
        new(items, (int[])sequences.Start.Clone(), (int[])sequences.Items.Clone());

    public ReadOnlySpan<int> SessionsWith(int item) => PostingSessions.AsSpan(PostingStart[item], PostingStart[item + 1] - PostingStart[item]);

    public ReadOnlySpan<int> Session(int s) => SessionItems.AsSpan(SessionStart[s], SessionStart[s + 1] - SessionStart[s]);

    public void Save(BinaryWriter w)
    {
        w.Write(Items);
        ModelCatalog.WriteArray(w, SessionStart);
        ModelCatalog.WriteArray(w, SessionItems);
    }

    public static SessionNeighbors Load(BinaryReader r)
    {
        int items = r.ReadInt32();
        return new SessionNeighbors(items, ModelCatalog.ReadInts(r), ModelCatalog.ReadInts(r));
    }
}
