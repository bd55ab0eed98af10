using Attune.Import;
using Attune.Model;
using Attune.Storage;
using static Attune.Tests.Import.ImportTestSupport;

namespace Attune.Tests.Import;

public class EventFileReaderTests
{
    // ------------------------------------------------------------ tsv

    [Fact]
    public void Tsv_reads_user_item_value_and_unix_seconds()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (rows, report) = ReadEvents(dir, "196\t242\t3\t1500000000\n186\t302\t3.5\t1500000001\n", ImportFormat.Tsv);

        Assert.Equal(
        [
            new Row("196", false, "242", (int)EventType.Rating, 1_500_000_000_000, 3, null),
            new Row("186", false, "302", (int)EventType.Rating, 1_500_000_001_000, 3.5, null),
        ], rows);
        Assert.Equal(2, report.Lines);
        Assert.Equal(2, report.Accepted);
        Assert.Equal(0, report.Rejected);
        Assert.Empty(report.Errors);
    }

    [Fact]
    public void Tsv_without_value_is_a_view_and_without_time_keeps_file_order()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (rows, _) = ReadEvents(dir, "u1 i1\n\nu2  i2   \nu1\ti3\t4\n", ImportFormat.Tsv);

        Assert.Equal(
        [
            new Row("u1", false, "i1", (int)EventType.View, BaseMs + 1, null, null),
            new Row("u2", false, "i2", (int)EventType.View, BaseMs + 3, null, null),
            new Row("u1", false, "i3", (int)EventType.Rating, BaseMs + 4, 4, null),
        ], rows);
    }

    [Fact]
    public void Tsv_reads_milliseconds_fractions_and_iso_times()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (rows, _) = ReadEvents(dir, "a\tb\t1\t1500000000123\na\tb\t1\t1500000000.5\na\tb\t1\t2021-03-04T05:06:07Z\n", ImportFormat.Tsv);

        Assert.Equal([1_500_000_000_123, 1_500_000_000_500, Ms(2021, 3, 4, 5, 6, 7)], rows.Select(r => r.Ms));
    }

    [Fact]
    public void Tsv_skips_a_header_line()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (rows, report) = ReadEvents(dir, "user_id\titem_id\trating\ttimestamp\n1\t2\t5\t1500000000\n", ImportFormat.Tsv);

        Assert.Equal([new Row("1", false, "2", (int)EventType.Rating, 1_500_000_000_000, 5, null)], rows);
        Assert.Equal(0, report.Rejected);
        Assert.Equal(2, report.Lines);
    }

    [Fact]
    public void Tsv_event_type_option_overrides_the_default()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (rows, _) = ReadEvents(dir, "u\ti\t2\nu\tj\n", ImportFormat.Tsv, new ImportOptions { EventType = "purchase" });

        Assert.Equal(
        [
            new Row("u", false, "i", (int)EventType.Purchase, BaseMs + 1, 2, null),
            new Row("u", false, "j", (int)EventType.Purchase, BaseMs + 2, null, null),
        ], rows);
    }

    [Fact]
    public void Tsv_rating_type_without_value_is_rejected()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (rows, report) = ReadEvents(dir, "u\ti\t4\nu\tj\n", ImportFormat.Tsv, new ImportOptions { EventType = "rating" });

        Assert.Single(rows);
        Assert.Equal([(2L, "value", "is required for 'rating' events (the rating)")], report.Errors);
    }

    [Fact]
    public void Tsv_bad_lines_are_reported_with_line_numbers_and_good_lines_kept()
    {
        using var dir = TestPaths.NewTempDirectory();
        string longId = new('x', 257);
        string content = string.Join('\n',
            "u1\ti1\t5\t1500000000",          // 1 ok
            "u2",                              // 2 one column
            "u3\ti3\tabc\t1500000000",        // 3 bad value
            "u4\ti4\t1\t1500000000\textra",   // 4 five columns
            "u5\ti5\t1\tyesterday",           // 5 bad time
            "u6\ti6\t1\t900000000",           // 6 before 2000
            "u7\ti7\t1\t4102444800",          // 7 year 2100
            longId + "\ti8",                   // 8 id too long
            "u9\ti\u00019",                    // 9 control character
            "u10\ti10\tNaN",                   // 10 not finite
            "u11\ti11\t2\t1500000011");       // 11 ok
        var (rows, report) = ReadEvents(dir, content, ImportFormat.Tsv);

        Assert.Equal(["u1", "u11"], rows.Select(r => r.User));
        Assert.Equal(11, report.Lines);
        Assert.Equal(2, report.Accepted);
        Assert.Equal(9, report.Rejected);
        Assert.Equal([2L, 3, 4, 5, 6, 7, 8, 9, 10], report.Errors.Select(e => e.Line));
        Assert.Equal(["", "value", "", "timestamp", "timestamp", "timestamp", "userId", "itemId", "value"], report.Errors.Select(e => e.Field));
        Assert.StartsWith("must not be before 2000-01-01", report.Errors[4].Message);
        Assert.Equal("must not be more than one day in the future", report.Errors[5].Message);
        Assert.Equal("must be at most 256 characters (got 257)", report.Errors[6].Message);
        Assert.Equal("must not contain control characters", report.Errors[7].Message);
    }

    [Fact]
    public void Time_offset_moves_old_data_into_the_window()
    {
        using var dir = TestPaths.NewTempDirectory();
        var options = new ImportOptions { TimeOffset = TimeSpan.FromDays(8400) };
        var (rows, report) = ReadEvents(dir, "196\t242\t3\t881250949\n", ImportFormat.Tsv, options);

        Assert.Equal(0, report.Rejected);
        Assert.Equal(881_250_949_000 + (long)TimeSpan.FromDays(8400).TotalMilliseconds, Assert.Single(rows).Ms);
    }

    [Fact]
    public void Errors_are_capped_but_counting_goes_on()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (rows, report) = ReadEvents(dir, "a\nb\nc\nd\ne\nu\ti\n", ImportFormat.Tsv, new ImportOptions { MaxErrors = 2 });

        Assert.Single(rows);
        Assert.Equal(5, report.Rejected);
        Assert.Equal([1L, 2], report.Errors.Select(e => e.Line));
    }

    [Fact]
    public void Batches_reuse_one_instance_and_hold_at_most_batch_size()
    {
        using var dir = TestPaths.NewTempDirectory();
        string path = WriteFile(dir, "u\t1\nu\t2\nu\t3\nu\t4\nu\t5\n");
        using var stream = File.OpenRead(path);
        var counts = new List<int>();
        var instances = new HashSet<InteractionBatch>(ReferenceEqualityComparer.Instance);
        var items = new List<string?>();
        foreach (var b in EventFileReader.ReadBatches(stream, ImportFormat.Tsv, new ImportOptions { BatchSize = 2 }, new ImportReport(), FixedTime.Default))
        {
            counts.Add(b.Count);
            instances.Add(b);
            items.AddRange(b.ItemIds.Take(b.Count));
        }
        Assert.Equal([2, 2, 1], counts);
        Assert.Single(instances);
        Assert.Equal(["1", "2", "3", "4", "5"], items);
    }

    [Fact]
    public void Custom_or_unknown_event_type_option_is_refused()
    {
        using var stream = new MemoryStream();
        var e = Assert.Throws<ArgumentException>(() =>
            EventFileReader.ReadBatches(stream, ImportFormat.Tsv, new ImportOptions { EventType = "custom.wish" }, new ImportReport(), FixedTime.Default));
        Assert.Contains("custom event types are not supported in file imports; use the HTTP API", e.Message);
        Assert.Throws<ArgumentException>(() =>
            EventFileReader.ReadBatches(stream, ImportFormat.Tsv, new ImportOptions { EventType = "purchse" }, new ImportReport(), FixedTime.Default));
    }

    [Fact]
    public void Repeated_ids_share_one_string_and_all_id_shapes_survive()
    {
        using var dir = TestPaths.NewTempDirectory();
        string long40 = new('k', 40);
        string[] ids = ["a", "ab", "12345678", "123456780", "1234567890123456", "12345678901234567", "käse", "日本", long40, "x y"];
        string content = string.Join('\n', ids.Select(id => $"{id.Replace(' ', '_')}\t{id.Replace(' ', '_')}")) + "\n"
            + string.Join('\n', ids.Select(id => $"{id.Replace(' ', '_')}\titem")) + "\n";
        var (rows, report) = ReadEvents(dir, content, ImportFormat.Tsv);

        Assert.Equal(0, report.Rejected);
        var expected = ids.Select(id => id.Replace(' ', '_')).ToArray();
        Assert.Equal(expected.Concat(expected), rows.Select(r => r.User));
        Assert.Equal(expected, rows.Take(ids.Length).Select(r => r.Item));
        for (int i = 0; i < ids.Length; i++)
        {
            Assert.Same(rows[i].User, rows[i + ids.Length].User);
            Assert.Same(rows[i].User, rows[i].Item);
        }
    }

    [Fact]
    public void Many_distinct_ids_are_kept_apart()
    {
        using var dir = TestPaths.NewTempDirectory();
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < 30_000; i++) sb.Append('u').Append(i % 7_000).Append('\t').Append(i).Append('\n');
        var (rows, _) = ReadEvents(dir, sb.ToString(), ImportFormat.Tsv);

        Assert.Equal(30_000, rows.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.Equal("u" + (i % 7_000), rows[i].User);
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), rows[i].Item);
        }
        Assert.Equal(7_000, rows.Select(r => r.User).Distinct(ReferenceEqualityComparer.Instance).Count());
    }

    [Fact]
    public void A_byte_order_mark_and_crlf_line_ends_are_read()
    {
        using var dir = TestPaths.NewTempDirectory();
        string path = Path.Combine(dir.Path, "bom.tsv");
        File.WriteAllText(path, "u1\ti1\t2\t1500000000\r\nu2\ti2\r\n", new System.Text.UTF8Encoding(true));
        var (rows, report) = ReadEventFile(path, ImportFormat.Tsv);

        Assert.Equal(0, report.Rejected);
        Assert.Equal(["u1", "u2"], rows.Select(r => r.User));
        Assert.Equal(["i1", "i2"], rows.Select(r => r.Item));
    }

    // ------------------------------------------------------------ sequences

    [Fact]
    public void Sequences_give_one_view_per_item_at_base_plus_position_seconds()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (rows, report) = ReadEvents(dir, "1 10 11 12\n2 20\n", ImportFormat.Sequences);

        Assert.Equal(
        [
            new Row("1", false, "10", (int)EventType.View, BaseMs, null, null),
            new Row("1", false, "11", (int)EventType.View, BaseMs + 1000, null, null),
            new Row("1", false, "12", (int)EventType.View, BaseMs + 2000, null, null),
            new Row("2", false, "20", (int)EventType.View, BaseMs, null, null),
        ], rows);
        Assert.Equal(4, report.Accepted);
        Assert.Equal(2, report.Lines);
    }

    [Fact]
    public void Sequences_split_across_batches_lose_nothing()
    {
        using var dir = TestPaths.NewTempDirectory();
        string content = "1 10 11 12 13 14\n2 20 21\n3 30\n";
        var (whole, _) = ReadEvents(dir, content, ImportFormat.Sequences);
        var (split, report) = ReadEvents(dir, content, ImportFormat.Sequences, new ImportOptions { BatchSize = 2, EventType = "purchase" });

        Assert.Equal(8, split.Count);
        Assert.Equal(whole.Select(r => r with { Type = (int)EventType.Purchase }), split);
        Assert.Equal(8, report.Accepted);
    }

    [Fact]
    public void Sequences_bad_item_is_rejected_alone()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (rows, report) = ReadEvents(dir, $"1 10 {new string('x', 300)} 12\n", ImportFormat.Sequences);

        Assert.Equal(["10", "12"], rows.Select(r => r.Item));
        Assert.Equal([BaseMs, BaseMs + 2000], rows.Select(r => r.Ms));
        Assert.Equal((1L, "items[1]", "must be at most 256 characters (got 300)"), Assert.Single(report.Errors));
    }

    // ------------------------------------------------------------ sessions

    [Fact]
    public void Sessions_become_anonymous_visitors_named_after_the_line()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (rows, report) = ReadEvents(dir, "1 2\n3 4 5\n", ImportFormat.Sessions);

        Assert.Equal(
        [
            new Row("session-1", true, "1", (int)EventType.View, BaseMs, null, null),
            new Row("session-1", true, "2", (int)EventType.View, BaseMs + 1000, null, null),
            new Row("session-2", true, "3", (int)EventType.View, BaseMs + 2000, null, null),
            new Row("session-2", true, "4", (int)EventType.View, BaseMs + 3000, null, null),
            new Row("session-2", true, "5", (int)EventType.View, BaseMs + 4000, null, null),
        ], rows);
        Assert.Equal(5, report.Accepted);
    }

    [Fact]
    public void Sessions_split_across_batches_lose_nothing()
    {
        using var dir = TestPaths.NewTempDirectory();
        string content = "1 2 3 4 5\n6 7\n8\n";
        var (whole, _) = ReadEvents(dir, content, ImportFormat.Sessions);
        var (split, _) = ReadEvents(dir, content, ImportFormat.Sessions, new ImportOptions { BatchSize = 3 });
        Assert.Equal(8, whole.Count);
        Assert.Equal(whole, split);
    }

    [Fact]
    public void Sessions_detect_the_yoochoose_header()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (rows, report) = ReadEvents(dir,
            "SessionId\tItemId\tTime\n1\t214536502\t1396860669.277\n1\t214536506\t1396860886.998\n2\t214662742\t1396871797\n3\t5\tnot-a-time\n",
            ImportFormat.Sessions);

        Assert.Equal(
        [
            new Row("session-1", true, "214536502", (int)EventType.View, 1_396_860_669_277, null, null),
            new Row("session-1", true, "214536506", (int)EventType.View, 1_396_860_886_998, null, null),
            new Row("session-2", true, "214662742", (int)EventType.View, 1_396_871_797_000, null, null),
        ], rows);
        Assert.Equal((5L, "timestamp", ImportValuesMessages.TimeFormat), Assert.Single(report.Errors));
        Assert.Equal(5, report.Lines);
    }

    // ------------------------------------------------------------ csv

    [Fact]
    public void Csv_reads_rees46_rows_and_maps_cart_to_add_to_cart()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (rows, report) = ReadEvents(dir,
            "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n" +
            "2019-10-01 00:00:00 UTC,view,44600062,2103807459595387724,,shiseido,35.79,541312140,72d76fde-8bb3-4e00-8c23-a032dfed738c\n" +
            "2019-10-01 00:05:10 UTC,cart,1002524,2053013555631882655,electronics.smartphone,apple,515.67,541312140,72d76fde-8bb3-4e00-8c23-a032dfed738c\n" +
            "2019-10-01 00:07:00 UTC,purchase,1002524,2053013555631882655,electronics.smartphone,apple,515.67,541312140,72d76fde-8bb3-4e00-8c23-a032dfed738c\n",
            ImportFormat.Csv);

        const string extra = "{\"sessionId\":\"72d76fde-8bb3-4e00-8c23-a032dfed738c\"}";
        Assert.Equal(
        [
            new Row("541312140", false, "44600062", (int)EventType.View, Ms(2019, 10, 1), 35.79, extra),
            new Row("541312140", false, "1002524", (int)EventType.AddToCart, Ms(2019, 10, 1, 0, 5, 10), 515.67, extra),
            new Row("541312140", false, "1002524", (int)EventType.Purchase, Ms(2019, 10, 1, 0, 7), 515.67, extra),
        ], rows);
        Assert.Equal(0, report.Rejected);
    }

    [Fact]
    public void Csv_handles_quotes_commas_doubled_quotes_and_line_breaks()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (rows, report) = ReadEvents(dir,
            "userId,itemId,type,timestamp,sessionId,note\r\n" +
            "\"smith, john\",\"item \"\"A\"\"\",purchase,2021-01-02T03:04:05Z,s1,\"a, b\"\r\n" +
            "u2,i2,view,1609556645,,\"multi\nline, note\"\r\n" +
            "u3,i3,view,1609556645000,\"\",plain\r\n",
            ImportFormat.Csv);

        Assert.Equal(0, report.Rejected);
        Assert.Equal(
        [
            new Row("smith, john", false, "item \"A\"", (int)EventType.Purchase, Ms(2021, 1, 2, 3, 4, 5), null, "{\"sessionId\":\"s1\"}"),
            new Row("u2", false, "i2", (int)EventType.View, 1_609_556_645_000, null, null),
            new Row("u3", false, "i3", (int)EventType.View, 1_609_556_645_000, null, null),
        ], rows);
        Assert.Equal(5, report.Lines);
    }

    [Fact]
    public void Csv_anonymous_ids_channels_and_default_types()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (rows, report) = ReadEvents(dir,
            "user;anonymousId;item;rating;channel\n" +
            ";visitor-9;i1;4;web\n" +
            "u1;visitor-9;i2;;app\n" +
            "u2;;i3;;\n",
            ImportFormat.Csv);

        Assert.Equal(0, report.Rejected);
        Assert.Equal(
        [
            new Row("visitor-9", true, "i1", (int)EventType.Rating, BaseMs + 2, 4, "{\"channel\":\"web\",\"anonymousId\":\"visitor-9\"}"),
            new Row("u1", false, "i2", (int)EventType.View, BaseMs + 3, null, "{\"channel\":\"app\",\"anonymousId\":\"visitor-9\"}"),
            new Row("u2", false, "i3", (int)EventType.View, BaseMs + 4, null, null),
        ], rows);
    }

    [Fact]
    public void Csv_bad_rows_are_reported_and_good_rows_kept()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (rows, report) = ReadEvents(dir,
            "user_id,item_id,event_type,value,time,channel\n" +  // 1
            "u1,i1,view,,2020-05-01T00:00:00Z,\n" +             // 2 ok
            ",i2,view,,,\n" +                                    // 3 no user
            "u3,i3,purchse,,,\n" +                               // 4 typo
            "u4,i4,custom.wishlist_add,,,\n" +                   // 5 custom
            "u5,,purchase,,,\n" +                                // 6 no item
            "u6,i6,view,,,fax\n" +                               // 7 unknown channel
            "u7,i7,view\n" +                                     // 8 short row
            "u8,i8,search,,,\n" +                                // 9 search needs a query
            "u9,i9,rating,x,2020-13-45,\n" +                     // 10 two errors
            "u10,i10,like,,,\n",                                 // 11 ok
            ImportFormat.Csv);

        Assert.Equal(["u1", "u10"], rows.Select(r => r.User));
        Assert.Equal([(int)EventType.View, (int)EventType.Like], rows.Select(r => r.Type));
        Assert.Equal(2, report.Accepted);
        Assert.Equal(8, report.Rejected);
        Assert.Equal(
        [
            (3L, "userId"), (4, "type"), (5, "type"), (6, "itemId"), (7, "channel"), (8, ""), (9, "query"), (10, "value"), (10, "timestamp"),
        ], report.Errors.Select(e => (e.Line, e.Field)));
        Assert.Equal("userId or anonymousId is required", report.Errors[0].Message);
        Assert.StartsWith("unknown event type 'purchse'", report.Errors[1].Message);
        Assert.Equal("custom event types are not supported in file imports; use the HTTP API", report.Errors[2].Message);
        Assert.Equal("is required for 'purchase' events", report.Errors[3].Message);
        Assert.Equal("the row has 3 fields but the header has 6", report.Errors[5].Message);
    }

    [Fact]
    public void Csv_header_without_user_column_reads_nothing()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (rows, report) = ReadEvents(dir, "item,type\ni1,view\n", ImportFormat.Csv);

        Assert.Empty(rows);
        Assert.Equal(1, report.Rejected);
        var error = Assert.Single(report.Errors);
        Assert.Equal((1L, "header"), (error.Line, error.Field));
    }

    // ------------------------------------------------------------ jsonl

    [Fact]
    public void Jsonl_events_are_validated_like_the_api()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (rows, report) = ReadEvents(dir,
            """
            {"type":"purchase","userId":"u1","itemId":"i1","value":19.99,"timestamp":"2024-02-03T04:05:06Z","sessionId":"s1"}
            {"type":"view","anonymousId":"a1","itemId":"i2","timestamp":1700000000}

            {"type":"view","userId":"u2","anonymousId":"a2","itemId":"i3","timestamp":1700000001000,"channel":"web"}
            {"type":"view","userId":"u3"
            {"type":"custom.wishlist_add","userId":"u4","timestamp":1700000000}
            {"type":"view","userId":"u5","itemId":"i5","colour":"red","timestamp":1700000000}
            {"type":"search","userId":"u6","query":"red shoes","timestamp":1700000000}
            """,
            ImportFormat.Jsonl);

        Assert.Equal(
        [
            new Row("u1", false, "i1", (int)EventType.Purchase, Ms(2024, 2, 3, 4, 5, 6), 19.99, "{\"sessionId\":\"s1\"}"),
            new Row("a1", true, "i2", (int)EventType.View, 1_700_000_000_000, null, "{\"anonymousId\":\"a1\"}"),
            new Row("u2", false, "i3", (int)EventType.View, 1_700_000_001_000, null, "{\"channel\":\"web\",\"anonymousId\":\"a2\"}"),
            new Row("u6", false, null, (int)EventType.Search, 1_700_000_000_000, null, "{\"query\":\"red shoes\"}"),
        ], rows);
        Assert.Equal(8, report.Lines);
        Assert.Equal(4, report.Accepted);
        Assert.Equal(3, report.Rejected);
        Assert.Equal([(5L, ""), (6, "type"), (7, "colour")], report.Errors.Select(e => (e.Line, e.Field)));
        Assert.StartsWith("invalid JSON", report.Errors[0].Message);
        Assert.Equal("custom event types are not supported in file imports; use the HTTP API", report.Errors[1].Message);
    }
}

/// <summary>Messages the tests compare with.</summary>
internal static class ImportValuesMessages
{
    public const string TimeFormat =
        "must be an ISO 8601 date-time such as 2026-11-25T14:07:00Z, 'YYYY-MM-DD HH:MM:SS UTC', or Unix seconds/milliseconds";
}
