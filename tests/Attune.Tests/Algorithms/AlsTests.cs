using Attune.Algorithms;
using Attune.Algorithms.Als;
using Attune.Algorithms.Data;
using static Attune.Tests.Algorithms.AlgorithmTestData;

namespace Attune.Tests.Algorithms;

public class AlsTests
{
    private static AlsModel Train(InteractionMatrix m, AlsOptions options, int threads = 1, int seed = 42) =>
        new AlsTrainer(options).Fit(new TrainingData { Interactions = m, Threads = threads, Seed = seed });

    [Theory]
    [InlineData(5, "cg")]       // per-row TensorPrimitives path
    [InlineData(8, "cg")]       // Vector256 path
    [InlineData(16, "cg")]      // Vector512 path (Vector256 without AVX-512)
    [InlineData(16, "cholesky")]
    public void Ranks_the_unseen_item_of_the_users_block_first(int factors, string solver)
    {
        var m = Blocks();
        var trainer = ModelCatalog.CreateTrainer("als", ModelParameters.Parse([$"factors={factors}", $"solver={solver}", "reg=1", "alpha=5"]));
        var model = trainer.Fit(new TrainingData { Interactions = m, Threads = 1 });

        for (int u = 0; u < m.Users; u++) Assert.Equal(MissingItem(u), TopUnseen(model, m, u));
    }

    [Theory]
    [InlineData(16)]
    [InlineData(64)]   // the rank-64 kernel
    [InlineData(40)]   // Vector256 rows, per-row TensorPrimitives elsewhere
    public void Conjugate_gradient_with_enough_steps_agrees_with_cholesky(int factors)
    {
        var m = Random(100, 120, 0.1, seed: 3);
        var cg = Train(m, new AlsOptions { Factors = factors, Iterations = 6, CgSteps = 2 * factors, Regularization = 1, Alpha = 4 });
        var exact = Train(m, new AlsOptions { Factors = factors, Iterations = 6, Solver = AlsSolver.Cholesky, Regularization = 1, Alpha = 4 });

        float scale = MaxAbs(exact.UserFactors);
        for (int i = 0; i < exact.UserFactors.Length; i++) Assert.True(Math.Abs(cg.UserFactors[i] - exact.UserFactors[i]) < 2e-3f * scale, $"user factor {i}: {cg.UserFactors[i]} vs {exact.UserFactors[i]}");
        for (int i = 0; i < exact.ItemFactors.Length; i++) Assert.True(Math.Abs(cg.ItemFactors[i] - exact.ItemFactors[i]) < 2e-3f * MaxAbs(exact.ItemFactors), $"item factor {i}");
    }

    [Fact]
    public void Several_seeds_score_a_known_person_with_the_average_of_the_fits()
    {
        var m = Random(60, 40, 0.15, seed: 4);
        var first = Train(m, new AlsOptions { Factors = 8, Iterations = 5, Regularization = 0.5f, Alpha = 3, Seed = 9 });
        var second = Train(m, new AlsOptions { Factors = 8, Iterations = 5, Regularization = 0.5f, Alpha = 3, Seed = 10 });
        var both = Train(m, new AlsOptions { Factors = 8, Iterations = 5, Regularization = 0.5f, Alpha = 3, Seed = 9, Seeds = 2 });

        Assert.Equal(16, both.Rank);
        Assert.NotEqual(Scores(first, 3, []), Scores(second, 3, [])); // the seeds matter
        for (int u = 0; u < m.Users; u += 5)
        {
            float[] a = Scores(first, u, []), b = Scores(second, u, []), avg = Scores(both, u, []);
            for (int i = 0; i < avg.Length; i++) Assert.Equal((a[i] + b[i]) / 2, avg[i], 4);
        }
        Assert.Throws<ArgumentException>(() => AlsOptions.FromParameters(ModelParameters.Parse(["seeds=0"])));
    }

    [Fact]
    public void Three_warm_started_cg_steps_rank_like_the_exact_solver()
    {
        var m = Random(80, 60, 0.12, seed: 5);
        var cg = Train(m, new AlsOptions { Factors = 16, Iterations = 15, Regularization = 0.1f, Alpha = 4 });
        var exact = Train(m, new AlsOptions { Factors = 16, Iterations = 15, Solver = AlsSolver.Cholesky, Regularization = 0.1f, Alpha = 4 });

        // The warm-started approximate solves converge to nearly the same model: scores correlate almost perfectly.
        for (int u = 0; u < m.Users; u += 7)
            Assert.True(Correlation(Scores(cg, u, []), Scores(exact, u, [])) > 0.99, $"user {u}");
    }

    [Fact]
    public void Folding_in_a_trained_users_history_gives_back_their_vector()
    {
        var m = Random(100, 50, 0.15, seed: 11);
        m = InteractionMatrix.FromTriples(m.Users, m.Items, UsersOf(m), m.Columns, Enumerable.Repeat(1f, m.NonZeros).ToArray());
        var model = Train(m, new AlsOptions { Factors = 16, Iterations = 30, Solver = AlsSolver.Cholesky, Regularization = 0.5f, Alpha = 3 });

        var v = new float[model.Rank];
        for (int u = 0; u < m.Users; u += 9)
        {
            model.FoldIn(m.ItemsOf(u), m.ValuesOf(u), v);
            var trained = model.UserVector(u);
            Assert.True(Cosine(v, trained) > 0.995, $"user {u}: cosine {Cosine(v, trained)}");

            var folded = Scores(model, -1, m.ItemsOf(u));
            var own = Scores(model, u, []);
            Assert.Equal(Top(own, 5), Top(folded, 5));
        }
    }

