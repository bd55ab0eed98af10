namespace Attune.Serving.Filtering;

/// <summary>Recursive-descent parser and type checker: text → <see cref="FilterNode"/> tree. See <see cref="ItemFilter"/> for the language.</summary>
internal sealed class FilterParser
{
    public const int MaxLength = 4_000;
    public const int MaxDepth = 32;
    public const int MaxListValues = 1_000;

    internal const string KnownFields =
        "id, title, description, brand, price, currency, inStock, tags, categories (or category), publishedAt, ageDays, "
        + "properties.NAME (or props.NAME) and context.NAME";

    private static readonly Dictionary<string, ItemField> Fields = new(StringComparer.OrdinalIgnoreCase)
    {
        ["id"] = ItemField.Id,
        ["title"] = ItemField.Title,
        ["description"] = ItemField.Description,
        ["brand"] = ItemField.Brand,
        ["price"] = ItemField.Price,
        ["currency"] = ItemField.Currency,
        ["inStock"] = ItemField.InStock,
        ["tags"] = ItemField.Tags,
        ["categories"] = ItemField.Categories,
        ["category"] = ItemField.Categories,
        ["publishedAt"] = ItemField.PublishedAt,
        ["ageDays"] = ItemField.AgeDays,
    };

    private readonly string _text;
    private readonly FilterLexer _lexer;
    private Token _current;
    private int _depth;

    private FilterParser(string text)
    {
        _text = text;
        _lexer = new FilterLexer(text);
    }

    public static FilterNode Parse(string text)
    {
        if (text.Length > MaxLength)
            throw new FilterSyntaxException(MaxLength, $"a filter is at most {MaxLength:N0} characters; this one has {text.Length:N0}");
        var parser = new FilterParser(text);
        parser.Advance();
        if (parser._current.Kind == TokenKind.End) throw new FilterSyntaxException(0, "the filter is empty");
        var node = parser.ParseOr(after: null);
        if (parser._current.Kind != TokenKind.End)
        {
            string reason = parser._current.Kind == TokenKind.RParen
                ? "unexpected ')' with no matching '('"
                : $"expected 'and', 'or' or end of filter, found {parser.Describe(parser._current)}";
            throw new FilterSyntaxException(parser._current.Start, reason);
        }
        return node;
    }

    private Token Advance()
    {
        var previous = _current;
        _current = _lexer.Next();
        return previous;
    }

    private string Slice(Token t) => _text[t.Start..t.End];

    private bool IsKeyword(string keyword) => IsKeyword(_current, keyword);

    private bool IsKeyword(Token t, string keyword) =>
        t.Kind == TokenKind.Name && t.End - t.Start == keyword.Length
        && _text.AsSpan(t.Start, keyword.Length).Equals(keyword, StringComparison.OrdinalIgnoreCase);

    private bool IsAnyKeyword(Token t) =>
        IsKeyword(t, "and") || IsKeyword(t, "or") || IsKeyword(t, "not") || IsKeyword(t, "in") || IsKeyword(t, "contains")
        || IsKeyword(t, "startsWith") || IsKeyword(t, "between") || IsKeyword(t, "true") || IsKeyword(t, "false");

    private string Describe(Token t)
    {
        switch (t.Kind)
        {
            case TokenKind.End: return "end of filter";
            case TokenKind.Number: return $"number {Slice(t)}";
            case TokenKind.String:
                string s = Slice(t);
                return "string " + (s.Length > 40 ? s[..37] + "..." : s);
            default:
                string x = Slice(t);
                return "'" + (x.Length > 40 ? x[..37] + "..." : x) + "'";
        }
    }

