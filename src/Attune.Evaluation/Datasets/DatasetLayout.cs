namespace Attune.Evaluation.Datasets;

/// <summary>How a benchmark folder stores its interactions.</summary>
public enum DatasetLayout
{
    /// <summary><c>user item rating timestamp</c> rows (MovieLens <c>u.data</c>).</summary>
    Ratings,

    /// <summary>One time-ordered item sequence per user (ICLRec <c>user i1 i2 …</c> lines, SASRec <c>user item</c> lines).</summary>
    Sequences,

    /// <summary>Anonymous training sessions plus fixed (prefix, next item) test cases (SR-GNN <c>train_sessions.txt</c> + <c>test.tsv</c>).</summary>
    Sessions,
}
