namespace Attune.Algorithms.Sequence;

/// <summary>
/// Hyper-parameters of <see cref="SequenceModel"/>: item transitions (a multi-step Markov table), session neighbours (STAN-like
/// session kNN), repeats of the history's own items and (recent) popularity. With fixed weights each part is scaled to a
/// maximum of 1 before it is weighted, so the weights are comparable; a part with weight 0 is not built. With
/// <see cref="Learn"/> the weights of the parts only switch them on (&gt; 0) and the combination is fitted.
/// Parameter names (<c>--params</c>) are given in <see cref="From"/>.
/// </summary>
public sealed record SequenceOptions
{
    // Item transitions.
    /// <summary>Weight of the transition part.</summary>
    public float TransitionWeight { get; init; } = 1f;
    /// <summary>How many steps ahead a transition is counted.</summary>
    public int Window { get; init; } = 3;
    /// <summary>Weight of a transition <c>d</c> steps ahead relative to one step fewer: <c>decay^(d-1)</c>.</summary>
    public float StepDecay { get; init; } = 0.5f;
    /// <summary>Weight of the reverse direction (the later item pointing back to the earlier one).</summary>
    public float Backward { get; init; } = 0.2f;
    /// <summary>Rows are divided by their total to this power (1 = conditional probability).</summary>
    public float RowNorm { get; init; } = 1f;
    /// <summary>Columns are divided by item popularity to this power (pushes down items that follow everything).</summary>
    public float PopularityPenalty { get; init; }
    /// <summary>Strongest transitions kept per item (0 = all).</summary>
    public int Keep { get; init; } = 200;
    /// <summary>How many of the latest history items the transitions follow.</summary>
    public int HistoryLength { get; init; } = 5;
    /// <summary>Weight of the history item <c>k</c> places before the latest: <c>historyDecay^k</c>.</summary>
    public float HistoryDecay { get; init; } = 0.5f;

    // Session neighbours.
    /// <summary>Weight of the session-neighbour part.</summary>
    public float NeighborWeight { get; init; } = 1f;
    /// <summary>Neighbour sessions kept.</summary>
    public int Neighbors { get; init; } = 100;
    /// <summary>Latest sessions looked at per item of the current session.</summary>
    public int Sample { get; init; } = 1000;
    /// <summary>Latest items of the current session that look for neighbours.</summary>
    public int NeighborHistory { get; init; } = 20;
    /// <summary>STAN λ1: an item <c>k</c> places before the latest counts <c>exp(-k/λ1)</c> in the similarity.</summary>
    public float SessionDecay { get; init; } = 2f;
    /// <summary>STAN λ2 in sessions: a neighbour <c>t</c> sessions older than the latest counts <c>exp(-t/λ2)</c> (0 = off).</summary>
    public float RecencyDecay { get; init; }
    /// <summary>Similarity is divided by the neighbour's distinct item count to this power.</summary>
    public float LengthNorm { get; init; } = 0.5f;
    /// <summary>A shared item counts <c>1 / (sessions holding it)^idf</c> more: rare shared items say more.</summary>
    public float Idf { get; init; }
    /// <summary>Neighbour weight = similarity to this power (above 1 favours the closest neighbours).</summary>
    public float SimilarityPower { get; init; } = 1f;
    /// <summary>STAN λ3 after the shared item: the item <c>d</c> places after it in the neighbour counts <c>exp(-(d-1)/λ)</c>.</summary>
    public float AfterDecay { get; init; } = 2f;
    /// <summary>Weight of items before the shared item in the neighbour (relative to those after).</summary>
    public float BeforeWeight { get; init; } = 0.3f;
    /// <summary>STAN λ3 before the shared item.</summary>
    public float BeforeDecay { get; init; } = 2f;