    // or := and ('or' and)*
    private FilterNode ParseOr(string? after)
    {
        var first = ParseAnd(after);
        if (!IsKeyword("or")) return first;
        var children = new List<FilterNode>();
        Add(children, first);
        while (IsKeyword("or"))
        {
            var op = Advance();
            Add(children, ParseAnd($"'{Slice(op)}'"));
        }
        return new OrNode([.. children]);

        static void Add(List<FilterNode> list, FilterNode node)
        {
            if (node is OrNode nested) list.AddRange(nested.Children);
            else list.Add(node);
        }
    }

    // and := unary ('and' unary)*
    private FilterNode ParseAnd(string? after)
    {
        var first = ParseUnary(after);
        if (!IsKeyword("and")) return first;
        var children = new List<FilterNode>();
        Add(children, first);
        while (IsKeyword("and"))
        {
            var op = Advance();
            Add(children, ParseUnary($"'{Slice(op)}'"));
        }
        return new AndNode([.. children]);

        static void Add(List<FilterNode> list, FilterNode node)
        {
            if (node is AndNode nested) list.AddRange(nested.Children);
            else list.Add(node);
        }
    }

    // unary := 'not' unary | primary
    private FilterNode ParseUnary(string? after)
    {
        if (!IsKeyword("not")) return ParsePrimary(after);
        Enter(_current);
        var op = Advance();
        var child = ParseUnary($"'{Slice(op)}'");
        _depth--;
        return new NotNode(child);
    }

    private void Enter(Token t)
    {
        if (++_depth > MaxDepth)
            throw new FilterSyntaxException(t.Start, $"the filter nests deeper than {MaxDepth} levels of parentheses and 'not'");
    }

    // primary := '(' or ')' | 'true' | 'false' | condition
    private FilterNode ParsePrimary(string? after)
    {
        var t = _current;
        if (t.Kind == TokenKind.LParen)
        {
            Enter(t);
            Advance();
            var inner = ParseOr("'('");
            if (_current.Kind != TokenKind.RParen)
                throw new FilterSyntaxException(_current.Start,
                    $"expected ')' to close the '(' at position {t.Start + 1}, found {Describe(_current)}");
            Advance();
            _depth--;
            return inner;
        }
        if (IsKeyword(t, "true") || IsKeyword(t, "false"))
        {
            Advance();
            return new ConstantNode(IsKeyword(t, "true"));
        }
        if (t.Kind == TokenKind.Name && !IsAnyKeyword(t))
        {
            var left = ResolveField(t);
            Advance();
            return ParseCondition(left, t);
        }
        if (t.Kind is TokenKind.Number or TokenKind.String or TokenKind.LBracket)
            throw new FilterSyntaxException(t.Start,
                $"expected a field name{(after is null ? "" : " after " + after)}, found {Describe(t)}; a condition starts with a field, as in price > 10");
        throw new FilterSyntaxException(t.Start, $"expected a value{(after is null ? "" : " after " + after)}, found {Describe(t)}");
    }

    // condition := field (op operand | ['not'] 'in' (list | field) | 'between' operand 'and' operand)?
    private FilterNode ParseCondition(Operand left, Token leftToken)
    {
        var t = _current;
        CompareOp op;
        switch (t.Kind)
        {
            case TokenKind.Eq: op = CompareOp.Eq; break;
            case TokenKind.Ne: op = CompareOp.Ne; break;
            case TokenKind.Lt: op = CompareOp.Lt; break;
            case TokenKind.Le: op = CompareOp.Le; break;
            case TokenKind.Gt: op = CompareOp.Gt; break;
            case TokenKind.Ge: op = CompareOp.Ge; break;
            default:
                if (IsKeyword(t, "contains")) op = CompareOp.Contains;
                else if (IsKeyword(t, "startsWith")) op = CompareOp.StartsWith;
                else if (IsKeyword(t, "in"))
                {
                    Advance();
                    return ParseIn(left, leftToken, t, negated: false);
                }
                else if (IsKeyword(t, "not"))
                {
                    Advance();
                    if (!IsKeyword("in"))
                        throw new FilterSyntaxException(_current.Start,
                            $"expected 'in' after '{Slice(t)}' (a field can be followed by 'not in'), found {Describe(_current)}");
                    var inToken = Advance();
                    return ParseIn(left, leftToken, inToken, negated: true, notToken: t);
                }
                else if (IsKeyword(t, "between"))
                {
                    Advance();
                    return ParseBetween(left, leftToken, t);
                }
                else
                {
                    if (left.Type is FieldType.Bool or FieldType.Dynamic) return new TruthNode(left);
                    throw new FilterSyntaxException(t.Start,
                        $"expected an operator after '{Slice(leftToken)}' (=, !=, <, <=, >, >=, in, not in, contains, startsWith, "
                        + $"between), found {Describe(t)}");
                }
                break;
        }
        Advance();
        string opText = OpText(op);
        var rightToken = _current;
        var right = ParseOperand(t);
        right = Check(left, leftToken, op, opText, t, right, rightToken);
        return new CompareNode(left, op, right, opText);
    }

