namespace Attune.Evaluation.Protocols;

/// <summary>
/// NumPy's legacy global generator: <c>np.random.seed(s)</c> then <c>np.random.rand()</c>. MT19937 seeded with the 32-bit
/// <c>init_genrand</c> recurrence (NumPy's <c>mt19937_seed</c>), doubles from two draws as <c>(a&gt;&gt;5 · 2^26 + b&gt;&gt;6) / 2^53</c>.
/// Reproducing it lets <see cref="StratifiedSplitter"/> cut the same split as the Python library.
/// </summary>
public sealed class NumpyRandom
{
    private const int N = 624;
    private const int M = 397;
    private readonly uint[] _mt = new uint[N];
    private int _next;

    public NumpyRandom(uint seed)
    {
        unchecked
        {
            _mt[0] = seed;
            for (int i = 1; i < N; i++) _mt[i] = 1812433253u * (_mt[i - 1] ^ (_mt[i - 1] >> 30)) + (uint)i;
        }
        _next = N;
    }

    public uint NextUInt32()
    {
        if (_next >= N) Twist();
        uint y = _mt[_next++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        y ^= y >> 18;
        return y;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits, as <c>np.random.rand()</c>.</summary>
    public double NextDouble()
    {
        uint a = NextUInt32() >> 5, b = NextUInt32() >> 6;
        return (a * 67108864.0 + b) / 9007199254740992.0;
    }

    private void Twist()
    {
        for (int i = 0; i < N; i++)
        {
            uint y = (_mt[i] & 0x80000000u) | (_mt[(i + 1) % N] & 0x7fffffffu);
            uint v = _mt[(i + M) % N] ^ (y >> 1);
            if ((y & 1) != 0) v ^= 0x9908b0dfu;
            _mt[i] = v;
        }
        _next = 0;
    }
}