    // Repeats and popularity.
    /// <summary>Weight of the current session's own items (re-visits), latest first.</summary>
    public float RepeatWeight { get; init; }
    /// <summary>An own item <c>k</c> places before the latest counts <c>exp(-k/λ)</c>.</summary>
    public float RepeatDecay { get; init; } = 1f;
    /// <summary>Weight of popularity (also the answer for an empty history).</summary>
    public float PopularityWeight { get; init; } = 0.01f;
    /// <summary>Half-life, in rows (sessions), of the recent popularity; 0 = a twentieth of the rows.</summary>
    public float PopularityHalfLife { get; init; }

    // Learned combination.
    /// <summary>Fit the combination on held-out next items (log-linear, softmax over candidates) instead of fixed weights.</summary>
    public bool Learn { get; init; }
    /// <summary>
    /// How the held-out next items are made: <see cref="StackMode.Sessions"/> holds out the latest sessions (rows in time order)
    /// and cuts each at a random place; <see cref="StackMode.Users"/> holds out every user's latest item.
    /// </summary>
    public StackMode Stack { get; init; } = StackMode.Sessions;
    /// <summary>Share of sessions held out (<see cref="StackMode.Sessions"/>).</summary>
    public float StackFraction { get; init; } = 0.1f;
    /// <summary>At most this many held-out cases are used to fit the combination.</summary>
    public int StackCases { get; init; } = 20000;
    /// <summary>Items with evidence kept per case when fitting.</summary>
    public int StackCandidates { get; init; } = 150;
    /// <summary>L2 penalty of the combination weights (per case).</summary>
    public float StackL2 { get; init; } = 1e-4f;
    /// <summary>With learned weights, the fixed-weight mix is added to the learned logits times this (0 = not at all).</summary>
    public float Blend { get; init; }

    public static SequenceOptions From(ModelParameters p, SequenceOptions defaults) => new()
    {
        TransitionWeight = p.Float("transitions", defaults.TransitionWeight),
        Window = p.Int("window", defaults.Window),
        StepDecay = p.Float("stepDecay", defaults.StepDecay),
        Backward = p.Float("backward", defaults.Backward),
        RowNorm = p.Float("rowNorm", defaults.RowNorm),
        PopularityPenalty = p.Float("popPenalty", defaults.PopularityPenalty),
        Keep = p.Int("keep", defaults.Keep),
        HistoryLength = p.Int("history", defaults.HistoryLength),
        HistoryDecay = p.Float("historyDecay", defaults.HistoryDecay),
        NeighborWeight = p.Float("neighbors", defaults.NeighborWeight),
        Neighbors = p.Int("k", defaults.Neighbors),
        Sample = p.Int("sample", defaults.Sample),
        NeighborHistory = p.Int("knnHistory", defaults.NeighborHistory),
        SessionDecay = p.Float("lambdaSession", defaults.SessionDecay),
        RecencyDecay = p.Float("lambdaRecency", defaults.RecencyDecay),
        LengthNorm = p.Float("lengthNorm", defaults.LengthNorm),
        Idf = p.Float("idf", defaults.Idf),
        SimilarityPower = p.Float("simPower", defaults.SimilarityPower),
        AfterDecay = p.Float("lambdaAfter", defaults.AfterDecay),
        BeforeWeight = p.Float("beforeWeight", defaults.BeforeWeight),
        BeforeDecay = p.Float("lambdaBefore", defaults.BeforeDecay),
        RepeatWeight = p.Float("repeat", defaults.RepeatWeight),
        RepeatDecay = p.Float("lambdaRepeat", defaults.RepeatDecay),
        PopularityWeight = p.Float("popularity", defaults.PopularityWeight),
        PopularityHalfLife = p.Float("popHalfLife", defaults.PopularityHalfLife),
        Learn = p.Bool("learn", defaults.Learn),
        Stack = Enum.Parse<StackMode>(p.String("stack", defaults.Stack.ToString()), ignoreCase: true),
        StackFraction = p.Float("stackFraction", defaults.StackFraction),
        StackCases = p.Int("stackCases", defaults.StackCases),
        StackCandidates = p.Int("stackCandidates", defaults.StackCandidates),
        StackL2 = p.Float("stackL2", defaults.StackL2),
        Blend = p.Float("blend", defaults.Blend),
    };

