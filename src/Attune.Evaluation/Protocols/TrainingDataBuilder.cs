using Attune.Algorithms.Data;
using Attune.Evaluation.Datasets;

namespace Attune.Evaluation.Protocols;

/// <summary>Builds the <see cref="TrainingData"/> a protocol hands to trainers.</summary>
public static class TrainingDataBuilder
{
    /// <summary>Row <c>u</c> of <paramref name="sequences"/> is user (or session) <c>u</c>; each occurrence adds 1 to its matrix entry.</summary>
    public static TrainingData FromSequences(SequenceData sequences)
    {
        int n = sequences.Items.Length;
        var user = new int[n];
        for (int u = 0; u < sequences.Rows; u++)
            Array.Fill(user, u, sequences.Start[u], sequences.Start[u + 1] - sequences.Start[u]);
        var ones = new float[n];
        Array.Fill(ones, 1f);
        return new TrainingData
        {
            Interactions = InteractionMatrix.FromTriples(sequences.Rows, sequences.ItemCount, user, sequences.Items, ones),
            Sequences = sequences,
            Task = PredictionTask.NextItem,
        };
    }

    /// <summary>
    /// Rating rows: the matrix holds the rating as strength (1 where the rating is not positive, so no interaction is lost),
    /// the sequences each user's items in time order.
    /// </summary>
    public static TrainingData FromRows(RatingRows rows, int users, int items)
    {
        var strength = new float[rows.Count];
        for (int r = 0; r < strength.Length; r++) strength[r] = rows.Rating[r] > 0 ? rows.Rating[r] : 1f;
        return new TrainingData
        {
            Interactions = InteractionMatrix.FromTriples(users, items, rows.User, rows.Item, strength),
            Sequences = DatasetViews.SequencesOf(rows, users, items),
            Task = PredictionTask.HeldOutSet,
        };
    }

    /// <summary>Each row of <paramref name="sequences"/> without its last <paramref name="drop"/> items.</summary>
    public static SequenceData DropLast(SequenceData sequences, int drop)
    {
        var builder = new RowsBuilder(sequences.ItemCount);
        for (int u = 0; u < sequences.Rows; u++)
        {
            var row = sequences.Row(u);
            builder.Add(row[..Math.Max(0, row.Length - drop)]);
        }
        return builder.Build();
    }
}
