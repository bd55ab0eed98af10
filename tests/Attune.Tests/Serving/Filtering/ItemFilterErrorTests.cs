using System.Text.RegularExpressions;
using Attune.Serving.Filtering;

namespace Attune.Tests.Serving.Filtering;

public sealed partial class ItemFilterErrorTests
{
    private static FilterSyntaxException Fail(string text)
    {
        var e = Assert.Throws<FilterSyntaxException>(() => ItemFilter.Parse(text));
        Assert.False(ItemFilter.TryParse(text, out var filter, out var error));
        Assert.Null(filter);
        Assert.Equal(e.Message, error!.Message);
        Assert.Equal($"position {e.Position + 1}: {e.Reason}", e.Message);
        return e;
    }

    [Theory]
    // Empty and dangling
    [InlineData("", 0, "the filter is empty")]
    [InlineData("   ", 0, "the filter is empty")]
    [InlineData("price <=", 8, "expected a value after '<=', found end of filter")]
    [InlineData("inStock and", 11, "expected a value after 'and', found end of filter")]
    [InlineData("price > 5 or", 12, "expected a value after 'or', found end of filter")]
    [InlineData("not", 3, "expected a value after 'not', found end of filter")]
    [InlineData("price between 1 and", 19, "expected a value after 'and', found end of filter")]
    [InlineData("price > 1 and (", 15, "expected a value after '(', found end of filter")]
    [InlineData("price > 1 and ()", 15, "expected a value after '(', found ')'")]
    [InlineData("and price > 1", 0, "expected a value, found 'and'")]
    [InlineData("price > and", 8, "expected a value after '>', found 'and'")]
    [InlineData("5 > price", 0, "expected a field name, found number 5")]
    // Fields
    [InlineData("colour = 'red'", 0, "unknown field 'colour'; the fields are id, title,")]
    [InlineData("inStock and colour", 12, "unknown field 'colour'")]
    [InlineData("price = prise", 8, "unknown field 'prise'")]
    [InlineData("properties. = 1", 11, "expected a name after 'properties.'")]
    [InlineData("context = 1", 7, "expected a name after 'context.'")]
    [InlineData("context.a..b = 1", 10, "empty part in context name 'a..b'")]
    [InlineData("properties.a.b = 1", 12, "a property name holds letters, digits, '_' and '-' only")]
    // Strings and numbers
    [InlineData("title = \"red", 8, "unterminated string: no closing \"")]
    [InlineData("title = 'it\\'s", 8, "unterminated string: no closing '")]
    [InlineData("title = 'a\\nb'", 10, "unknown escape '\\n'")]
    [InlineData("price > 12abc", 8, "bad number '12abc'")]
    [InlineData("price > 1.2.3", 8, "bad number '1.2.3'")]
    [InlineData("price > 1e", 8, "bad number '1e'")]
    [InlineData("price > 1.", 8, "bad number '1.'")]
    [InlineData("price = -", 8, "bad number '-'")]
    [InlineData("price > .5", 8, "bad number '.5'")]
    [InlineData("price > 1e999", 8, "number '1e999' is out of range")]
    // Brackets
    [InlineData("(price > 5", 10, "expected ')' to close the '(' at position 1, found end of filter")]
    [InlineData("((price > 5)", 12, "expected ')' to close the '(' at position 1")]
    [InlineData("(price > 5 inStock)", 11, "expected ')' to close the '(' at position 1, found 'inStock'")]
    [InlineData("price > 5)", 9, "unexpected ')' with no matching '('")]
    [InlineData("brand in ['a', 'b'", 18, "expected ',' or ']' in the list, found end of filter")]
    [InlineData("brand in ['a' 'b']", 14, "expected ',' or ']' in the list, found string 'b'")]
    [InlineData("brand in []", 10, "a list needs at least one value")]
    [InlineData("brand in ['a',]", 14, "expected a value in the list, found ']'")]
    [InlineData("brand in [title]", 10, "lists hold literal values only")]
    [InlineData("brand in ['a', ['b']]", 15, "expected a value in the list, found '['")]
    [InlineData("brand in 'a'", 9, "expected a list like [\"a\", \"b\"] or a field after 'in', found string 'a'")]
    [InlineData("brand not in 'a'", 13, "after 'not in'")]
    [InlineData("price = [1, 2]", 8, "a list is only allowed after 'in' or 'not in'")]
    // Operators and trailing garbage
    [InlineData("price", 5, "expected an operator after 'price' (=, !=, <, <=, >, >=, in, not in, contains, startsWith, between), found end of filter")]
    [InlineData("price 5", 6, "expected an operator after 'price'")]
    [InlineData("price > 5 6", 10, "expected 'and', 'or' or end of filter, found number 6")]
    [InlineData("inStock inStock", 8, "expected 'and', 'or' or end of filter, found 'inStock'")]
    [InlineData("inStock not price", 12, "expected 'in' after 'not'")]
    [InlineData("price between 1 5", 16, "expected 'and' after the lower bound of 'between', found number 5")]
    [InlineData("price > 5 && inStock", 10, "unexpected '&'; write 'and'")]
    [InlineData("price > 5 || inStock", 10, "unexpected '|'; write 'or'")]
    [InlineData("!inStock", 0, "unexpected '!'; write 'not'")]
    [InlineData("price <> 5", 6, "write '!='")]
    [InlineData("price # 5", 6, "unexpected character '#'")]
    [InlineData("price = 1 =", 10, "expected 'and', 'or' or end of filter, found '='")]
    // Types known at parse time
    [InlineData("price > \"abc\"", 8, "price is a number; expected a number after '>', found string \"abc\"")]
    [InlineData("price = 'abc'", 8, "price is a number; expected a number after '='")]
    [InlineData("price in [1, 'a']", 13, "price is a number; expected a number after 'in', found string 'a'")]
    [InlineData("price >= publishedAt", 9, "price is a number; expected a number after '>=', found 'publishedAt' (a date)")]
    [InlineData("brand = 5", 8, "brand is text; expected text after '=', found number 5")]
    [InlineData("inStock = 'yes'", 10, "inStock is a boolean; expected true or false after '='")]
    [InlineData("tags = true", 7, "tags is a list of text; expected text")]
    [InlineData("title > 'a'", 6, "'>' compares numbers or dates, but title is text")]
    [InlineData("tags < 3", 5, "'<' compares numbers or dates, but tags is a list of text")]
    [InlineData("inStock between 1 and 2", 8, "'between' compares numbers or dates, but inStock is a boolean")]
    [InlineData("price between 1 and 'x'", 20, "price is a number; expected a number after 'between'")]
    [InlineData("publishedAt > 'yesterday'", 14, "publishedAt is a date; expected a date like \"2026-01-31\"")]
    [InlineData("publishedAt = 5", 14, "publishedAt is a date; expected a date")]
    [InlineData("publishedAt in ['2026-01-01', 'soon']", 30, "publishedAt is a date")]
    [InlineData("properties.size > 'big'", 18, "expected a number or a date like \"2026-01-31\" after '>', found string 'big'")]
    [InlineData("properties.size > true", 18, "expected a number or a date after '>', found 'true'")]
    [InlineData("context.x < title", 12, "'<' compares numbers or dates, but title is text")]
    [InlineData("tags contains 5", 14, "expected text after 'contains', found number 5")]
    [InlineData("price contains '5'", 6, "'contains' works on text and lists of text, but price is a number")]
    [InlineData("publishedAt startsWith '2026'", 12, "'startsWith' works on text and lists of text, but publishedAt is a date")]
    public void ReportsThePositionAndWhatWasExpected(string text, int position, string reason)
    {
        var e = Fail(text);
        Assert.Equal(position, e.Position);
        Assert.Contains(reason, e.Reason);
    }

