namespace Attune.Algorithms.Neural;

/// <summary>
/// Activations of one <see cref="SasRecNetwork.Forward"/> (kept for the backward pass) and the backward pass's scratch, sized
/// for <see cref="SasRecNetwork.MaxLength"/> rows. One per thread; reused for every sequence.
/// </summary>
internal sealed class SasRecWorkspace
{
    internal sealed class BlockActivations(int length, int dim, int hidden)
    {
        public readonly float[] Hat1 = new float[length * dim], Rstd1 = new float[length], Norm1 = new float[length * dim];
        public readonly float[] Query = new float[length * dim], Key = new float[length * dim], Value = new float[length * dim];
        public readonly float[] Attention = new float[length * length], Mask1 = new float[length * dim], Mid = new float[length * dim];
        public readonly float[] Hat2 = new float[length * dim], Rstd2 = new float[length], Norm2 = new float[length * dim];
        public readonly float[] Relu = new float[length * hidden], Mask2 = new float[length * dim];
    }

    /// <summary><c>Input[b]</c> is block <c>b</c>'s input; <c>Input[Blocks]</c> the last block's output.</summary>
    public readonly float[][] Input;
    public readonly BlockActivations[] Block;
    public readonly float[] Mask0, HatOut, RstdOut, Output;
    public readonly float[] Scratch, Grad, NormGrad, QueryGrad, KeyGrad, ValueGrad, HiddenGrad, Row;

    public SasRecWorkspace(SasRecNetwork network)
    {
        int l = network.MaxLength, d = network.Dim, h = network.Hidden;
        Input = new float[network.Blocks + 1][];
        for (int b = 0; b <= network.Blocks; b++) Input[b] = new float[l * d];
        Block = new BlockActivations[network.Blocks];
        for (int b = 0; b < network.Blocks; b++) Block[b] = new BlockActivations(l, d, h);
        Mask0 = new float[l * d];
        HatOut = new float[l * d];
        RstdOut = new float[l];
        Output = new float[l * d];
        Scratch = new float[l * d];
        Grad = new float[l * d];
        NormGrad = new float[l * d];
        QueryGrad = new float[l * d];
        KeyGrad = new float[l * d];
        ValueGrad = new float[l * d];
        HiddenGrad = new float[l * h];
        Row = new float[Math.Max(l, Math.Max(d, h))];
    }
}

/// <summary>
/// Gradients of the item vectors a step touched: a dense <c>Items × Dim</c> buffer and the list of rows written, so that
/// merging and the optimizer's update cost the touched rows only (a step touches a few thousand of possibly a million items).
/// </summary>
internal sealed class ItemGradients(int items, int dim)
{
    private readonly float[] _values = new float[(long)items * dim];
    private readonly bool[] _touched = new bool[items];
    private readonly List<int> _rows = new();

    public int Dim => dim;
    public IReadOnlyList<int> Rows => _rows;

    public Span<float> Row(int item) => _values.AsSpan(item * dim, dim);

    /// <summary><c>row(item) += scale · g</c>.</summary>
    public void Add(int item, ReadOnlySpan<float> g, float scale)
    {
        if (!_touched[item])
        {
            _touched[item] = true;
            _rows.Add(item);
        }
        var row = Row(item);
        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(g, scale, row, row);
    }

    /// <summary>Adds every touched row into <paramref name="total"/> (in the order they were first touched) and clears this.</summary>
    public void MoveTo(ItemGradients total)
    {
        foreach (int item in _rows)
        {
            var row = Row(item);
            total.Add(item, row, 1f);
            row.Clear();
            _touched[item] = false;
        }
        _rows.Clear();
    }

    /// <summary>Zeroes the touched rows and forgets them.</summary>
    public void Clear()
    {
        foreach (int item in _rows)
        {
            Row(item).Clear();
            _touched[item] = false;
        }
        _rows.Clear();
    }
}
