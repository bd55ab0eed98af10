// SASRec (pre-LN, 2 blocks, 1 head, d=64, L=50) with TorchSharp-cpu, ICLRec full-ranking protocol.
// Usage:  dotnet run -c Release -- <epochs> [evalEpochs e.g. 10,20,40] [dataPath]
//         dotnet run -c Release -- startup      (only times start-up to first tensor op)
using System.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

static class Program
{
    static readonly Stopwatch Clock = Stopwatch.StartNew(); // started when Main's class initialises

    static int Main(string[] args)
    {
        Clock.Restart(); // t=0 at Main entry
        if (args.Length > 0 && args[0] == "startup")
        {
            var s = torch.ones(2).sum().item<float>();
            var t = Clock.Elapsed.TotalMilliseconds;
            Console.WriteLine($"first tensor op done: sum={s} at {t:F1} ms after Main entry");
            Console.WriteLine($"VmHWM: {ReadStatus("VmHWM")}");
            return 0;
        }
        int epochs = args.Length > 0 ? int.Parse(args[0]) : 40;
        var evalAt = new HashSet<int>((args.Length > 1 ? args[1] : "10,20,40").Split(',').Select(int.Parse)) { epochs };
        string path = args.Length > 2 ? args[2] : "/work/shared/datasets/seqrec-iclrec/Toys_and_Games.txt";
        return Sasrec.Run(epochs, evalAt, path, Clock);
    }

    public static string ReadStatus(string key)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(key + ":")) return line.Substring(key.Length + 1).Trim();
        return "?";
    }
}

sealed class Block : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly LayerNorm ln1, ln2;
    private readonly Linear q, k, v, o, f1, f2;
    private readonly Dropout drop;
    private readonly double scale;

    public Block(int d, double p) : base("Block")
    {
        ln1 = nn.LayerNorm(d); ln2 = nn.LayerNorm(d);
        q = nn.Linear(d, d); k = nn.Linear(d, d); v = nn.Linear(d, d); o = nn.Linear(d, d);
        f1 = nn.Linear(d, d); f2 = nn.Linear(d, d);
        drop = nn.Dropout(p);
        scale = 1.0 / Math.Sqrt(d);
        RegisterComponents();
    }

    // x: [B,L,d]; allowed: [B,L,L] bool (true = may attend)
    public override Tensor forward(Tensor x, Tensor allowed)
    {
        var h = ln1.forward(x);
        var scores = torch.matmul(q.forward(h), k.forward(h).transpose(1, 2)) * scale;
        scores = scores.masked_fill(allowed.logical_not(), float.NegativeInfinity);
        var att = F.softmax(scores, -1);
        var a = o.forward(torch.matmul(att, v.forward(h)));
        x = x + drop.forward(a);
        var g = f2.forward(F.relu(f1.forward(ln2.forward(x))));
        return x + drop.forward(g);
    }
}

sealed class SasRec : nn.Module<Tensor, Tensor>
{
    public readonly Embedding item;
    private readonly Embedding pos;
    private readonly Block b1, b2;
    private readonly LayerNorm lnF;
    private readonly Dropout drop;
    private readonly int L;

    public SasRec(int nItems, int d, int L, double p) : base("SasRec")
    {
        this.L = L;
        item = nn.Embedding(nItems + 1, d, padding_idx: 0);
        pos = nn.Embedding(L, d);
        b1 = new Block(d, p); b2 = new Block(d, p);
        lnF = nn.LayerNorm(d);
        drop = nn.Dropout(p);
        RegisterComponents();
        using (torch.no_grad())
        {
            nn.init.normal_(item.weight, 0, 0.02);
            nn.init.normal_(pos.weight, 0, 0.02);
            item.weight[0].zero_();
        }
    }

    // seq: [B,L] long, left-padded with 0. Returns hidden [B,L,d].
    public override Tensor forward(Tensor seq)
    {
        var nonpad = seq.ne(0);                                   // [B,L]
        var positions = torch.arange(L, dtype: ScalarType.Int64);
        var x = item.forward(seq) + pos.forward(positions).unsqueeze(0);
        x = drop.forward(x) * nonpad.unsqueeze(-1).to_type(ScalarType.Float32);
        var causal = torch.ones(L, L, dtype: ScalarType.Bool).tril();          // [L,L]
        var eye = torch.eye(L, dtype: ScalarType.Bool);
        // attend to earlier non-padding keys; always allow self so padded rows stay finite
        var allowed = causal.unsqueeze(0).logical_and(nonpad.unsqueeze(1)).logical_or(eye.unsqueeze(0));
        x = b1.forward(x, allowed);
        x = b2.forward(x, allowed);
        return lnF.forward(x);
    }
}

static class Sasrec
{
    const int D = 64, L = 50, Batch = 128, NNeg = 256;
    const double Dropout = 0.3, Lr = 1e-3;

