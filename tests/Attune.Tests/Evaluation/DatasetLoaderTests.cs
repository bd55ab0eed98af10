using Attune.Evaluation.Datasets;

namespace Attune.Tests.Evaluation;

public class DatasetLoaderTests
{
    private static string Write(TempDirectory dir, string name, string content)
    {
        string path = Path.Combine(dir.Path, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void Movielens_folder_reads_ratings_with_dense_ids_and_genres()
    {
        using var dir = TestPaths.NewTempDirectory();
        Write(dir, "u.data", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t302\t4.5\t881251000\n");
        Write(dir, "u.item", "242|Kolya (1996)|24-Jan-1997||http://x|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n" +
            "302|L.A. Confidential (1997)|01-Jan-1997||http://y|0|0|0|0|0|1|0|0|0|0|0|0|0|1|0|0|1|0|0\n" +
            "999|Unrated|01-Jan-1997||http://z|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n");

        var d = DatasetLoader.Load(dir.Path);

        Assert.Equal(DatasetLayout.Ratings, d.Layout);
        Assert.Equal(Path.GetFileName(dir.Path), d.Name);
        Assert.Equal(["196", "186"], d.Users.Ids);
        Assert.Equal(["242", "302"], d.Items.Ids);
        Assert.Equal([0, 1, 0], d.Ratings!.User);
        Assert.Equal([0, 1, 1], d.Ratings.Item);
        Assert.Equal([3f, 3f, 4.5f], d.Ratings.Rating);
        Assert.Equal(881251000, d.Ratings.Time[2]);
        Assert.Equal([[5], [5, 13, 16]], d.ItemCategories!);
    }

    [Fact]
    public void Space_separated_and_csv_rating_files_are_read_and_a_header_skipped()
    {
        using var dir = TestPaths.NewTempDirectory();
        var spaces = DatasetLoader.Load(Write(dir, "r.txt", "1 10 4 881250949\n2 10 5 881250950\n"));
        Assert.Equal(DatasetLayout.Ratings, spaces.Layout);
        Assert.Equal(2, spaces.Ratings!.Count);

        var csv = DatasetLoader.Load(Write(dir, "ratings.csv", "userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n1,1029,3.0,1260759179\n"));
        Assert.Equal(DatasetLayout.Ratings, csv.Layout);
        Assert.Equal(["31", "1029"], csv.Items.Ids);
        Assert.Equal([2.5f, 3f], csv.Ratings!.Rating);
    }

    [Fact]
    public void Iclrec_and_sasrec_sequence_files_give_the_same_sequences()
    {
        using var dir = TestPaths.NewTempDirectory();
        var iclrec = DatasetLoader.Load(Write(dir, "a/Shop.txt", "1 5 6 7 8 9\n2 6 5 9 10 11\n"));
        var sasrec = DatasetLoader.Load(Write(dir, "b/Shop.txt", "1 5\n1 6\n1 7\n1 8\n1 9\n2 6\n2 5\n2 9\n2 10\n2 11\n"));

        foreach (var d in new[] { iclrec, sasrec })
        {
            Assert.Equal(DatasetLayout.Sequences, d.Layout);
            Assert.Equal("Shop", d.Name);
            Assert.Equal(["1", "2"], d.Users.Ids);
            Assert.Equal(["5", "6", "7", "8", "9", "10", "11"], d.Items.Ids);
            Assert.Equal([[0, 1, 2, 3, 4], [1, 0, 4, 5, 6]], EvaluationTestData.Rows(d.Sequences!));
            Assert.Null(d.ItemCategories);
        }
    }

    [Fact]
    public void A_folder_with_one_sequence_file_is_read_with_its_attributes_and_sample_files_ignored()
    {
        using var dir = TestPaths.NewTempDirectory();
        Write(dir, "data/Toys.txt", "1 1 2 3 4 5\n2 2 3 4 5 6\n");
        Write(dir, "data/Toys_sample.txt", "1 7 8 9\n2 7 8 9\n");
        Write(dir, "attrs/Toys_item2attributes.json", "{\"1\": [4, 2, 2], \"3\": [7], \"42\": [1]}");
        Write(dir, "data/README.md", "notes");

        var d = DatasetLoader.Load(Path.Combine(dir.Path, "data"));

        Assert.Equal("Toys", d.Name);
        Assert.Equal(2, d.Users.Count);
        Assert.Equal(6, d.ItemCount);
        Assert.EndsWith("Toys_item2attributes.json", d.CategorySource);
        Assert.Equal([2, 4], d.ItemCategories![0]);   // item "1": attributes sorted, repeats merged
        Assert.Empty(d.ItemCategories[1]);            // item "2" has none
        Assert.Equal([7], d.ItemCategories[2]);       // item "3"
    }

    [Fact]
    public void A_folder_with_several_data_files_asks_for_one()
    {
        using var dir = TestPaths.NewTempDirectory();
        Write(dir, "A.txt", "1 1 2 3\n");
        Write(dir, "B.txt", "1 1 2 3\n");
        var e = Assert.Throws<InvalidDataException>(() => DatasetLoader.Load(dir.Path));
        Assert.Contains("A.txt, B.txt", e.Message);
        Assert.Throws<FileNotFoundException>(() => DatasetLoader.Load(Path.Combine(dir.Path, "missing")));
    }

    [Fact]
    public void Session_folder_reads_training_sessions_and_test_cases_from_the_folder_or_either_file()
    {
        using var dir = TestPaths.NewTempDirectory();
        Write(dir, "train_sessions.txt", "1 2 3\n2 4\n");
        Write(dir, "test.tsv", "1 2\t3\n4\t9\n");

        foreach (string path in new[] { dir.Path, Path.Combine(dir.Path, "test.tsv"), Path.Combine(dir.Path, "train_sessions.txt") })
        {
            var d = DatasetLoader.Load(path);
            Assert.Equal(DatasetLayout.Sessions, d.Layout);
            Assert.Equal(["1", "2", "3", "4", "9"], d.Items.Ids);
            Assert.Equal([[0, 1, 2], [1, 3]], EvaluationTestData.Rows(d.TrainSessions!));
            Assert.Equal([[0, 1], [3]], EvaluationTestData.Rows(d.TestCases!.Prefixes));
            Assert.Equal([2, 4], d.TestCases.Targets);
            Assert.Equal(5, d.TrainSessions!.ItemCount);
        }
    }

    [Fact]
    public void Rating_rows_become_time_ordered_sequences_for_sequential_protocols()
    {
        using var dir = TestPaths.NewTempDirectory();
        // User 7 rated items 3 (t=30), 1 (t=10), 2 (t=10, later in the file): time order 1, 2, 3.
        var d = DatasetLoader.Load(Write(dir, "r.tsv", "7\t3\t5\t30\n7\t1\t4\t10\n7\t2\t3\t10\n"));
        var sequences = DatasetViews.UserSequences(d);
        Assert.Equal(["1", "2", "3"], sequences.Row(0).ToArray().Select(i => d.Items[i]));
    }
}