    private static string OpText(CompareOp op) => op switch
    {
        CompareOp.Eq => "=",
        CompareOp.Ne => "!=",
        CompareOp.Lt => "<",
        CompareOp.Le => "<=",
        CompareOp.Gt => ">",
        CompareOp.Ge => ">=",
        CompareOp.Contains => "contains",
        _ => "startsWith",
    };

    private FilterNode ParseIn(Operand left, Token leftToken, Token inToken, bool negated, Token? notToken = null)
    {
        string opText = negated ? "not in" : "in";
        string shown = notToken is { } n ? $"'{Slice(n)} {Slice(inToken)}'" : $"'{Slice(inToken)}'";
        var t = _current;
        if (t.Kind == TokenKind.Name && !IsAnyKeyword(t))
        {
            var field = ResolveField(t);
            Advance();
            var op = negated ? CompareOp.Ne : CompareOp.Eq;
            Check(left, leftToken, op, opText, inToken, field, t);
            return new CompareNode(left, op, field, opText);
        }
        if (t.Kind != TokenKind.LBracket)
            throw new FilterSyntaxException(t.Start,
                $"expected a list like [\"a\", \"b\"] or a field after {shown}, found {Describe(t)}");
        Advance();
        if (_current.Kind == TokenKind.RBracket)
            throw new FilterSyntaxException(_current.Start, "a list needs at least one value");
        var values = new List<LiteralOperand>();
        while (true)
        {
            var v = _current;
            if (values.Count == MaxListValues)
                throw new FilterSyntaxException(v.Start, $"a list holds at most {MaxListValues:N0} values");
            LiteralOperand? literal = Literal(v);
            if (literal is null)
            {
                string reason = v.Kind == TokenKind.Name && !IsAnyKeyword(v)
                    ? $"lists hold literal values only (numbers, strings, true, false), found {Describe(v)}"
                    : $"expected a value in the list, found {Describe(v)}";
                throw new FilterSyntaxException(v.Start, reason);
            }
            Advance();
            var op = negated ? CompareOp.Ne : CompareOp.Eq;
            values.Add((LiteralOperand)Check(left, leftToken, op, opText, inToken, literal, v));
            if (_current.Kind == TokenKind.Comma)
            {
                Advance();
                continue;
            }
            if (_current.Kind == TokenKind.RBracket)
            {
                Advance();
                break;
            }
            throw new FilterSyntaxException(_current.Start, $"expected ',' or ']' in the list, found {Describe(_current)}");
        }
        return new InListNode(left, [.. values], negated);
    }

    private FilterNode ParseBetween(Operand left, Token leftToken, Token betweenToken)
    {
        var lowToken = _current;
        var low = Check(left, leftToken, CompareOp.Ge, "between", betweenToken, ParseOperand(betweenToken), lowToken);
        if (!IsKeyword("and"))
            throw new FilterSyntaxException(_current.Start,
                $"expected 'and' after the lower bound of '{Slice(betweenToken)}', found {Describe(_current)}");
        var andToken = Advance();
        var highToken = _current;
        var high = Check(left, leftToken, CompareOp.Le, "between", betweenToken, ParseOperand(andToken), highToken);
        return new BetweenNode(left, low, high);
    }