    [Fact]
    public void Fold_in_of_an_empty_or_unknown_history_is_the_zero_vector()
    {
        var model = Train(Blocks(), new AlsOptions { Factors = 8, Iterations = 3 });
        var v = new float[8];
        v.AsSpan().Fill(1);
        model.FoldIn([], [], v);
        Assert.All(v, x => Assert.Equal(0f, x));
        model.FoldIn([-1, 99], [], v);
        Assert.All(v, x => Assert.Equal(0f, x));
    }

    [Fact]
    public void Snapshot_save_and_load_round_trips_bit_for_bit()
    {
        var m = Random(40, 30, 0.2, seed: 2);
        var model = Train(m, new AlsOptions { Factors = 16, Iterations = 4, RegularizationExponent = 0.5f, UnobservedWeight = 0.3f, Regularization = 0.01f });

        using var stream = new MemoryStream();
        ModelCatalog.Save(model, stream);
        stream.Position = 0;
        var loaded = Assert.IsType<AlsModel>(ModelCatalog.Load(stream));

        Assert.Equal(model.UserFactors.ToArray(), loaded.UserFactors.ToArray());
        Assert.Equal(model.ItemFactors.ToArray(), loaded.ItemFactors.ToArray());
        Assert.Equal((model.Alpha, model.UnobservedWeight, model.Regularization, model.RegularizationExponent),
            (loaded.Alpha, loaded.UnobservedWeight, loaded.Regularization, loaded.RegularizationExponent));
        for (int u = 0; u < m.Users; u++) AssertBitIdentical(Scores(model, u, []), Scores(loaded, u, []));
        int[] history = [3, 7, 7, 12];
        AssertBitIdentical(Scores(model, -1, history), Scores(loaded, -1, history));
    }

    [Fact]
    public void One_thread_and_a_seed_give_the_same_model_every_time_and_more_threads_change_nothing()
    {
        var m = Random(300, 80, 0.1, seed: 9);
        var options = new AlsOptions { Factors = 16, Iterations = 3 };
        var a = Train(m, options, threads: 1, seed: 5);
        var b = Train(m, options, threads: 1, seed: 5);
        var c = Train(m, options, threads: 4, seed: 5);
        var d = Train(m, options, threads: 1, seed: 6);

        Assert.Equal(a.UserFactors.ToArray(), b.UserFactors.ToArray());
        Assert.Equal(a.ItemFactors.ToArray(), b.ItemFactors.ToArray());
        Assert.Equal(a.ItemFactors.ToArray(), c.ItemFactors.ToArray());   // each row's solve reads only fixed data
        Assert.NotEqual(a.ItemFactors.ToArray(), d.ItemFactors.ToArray());
    }

    [Fact]
    public void Options_come_from_parameters_with_documented_defaults_and_typos_are_errors()
    {
        var defaults = new AlsOptions();
        Assert.Equal((64, 15, 3, 1f, 0f, AlsSolver.ConjugateGradient), (defaults.Factors, defaults.Iterations, defaults.CgSteps, defaults.UnobservedWeight, defaults.RegularizationExponent, defaults.Solver));

        var parsed = AlsOptions.FromParameters(ModelParameters.Parse(["factors=32", "reg=0.002", "alpha=3", "alpha0=0.1", "regexp=1", "solver=cholesky", "cgSteps=5", "seed=7"]));
        Assert.Equal((32, 0.002f, 3f, 0.1f, 1f, AlsSolver.Cholesky, 5, (int?)7),
            (parsed.Factors, parsed.Regularization, parsed.Alpha, parsed.UnobservedWeight, parsed.RegularizationExponent, parsed.Solver, parsed.CgSteps, parsed.Seed));

        Assert.Throws<ArgumentException>(() => ModelCatalog.CreateTrainer("als", ModelParameters.Parse(["factor=32"])));
        Assert.Throws<ArgumentException>(() => ModelCatalog.CreateTrainer("als", ModelParameters.Parse(["solver=lu"])));
        Assert.Throws<ArgumentException>(() => ModelCatalog.CreateTrainer("als", ModelParameters.Parse(["reg=0"])));
    }

    [Fact]
    public void Fold_in_allocates_nothing_once_warm()
    {
        var model = Train(Random(50, 400, 0.05, seed: 4), new AlsOptions { Factors = 64, Iterations = 2 });
        int[] history = [1, 5, 9, 33, 70, 71, 150, 200, 333, 399];
        var v = new float[64];
        var scores = new float[model.Items];
        for (int i = 0; i < 5; i++) { model.FoldIn(history, [], v); model.Score(-1, history, scores); }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) { model.FoldIn(history, [], v); model.Score(-1, history, scores); }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    internal static int[] UsersOf(InteractionMatrix m)
    {
        var users = new int[m.NonZeros];
        for (int u = 0; u < m.Users; u++) users.AsSpan(m.RowStart[u], m.CountOf(u)).Fill(u);
        return users;
    }

    internal static int[] Top(float[] scores, int k)
    {
        var top = new int[k];
        Attune.Algorithms.Scoring.TopK.Select(scores, k, top);
        return top;
    }

    internal static void AssertBitIdentical(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(BitConverter.SingleToInt32Bits(expected[i]), BitConverter.SingleToInt32Bits(actual[i]));
    }

    private static float MaxAbs(ReadOnlySpan<float> values)
    {
        float max = 0;
        foreach (float x in values) max = Math.Max(max, Math.Abs(x));
        return max;
    }

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b) =>
        System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(a, b);

    private static double Correlation(float[] a, float[] b)
    {
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++) { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) * (a[i] - ma); sbb += (b[i] - mb) * (b[i] - mb); }
        return sab / Math.Sqrt(saa * sbb);
    }
}