    [Fact]
    public void MessagesAreOneBasedPositionThenReason()
    {
        Assert.Equal("position 9: expected a value after '<=', found end of filter", Fail("price <=").Message);
        Assert.Equal("position 14: expected a value after 'and', found end of filter", Fail("price = 1 and").Message);
    }

    [Fact]
    public void AFilterOfMoreThan4000CharactersIsRejectedAtCharacter4001()
    {
        string ok = "price > 1" + new string(' ', 4000 - 9);
        Assert.Equal(4000, ok.Length);
        ItemFilter.Parse(ok);
        var e = Fail(ok + " ");
        Assert.Equal(4000, e.Position);
        Assert.Contains("at most 4,000 characters", e.Reason);
    }

    [Fact]
    public void NestingDeeperThan32LevelsIsRejectedAtTheLevelThatExceedsIt()
    {
        ItemFilter.Parse(new string('(', 32) + "inStock" + new string(')', 32));
        var e = Fail(new string('(', 33) + "inStock" + new string(')', 33));
        Assert.Equal(32, e.Position);
        Assert.Contains("deeper than 32 levels", e.Reason);

        ItemFilter.Parse(string.Concat(Enumerable.Repeat("not ", 32)) + "inStock");
        e = Fail(string.Concat(Enumerable.Repeat("not ", 33)) + "inStock");
        Assert.Equal(32 * 4, e.Position);

        e = Fail(string.Concat(Enumerable.Repeat("not (", 17)) + "inStock" + new string(')', 17));
        Assert.Equal(16 * 5, e.Position);   // not, (, not, (, ...: the 33rd level is the 17th 'not'
    }