    private LiteralOperand? Literal(Token t)
    {
        if (t.Kind == TokenKind.Number) return LiteralOperand.Number(t.Number);
        if (t.Kind == TokenKind.String) return LiteralOperand.Text(t.Text!);
        if (IsKeyword(t, "true")) return LiteralOperand.Bool(true);
        if (IsKeyword(t, "false")) return LiteralOperand.Bool(false);
        return null;
    }

    // operand := literal | field
    private Operand ParseOperand(Token after)
    {
        var t = _current;
        if (Literal(t) is { } literal)
        {
            Advance();
            return literal;
        }
        if (t.Kind == TokenKind.Name && !IsAnyKeyword(t))
        {
            var field = ResolveField(t);
            Advance();
            return field;
        }
        if (t.Kind == TokenKind.LBracket)
            throw new FilterSyntaxException(t.Start, $"a list is only allowed after 'in' or 'not in', not after '{Slice(after)}'");
        throw new FilterSyntaxException(t.Start, $"expected a value after '{Slice(after)}', found {Describe(t)}");
    }

    private Operand ResolveField(Token t)
    {
        string name = t.Text!;
        if (Fields.TryGetValue(name, out var field)) return new FieldOperand(field);
        int dot = name.IndexOf('.');
        string head = dot < 0 ? name : name[..dot];
        bool property = head.Equals("properties", StringComparison.OrdinalIgnoreCase) || head.Equals("props", StringComparison.OrdinalIgnoreCase);
        bool context = head.Equals("context", StringComparison.OrdinalIgnoreCase);
        if (!property && !context)
            throw new FilterSyntaxException(t.Start, $"unknown field '{Shorten(name)}'; the fields are {KnownFields}");
        string rest = dot < 0 ? "" : name[(dot + 1)..];
        if (rest.Length == 0)
            throw new FilterSyntaxException(t.End, $"expected a name after '{head}.', as in {(property ? "properties.color" : "context.budget")}");
        if (property)
        {
            int bad = rest.AsSpan().IndexOfAnyExcept(NameChars);
            if (bad >= 0)
                throw new FilterSyntaxException(t.Start + dot + 1 + bad,
                    $"a property name holds letters, digits, '_' and '-' only; '{Shorten(rest)}' has '{rest[bad]}'");
            return new PropertyOperand(rest);
        }
        int from = 0;
        for (int i = 0; i <= rest.Length; i++)
        {
            if (i < rest.Length && rest[i] != '.') continue;
            if (i == from)
                throw new FilterSyntaxException(t.Start + dot + 1 + i, $"empty part in context name '{Shorten(rest)}'; write context.a.b");
            from = i + 1;
        }
        return new ContextOperand(rest);
    }