    public static int Run(int epochs, HashSet<int> evalAt, string path, Stopwatch clock)
    {
        torch.set_num_threads(2);
        torch.manual_seed(42);
        var rng = new Random(42);

        var users = new List<int[]>();
        int nItems = 0;
        foreach (var line in File.ReadLines(path))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2) continue;
            var its = parts.Skip(1).Select(int.Parse).ToArray();
            foreach (var i in its) nItems = Math.Max(nItems, i);
            users.Add(its);
        }
        Console.WriteLine($"users={users.Count} items={nItems} interactions={users.Sum(u => u.Length)} torch threads={torch.get_num_threads()} load@{clock.Elapsed.TotalSeconds:F1}s");

        // training examples: seq = items[..^2]; input = seq[..^1], target = seq[1..], latest L positions
        var trainUsers = Enumerable.Range(0, users.Count).Where(u => users[u].Length - 2 >= 2).ToArray();

        var model = new SasRec(nItems, D, L, Dropout);
        var opt = torch.optim.Adam(model.parameters(), lr: Lr);
        var epochTimes = new List<double>();

        for (int ep = 1; ep <= epochs; ep++)
        {
            model.train();
            var sw = Stopwatch.StartNew();
            var order = (int[])trainUsers.Clone();
            rng.Shuffle(order);
            double lossSum = 0; int nb = 0;
            for (int s = 0; s < order.Length; s += Batch)
            {
                int b = Math.Min(Batch, order.Length - s);
                var inp = new long[b * L]; var tgt = new long[b * L];
                for (int r = 0; r < b; r++)
                {
                    var its = users[order[s + r]];
                    int n = its.Length - 2;              // training sequence length
                    int m = Math.Min(L, n - 1);          // number of (input,target) pairs kept
                    for (int j = 0; j < m; j++)
                    {
                        int ti = n - m + j;              // target index in its
                        inp[r * L + (L - m + j)] = its[ti - 1];
                        tgt[r * L + (L - m + j)] = its[ti];
                    }
                }
                using var scope = torch.NewDisposeScope();
                var x = torch.tensor(inp, new long[] { b, L });
                var y = torch.tensor(tgt, new long[] { b, L });
                var neg = torch.randint(1, nItems + 1, new long[] { NNeg }, dtype: ScalarType.Int64);
                var h = model.forward(x);                                    // [b,L,d]
                var W = model.item.weight;
                var posLogit = (h * W[y]).sum(-1, keepdim: true);            // [b,L,1]
                var negLogit = torch.matmul(h, W[neg].t());                   // [b,L,NNeg]
                negLogit = negLogit.masked_fill(neg.view(1, 1, NNeg).eq(y.unsqueeze(-1)), float.NegativeInfinity); // accidental hits
                var logits = torch.cat(new[] { posLogit, negLogit }, -1).view(-1, NNeg + 1);
                var mask = y.view(-1).ne(0);
                var sel = logits[mask];
                var loss = F.cross_entropy(sel, torch.zeros(sel.shape[0], dtype: ScalarType.Int64));
                opt.zero_grad();
                loss.backward();
                opt.step();
                lossSum += loss.item<float>(); nb++;
            }
            double secs = sw.Elapsed.TotalSeconds;
            epochTimes.Add(secs);
            Console.WriteLine($"epoch {ep} loss={lossSum / nb:F4} time={secs:F2}s");
            if (evalAt.Contains(ep))
            {
                var esw = Stopwatch.StartNew();
                var (vn, vh) = Evaluate(model, users, nItems, test: false);
                var (tn, th) = Evaluate(model, users, nItems, test: true);
                Console.WriteLine($"EVAL epoch {ep}: valid NDCG@10={vn:F4} HR@10={vh:F4} | test NDCG@10={tn:F4} HR@10={th:F4} (eval {esw.Elapsed.TotalSeconds:F1}s)");
            }
        }
        if (epochTimes.Count > 1)
            Console.WriteLine($"mean s/epoch over epochs 2..{epochTimes.Count}: {epochTimes.Skip(1).Average():F3}");
        Console.WriteLine($"VmHWM (peak RSS): {Program.ReadStatus("VmHWM")}  total wall {clock.Elapsed.TotalSeconds:F1}s");
        return 0;
    }

    // Full ranking over items 1..N; history items (model input) masked; rank = #items scoring strictly higher.
    static (double ndcg, double hr) Evaluate(SasRec model, List<int[]> users, int nItems, bool test)
    {
        model.eval();
        using var ng = torch.no_grad();
        double ndcg = 0, hr = 0; int cnt = 0;
        const int EB = 256;
        for (int s = 0; s < users.Count; s += EB)
        {
            int b = Math.Min(EB, users.Count - s);
            var inp = new long[b * L]; var tgt = new long[b];
            int hmax = 1;
            for (int r = 0; r < b; r++) hmax = Math.Max(hmax, users[s + r].Length - (test ? 1 : 2));
            var hist = new long[b * hmax];                        // full history (not only latest L), 0-padded
            for (int r = 0; r < b; r++)
            {
                var its = users[s + r];
                int n = test ? its.Length - 1 : its.Length - 2;   // input = its[..n], target = its[n]
                int m = Math.Min(L, n);
                for (int j = 0; j < m; j++) inp[r * L + (L - m + j)] = its[n - m + j];
                for (int j = 0; j < n; j++) hist[r * hmax + j] = its[j];
                tgt[r] = its[n];
            }
            using var scope = torch.NewDisposeScope();
            var x = torch.tensor(inp, new long[] { b, L });
            var y = torch.tensor(tgt, new long[] { b, 1 });
            var h = model.forward(x)[.., L - 1, ..];                         // [b,d]
            var scores = torch.matmul(h, model.item.weight.t());             // [b,N+1]
            var ts = scores.gather(1, y);                                    // [b,1]
            var hx = torch.tensor(hist, new long[] { b, hmax });
            scores.scatter_(1, hx, torch.full(hx.shape, float.NegativeInfinity)); // mask history (and pad col 0); target score saved above
            scores[.., 0] = float.NegativeInfinity;
            var rank = scores.gt(ts).sum(1).data<long>().ToArray();
            foreach (var rk in rank)
            {
                if (rk < 10) { hr += 1; ndcg += 1.0 / Math.Log2(rk + 2); }
                cnt++;
            }
        }
        return (ndcg / cnt, hr / cnt);
    }
}