    /// <summary>Throws <see cref="ArgumentException"/> for values no model can use; returns the options.</summary>
    public SequenceOptions Validate()
    {
        static void Check(bool ok, string what)
        {
            if (!ok) throw new ArgumentException($"sequence: {what}");
        }
        Check(TransitionWeight >= 0 && NeighborWeight >= 0 && RepeatWeight >= 0 && PopularityWeight >= 0, "weights must be ≥ 0");
        Check(Window is >= 1 and <= 1000, "window must be 1…1000");
        Check(StepDecay > 0 && HistoryDecay > 0, "decays must be > 0");
        Check(Backward >= 0 && BeforeWeight >= 0, "backward and beforeWeight must be ≥ 0");
        Check(Keep >= 0 && HistoryLength >= 1 && NeighborHistory >= 1 && Neighbors >= 1 && Sample >= 0, "counts must be positive");
        Check(SessionDecay > 0 && AfterDecay > 0 && BeforeDecay > 0 && RepeatDecay > 0 && RecencyDecay >= 0, "λ must be > 0");
        Check(PopularityHalfLife >= 0 && SimilarityPower > 0 && LengthNorm >= 0, "popHalfLife, simPower or lengthNorm out of range");
        Check(StackFraction is > 0 and < 1, "stackFraction must be in (0, 1)");
        Check(StackCases >= 10 && StackCandidates >= 1 && StackL2 >= 0 && Blend >= 0, "stack settings out of range");
        return this;
    }

    internal void Write(BinaryWriter w)
    {
        foreach (float v in (ReadOnlySpan<float>)[
            TransitionWeight, Window, StepDecay, Backward, RowNorm, PopularityPenalty, Keep, HistoryLength, HistoryDecay,
            NeighborWeight, Neighbors, Sample, NeighborHistory, SessionDecay, RecencyDecay, LengthNorm, Idf, SimilarityPower,
            AfterDecay, BeforeWeight, BeforeDecay, RepeatWeight, RepeatDecay, PopularityWeight,
            PopularityHalfLife, Learn ? 1 : 0, (int)Stack, StackFraction, StackCases, StackCandidates, StackL2, Blend])
            w.Write(v);
    }

    internal static SequenceOptions Read(BinaryReader r)
    {
        float F() => r.ReadSingle();
        int I() => (int)r.ReadSingle();
        return new SequenceOptions
        {
            TransitionWeight = F(), Window = I(), StepDecay = F(), Backward = F(), RowNorm = F(), PopularityPenalty = F(), Keep = I(),
            HistoryLength = I(), HistoryDecay = F(), NeighborWeight = F(), Neighbors = I(), Sample = I(), NeighborHistory = I(),
            SessionDecay = F(), RecencyDecay = F(), LengthNorm = F(), Idf = F(), SimilarityPower = F(), AfterDecay = F(),
            BeforeWeight = F(), BeforeDecay = F(), RepeatWeight = F(), RepeatDecay = F(),
            PopularityWeight = F(), PopularityHalfLife = F(), Learn = F() != 0, Stack = (StackMode)I(), StackFraction = F(),
            StackCases = I(), StackCandidates = I(), StackL2 = F(), Blend = F(),
        };
    }
}

/// <summary>How <see cref="SequenceTrainer"/> makes held-out next items to fit the combination on.</summary>
/// <remarks>Persisted as a number in every saved sequence model: never change a value
/// (<c>PersistedEnumStabilityTests.SequenceStackModeValuesNeverChange</c>).</remarks>
public enum StackMode
{
    /// <summary>The latest sessions, each cut at a random place (rows are sessions in time order).</summary>
    Sessions = 0,

    /// <summary>Every user's latest item (rows are people's whole histories).</summary>
    Users = 1,
}