    private static readonly System.Buffers.SearchValues<char> NameChars = System.Buffers.SearchValues.Create(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");

    private static string Shorten(string s) => s.Length > 40 ? s[..37] + "..." : s;

    private static string TypeName(FieldType type) => type switch
    {
        FieldType.Text => "text",
        FieldType.TextList => "a list of text",
        FieldType.Number => "a number",
        FieldType.Bool => "a boolean",
        FieldType.Date => "a date",
        _ => "a value",
    };

    private static string Expected(FieldType type) => type switch
    {
        FieldType.Text or FieldType.TextList => "text",
        FieldType.Number => "a number",
        FieldType.Bool => "true or false",
        FieldType.Date => "a date like \"2026-01-31\" or \"2026-01-31T12:00:00Z\"",
        _ => "a value",
    };

    private static bool Textual(FieldType t) => t is FieldType.Text or FieldType.TextList;

    /// <summary>
    /// Type-checks <c>left op right</c> where both types are known, and reads string literals compared with dates as dates.
    /// Returns the (possibly converted) right operand.
    /// </summary>
    private Operand Check(Operand left, Token leftToken, CompareOp op, string opText, Token opToken, Operand right, Token rightToken)
    {
        FieldType lt = left.Type, rt = right.Type;
        var literal = right as LiteralOperand;
        string leftName = Slice(leftToken);

        if (op is CompareOp.Contains or CompareOp.StartsWith)
        {
            if (!Textual(lt) && lt != FieldType.Dynamic)
                throw new FilterSyntaxException(opToken.Start,
                    $"'{opText}' works on text and lists of text, but {leftName} is {TypeName(lt)}");
            if (!Textual(rt) && rt != FieldType.Dynamic)
                throw new FilterSyntaxException(rightToken.Start, $"expected text after '{Slice(opToken)}', found {Describe(rightToken)}");
            return right;
        }

        if (op is CompareOp.Lt or CompareOp.Le or CompareOp.Gt or CompareOp.Ge)
        {
            string shownOp = Slice(opToken);
            if (lt is not (FieldType.Number or FieldType.Date or FieldType.Dynamic))
                throw new FilterSyntaxException(opToken.Start, $"'{shownOp}' compares numbers or dates, but {leftName} is {TypeName(lt)}");
            if (literal is not null)
            {
                if (rt == FieldType.Text && lt is FieldType.Date or FieldType.Dynamic)
                {
                    if (FilterDates.TryParse(literal.Value.Text, out long start, out long end))
                        return LiteralOperand.Date(literal.Value.Text!, start, end);
                    throw new FilterSyntaxException(rightToken.Start, lt == FieldType.Date
                        ? $"{leftName} is a date; expected {Expected(FieldType.Date)} after '{shownOp}', found {Describe(rightToken)}"
                        : $"expected a number or a date like \"2026-01-31\" after '{shownOp}', found {Describe(rightToken)}");
                }
                if (rt == FieldType.Number && lt is FieldType.Number or FieldType.Dynamic) return right;
                throw new FilterSyntaxException(rightToken.Start, lt == FieldType.Dynamic
                    ? $"expected a number or a date after '{shownOp}', found {Describe(rightToken)}"
                    : $"{leftName} is {TypeName(lt)}; expected {Expected(lt)} after '{shownOp}', found {Describe(rightToken)}");
            }
            if (rt == FieldType.Dynamic || (lt == FieldType.Dynamic && rt is FieldType.Number or FieldType.Date) || lt == rt) return right;
            throw new FilterSyntaxException(rightToken.Start, lt == FieldType.Dynamic
                ? $"'{shownOp}' compares numbers or dates, but {Slice(rightToken)} is {TypeName(rt)}"
                : $"{leftName} is {TypeName(lt)}; expected {Expected(lt)} after '{shownOp}', found {Describe(rightToken)} ({TypeName(rt)})");
        }

        // Equality: =, !=, in, not in.
        if (lt == FieldType.Dynamic || rt == FieldType.Dynamic) return right;
        if (lt == FieldType.Date)
        {
            if (literal is not null && rt == FieldType.Text)
            {
                if (FilterDates.TryParse(literal.Value.Text, out long start, out long end))
                    return LiteralOperand.Date(literal.Value.Text!, start, end);
            }
            else if (rt == FieldType.Date)
            {
                return right;
            }
        }
        else if ((Textual(lt) && Textual(rt)) || lt == rt)
        {
            return right;
        }
        string after = opToken.Kind == TokenKind.Name ? Slice(opToken) : opText;
        throw new FilterSyntaxException(rightToken.Start,
            $"{leftName} is {TypeName(lt)}; expected {Expected(lt)} after '{after}', found {Describe(rightToken)}"
            + (literal is null ? $" ({TypeName(rt)})" : ""));
    }
}