    [Fact]
    public void ListsOfMoreThan1000ValuesAreRejectedAtThe1001stValue()
    {
        ItemFilter.Parse("price in [" + string.Concat(Enumerable.Repeat("0,", 999)) + "0]");

        string text = "price in [" + string.Concat(Enumerable.Repeat("0,", 1000)) + "1]";
        var e = Fail(text);
        Assert.Equal(10 + 2 * 1000, e.Position);
        Assert.Contains("at most 1,000 values", e.Reason);
    }

    [Fact]
    public void LongChainsOfAndAndOrAreNotNesting()
    {
        string text = string.Join(" or ", Enumerable.Range(0, 130).Select(i => $"price = {i} and inStock"));
        Assert.Equal(["shirt-1", "gift-1"], FilterTestData.Ids(text));
    }

    [Fact]
    public void TheFirstProblemInReadingOrderIsReported()
    {
        Assert.Equal(8, Fail("price > and title = 'unterminated").Position);
        Assert.Equal(0, Fail("colour = 'unterminated").Position);
    }

    [Fact]
    public void ErrorExamplesInTheDocumentationAreTheRealMessages()
    {
        string doc = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "filters.md"));
        int section = doc.IndexOf("## Errors", StringComparison.Ordinal);
        Assert.True(section >= 0);
        int rows = 0;
        foreach (Match m in ErrorRow().Matches(doc[section..]))
        {
            string filter = m.Groups[1].Value, message = m.Groups[2].Value;
            int ellipsis = message.IndexOf("...", StringComparison.Ordinal);
            string actual = Fail(filter).Message;
            if (ellipsis >= 0) Assert.StartsWith(message[..ellipsis], actual);
            else Assert.Equal(message, actual);
            rows++;
        }
        Assert.True(rows >= 8, $"only {rows} example rows found");
    }

    [Fact]
    public void EveryExampleInTheDocumentationParses()
    {
        string doc = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "filters.md"));
        int from = doc.IndexOf("## Examples", StringComparison.Ordinal), to = doc.IndexOf("## Grammar", StringComparison.Ordinal);
        Assert.True(from >= 0 && to > from);
        var examples = ExampleRow().Matches(doc[from..to]).Select(m => m.Groups[1].Value).ToList();
        Assert.True(examples.Count >= 15, $"only {examples.Count} examples found");
        foreach (string example in examples)
        {
            Assert.True(ItemFilter.TryParse(example, out _, out var error), $"{example}: {error?.Message}");
        }
    }

    [GeneratedRegex(@"^\| `([^`]+)` \|", RegexOptions.Multiline)]
    private static partial Regex ExampleRow();

    [GeneratedRegex(@"^\| `([^`]+)` \| `([^`]+)` \|$", RegexOptions.Multiline)]
    private static partial Regex ErrorRow();
}
