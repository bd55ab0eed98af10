using System.Globalization;
using System.Text.Json;
using Attune.Model;

namespace Attune.Validation;

/// <summary>
/// Reads items, users and events from JSON, collecting every problem with the field it concerns instead of
/// stopping at the first. Unknown fields are rejected so that a misspelt field name is not silently dropped.
/// </summary>
public sealed class RecordReader(TimeProvider time)
{
    private static readonly HashSet<string> s_itemFields = new(StringComparer.Ordinal)
    {
        "id", "title", "description", "categories", "brand", "price", "currency", "inStock", "tags", "properties",
        "publishedAt", "hidden", "blocked",
    };

    private static readonly HashSet<string> s_userFields = new(StringComparer.Ordinal) { "id", "attributes", "consent", "createdAt" };

    private static readonly HashSet<string> s_eventFields = new(StringComparer.Ordinal)
    {
        "type", "userId", "anonymousId", "itemId", "value", "timestamp", "sessionId", "channel", "context", "recommendationId", "query",
        "userToken", // proof for a client key (checked by the server, never stored)
    };

    public Item? ReadItem(JsonElement e, List<FieldError> errors)
    {
        if (!ExpectObject(e, errors)) return null;
        CheckUnknown(e, s_itemFields, errors);
        string? id = RequiredId(e, "id", errors);
        var item = new Item
        {
            Id = id ?? "",
            Title = OptionalString(e, "title", Limits.MaxTitleLength, errors),
            Description = OptionalString(e, "description", Limits.MaxTextLength, errors),
            Categories = StringList(e, "categories", errors, Limits.MaxIdLength, normalizePath: true),
            Brand = OptionalString(e, "brand", Limits.MaxIdLength, errors),
            Price = OptionalNumber(e, "price", errors, min: 0),
            Currency = OptionalCurrency(e, errors),
            InStock = OptionalBool(e, "inStock", errors) ?? true,
            Tags = StringList(e, "tags", errors, Limits.MaxIdLength, normalizePath: false),
            Properties = Properties(e, errors),
            PublishedAt = OptionalTime(e, "publishedAt", errors, checkRange: false),
            Hidden = OptionalBool(e, "hidden", errors) ?? false,
            Blocked = OptionalBool(e, "blocked", errors) ?? false,
        };
        return errors.Count == 0 ? item : null;
    }

    public User? ReadUser(JsonElement e, List<FieldError> errors)
    {
        if (!ExpectObject(e, errors)) return null;
        CheckUnknown(e, s_userFields, errors);
        string? id = RequiredId(e, "id", errors);
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (e.TryGetProperty("attributes", out var a) && a.ValueKind != JsonValueKind.Null)
        {
            if (a.ValueKind != JsonValueKind.Object)
                errors.Add(new("attributes", "must be an object of string values"));
            else
            {
                foreach (var p in a.EnumerateObject())
                {
                    if (attributes.Count >= Limits.MaxProperties) { errors.Add(new("attributes", $"at most {Limits.MaxProperties} attributes")); break; }
                    if (!ValidKey(p.Name)) { errors.Add(new($"attributes.{Trim(p.Name)}", "attribute names are 1–64 characters")); continue; }
                    switch (p.Value.ValueKind)
                    {
                        case JsonValueKind.String:
                            string s = p.Value.GetString()!;
                            if (s.Length > Limits.MaxShortText) errors.Add(new($"attributes.{p.Name}", $"at most {Limits.MaxShortText} characters"));
                            else attributes[p.Name] = s;
                            break;
                        case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                            attributes[p.Name] = p.Value.GetRawText();
                            break;
                        case JsonValueKind.Null:
                            break;
                        default:
                            errors.Add(new($"attributes.{p.Name}", "must be a string, number or boolean"));
                            break;
                    }
                }
            }
        }
        Consent? consent = null;
        if (e.TryGetProperty("consent", out var c) && c.ValueKind != JsonValueKind.Null)
        {
            if (c.ValueKind != JsonValueKind.Object)
                errors.Add(new("consent", "must be an object such as {\"personalization\": false}"));
            else
            {
                foreach (var p in c.EnumerateObject())
                {
                    if (p.Name is not ("personalization" or "marketing" or "analytics"))
                        errors.Add(new($"consent.{Trim(p.Name)}", "unknown purpose; known: personalization, marketing, analytics"));
                }
                // A purpose left out is given (a consent object states the whole consent).
                consent = new Consent
                {
                    Personalization = OptionalBool(c, "personalization", errors, "consent.") ?? true,
                    Marketing = OptionalBool(c, "marketing", errors, "consent.") ?? true,
                    Analytics = OptionalBool(c, "analytics", errors, "consent.") ?? true,
                };
            }
        }
        var user = new User
        {
            Id = id ?? "",
            Attributes = attributes,
            Consent = consent,
            CreatedAt = OptionalTime(e, "createdAt", errors, checkRange: false),
        };
        return errors.Count == 0 ? user : null;
    }

    public Event? ReadEvent(JsonElement e, List<FieldError> errors)
    {
        if (!ExpectObject(e, errors)) return null;
        CheckUnknown(e, s_eventFields, errors);
        if (e.TryGetProperty("userToken", out var token) && token.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
            errors.Add(new("userToken", "must be a string (a user token)"));
        string? type = null;
        EventType? builtIn = null;
        if (!e.TryGetProperty("type", out var t) || t.ValueKind == JsonValueKind.Null)
            errors.Add(new("type", "is required"));
        else if (t.ValueKind != JsonValueKind.String)
            errors.Add(new("type", "must be a string"));
        else
        {
            type = t.GetString()!;
            if (EventTypes.TryGetBuiltIn(type, out var bt)) builtIn = bt;
            else if (!EventTypes.IsValidCustomName(type))
            {
                errors.Add(new("type", $"unknown event type '{Trim(type)}'; use a built-in type or a custom name " +
                    $"'{EventTypes.CustomPrefix}<name>' (a-z, 0-9, _ - .; at most {EventTypes.MaxNameLength} characters)"));
                type = null;
            }
        }

        int before = errors.Count;
        string? userId = OptionalId(e, "userId", errors);
        string? anonymousId = OptionalId(e, "anonymousId", errors);
        if (userId is null && anonymousId is null && errors.Count == before)
            errors.Add(new("userId", "userId or anonymousId is required"));

        before = errors.Count;
        string? itemId = OptionalId(e, "itemId", errors);
        if (itemId is null && builtIn is { } b && EventTypes.RequiresItem(b) && errors.Count == before)
            errors.Add(new("itemId", $"is required for '{type}' events"));

        before = errors.Count;
        double? value = OptionalNumber(e, "value", errors, min: null);
        if (builtIn == EventType.Rating && value is null && errors.Count == before)
            errors.Add(new("value", "is required for 'rating' events (the rating)"));
        if (value < 0 && builtIn is { } vt && !EventTypes.AllowsNegativeValue(vt))
            errors.Add(new("value", $"must not be negative for '{type}' events (only refund and custom types take negative values)"));

        before = errors.Count;
        string? query = OptionalString(e, "query", Limits.MaxShortText, errors);
        if (builtIn == EventType.Search && query is null && errors.Count == before)
            errors.Add(new("query", "is required for 'search' events"));

        var timestamp = OptionalTime(e, "timestamp", errors, checkRange: true) ?? time.GetUtcNow();

        string? channel = OptionalString(e, "channel", 32, errors);
        if (channel is not null && !Channels.Known.Contains(channel))
            errors.Add(new("channel", $"unknown channel '{Trim(channel)}'; known: {string.Join(", ", Channels.Known)}"));

        string? context = null;
        if (e.TryGetProperty("context", out var ctx) && ctx.ValueKind != JsonValueKind.Null)
        {
            if (ctx.ValueKind != JsonValueKind.Object) errors.Add(new("context", "must be an object"));
            else
            {
                context = ctx.GetRawText();
                if (context.Length > Limits.MaxContextBytes) errors.Add(new("context", $"at most {Limits.MaxContextBytes} characters of JSON"));
                CheckContext(ctx, errors);
            }
        }

        var ev = new Event
        {
            Type = type ?? "",
            UserId = userId,
            AnonymousId = anonymousId,
            ItemId = itemId,
            Value = value,
            Timestamp = timestamp,
            SessionId = OptionalId(e, "sessionId", errors),
            Channel = channel,
            ContextJson = context,
            RecommendationId = OptionalId(e, "recommendationId", errors),
            Query = query,
        };
        return errors.Count == 0 ? ev : null;
    }

    /// <summary>Checks a timestamp against the accepted window: from 2000 to one day ahead of now.</summary>
    public string? CheckEventTime(DateTimeOffset ts)
    {
        if (ts < Limits.MinTimestamp) return "must not be before 2000-01-01";
        if (ts > time.GetUtcNow() + Limits.MaxFutureSkew) return "must not be more than one day in the future";
        return null;
    }

    private static void CheckContext(JsonElement ctx, List<FieldError> errors)
    {
        foreach (var p in ctx.EnumerateObject())
        {
            if (p.Name is "device" or "locale" or "referrer" or "page" && p.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                errors.Add(new($"context.{p.Name}", "must be a string"));
            if (p.Name is "geo" && p.Value.ValueKind is not (JsonValueKind.Object or JsonValueKind.String or JsonValueKind.Null))
                errors.Add(new("context.geo", "must be an object (country, region, city, lat, lon) or a string"));
        }
    }

    private static bool ExpectObject(JsonElement e, List<FieldError> errors)
    {
        if (e.ValueKind == JsonValueKind.Object) return true;
        errors.Add(new("", $"must be a JSON object, not {Describe(e.ValueKind)}"));
        return false;
    }

    private static void CheckUnknown(JsonElement e, HashSet<string> known, List<FieldError> errors)
    {
        foreach (var p in e.EnumerateObject())
        {
            if (!known.Contains(p.Name))
                errors.Add(new(Trim(p.Name), $"unknown field; known fields: {string.Join(", ", known)}"));
        }
    }

    private static string? RequiredId(JsonElement e, string name, List<FieldError> errors)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            errors.Add(new(name, "is required"));
            return null;
        }
        return Id(v, name, errors);
    }

    private static string? OptionalId(JsonElement e, string name, List<FieldError> errors) =>
        e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? Id(v, name, errors) : null;

    private static string? Id(JsonElement v, string name, List<FieldError> errors)
    {
        string? s = v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            // Numeric ids are common (MovieLens, shop databases); accept integers and keep their text.
            JsonValueKind.Number when v.TryGetInt64(out long n) => n.ToString(CultureInfo.InvariantCulture),
            _ => null,
        };
        if (s is null)
        {
            errors.Add(new(name, $"must be a string id, not {Describe(v.ValueKind)}"));
            return null;
        }
        string? problem = CheckId(s);
        if (problem is not null)
        {
            errors.Add(new(name, problem));
            return null;
        }
        return s;
    }

    /// <summary>Why a string cannot be an id, or null when it can.</summary>
    public static string? CheckId(string s)
    {
        if (s.Length == 0) return "must not be empty";
        if (s.Length > Limits.MaxIdLength) return $"must be at most {Limits.MaxIdLength} characters (got {s.Length})";
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsControl(c)) return "must not contain control characters";
            if (IsInvisibleOrBidi(c))
                return $"must not contain invisible or direction-changing characters (U+{(int)c:X4} at {i}): two ids that look alike must be alike";
            if (char.IsSurrogate(c))
            {
                if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
                return "must be valid Unicode (an unpaired surrogate)";
            }
        }
        if (char.IsWhiteSpace(s[0]) || char.IsWhiteSpace(s[^1])) return "must not start or end with whitespace";
        return null;
    }

    /// <summary>
    /// Zero-width characters (U+200B–U+200D, U+2060, U+FEFF) and bidi embeddings, overrides and isolates (U+202A–U+202E,
    /// U+2066–U+2069, and the marks U+200E, U+200F, U+061C): invisible, so an id holding one looks like another id.
    /// </summary>
    public static bool IsInvisibleOrBidi(char c) =>
        c is >= '\u200B' and <= '\u200F' or >= '\u202A' and <= '\u202E' or >= '\u2060' and <= '\u2064' or >= '\u2066' and <= '\u2069'
            or '\uFEFF' or '\u061C';

    private static string? OptionalString(JsonElement e, string name, int maxLength, List<FieldError> errors)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String)
        {
            errors.Add(new(name, $"must be a string, not {Describe(v.ValueKind)}"));
            return null;
        }
        string s = v.GetString()!;
        if (s.Length > maxLength)
        {
            errors.Add(new(name, $"must be at most {maxLength} characters (got {s.Length})"));
            return null;
        }
        return s;
    }

    private static string? OptionalCurrency(JsonElement e, List<FieldError> errors)
    {
        string? c = OptionalString(e, "currency", 3, errors);
        if (c is null) return null;
        if (c.Length != 3 || !c.All(char.IsAsciiLetterUpper))
        {
            errors.Add(new("currency", "must be a three-letter ISO 4217 code such as EUR"));
            return null;
        }
        return c;
    }

    private static double? OptionalNumber(JsonElement e, string name, List<FieldError> errors, double? min)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double d) || !double.IsFinite(d))
        {
            errors.Add(new(name, v.ValueKind == JsonValueKind.Number ? "must be a finite number" : $"must be a number, not {Describe(v.ValueKind)}"));
            return null;
        }
        if (min is { } m && d < m)
        {
            errors.Add(new(name, $"must be at least {m.ToString(CultureInfo.InvariantCulture)}"));
            return null;
        }
        return d;
    }

    private static bool? OptionalBool(JsonElement e, string name, List<FieldError> errors, string prefix = "")
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind is JsonValueKind.True or JsonValueKind.False) return v.GetBoolean();
        errors.Add(new(prefix + name, $"must be true or false, not {Describe(v.ValueKind)}"));
        return null;
    }

    private DateTimeOffset? OptionalTime(JsonElement e, string name, List<FieldError> errors, bool checkRange)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        DateTimeOffset ts;
        if (v.ValueKind == JsonValueKind.String)
        {
            if (!DateTimeOffset.TryParse(v.GetString(), CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out ts))
            {
                errors.Add(new(name, "must be an ISO 8601 date-time such as 2026-11-25T14:07:00Z, or Unix seconds/milliseconds"));
                return null;
            }
        }
        else if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double n) && double.IsFinite(n))
        {
            // Unix time: seconds below 10^11 (year 5138), milliseconds above.
            double ms = Math.Abs(n) < 1e11 ? n * 1000 : n;
            if (ms is < -62135596800000 or > 253402300799000)
            {
                errors.Add(new(name, "is out of range"));
                return null;
            }
            ts = DateTimeOffset.FromUnixTimeMilliseconds((long)ms);
        }
        else
        {
            errors.Add(new(name, $"must be an ISO 8601 string or Unix time number, not {Describe(v.ValueKind)}"));
            return null;
        }
        if (checkRange && CheckEventTime(ts) is { } problem)
        {
            errors.Add(new(name, problem));
            return null;
        }
        return ts;
    }

    private static IReadOnlyList<string> StringList(JsonElement e, string name, List<FieldError> errors, int maxLength, bool normalizePath)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return [];
        if (v.ValueKind != JsonValueKind.Array)
        {
            errors.Add(new(name, $"must be an array of strings, not {Describe(v.ValueKind)}"));
            return [];
        }
        int n = v.GetArrayLength();
        if (n > Limits.MaxListLength)
        {
            errors.Add(new(name, $"at most {Limits.MaxListLength} entries (got {n})"));
            return [];
        }
        var list = new List<string>(n);
        int i = 0;
        foreach (var x in v.EnumerateArray())
        {
            if (x.ValueKind != JsonValueKind.String)
                errors.Add(new($"{name}[{i}]", $"must be a string, not {Describe(x.ValueKind)}"));
            else
            {
                string s = x.GetString()!;
                if (normalizePath) s = s.Trim().Trim('/');
                if (s.Length == 0 || s.Length > maxLength)
                    errors.Add(new($"{name}[{i}]", $"must be 1–{maxLength} characters"));
                else if (!list.Contains(s))
                    list.Add(s);
            }
            i++;
        }
        return list;
    }

    private static IReadOnlyDictionary<string, object> Properties(JsonElement e, List<FieldError> errors)
    {
        if (!e.TryGetProperty("properties", out var v) || v.ValueKind == JsonValueKind.Null) return Item.EmptyProperties;
        if (v.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new("properties", $"must be an object, not {Describe(v.ValueKind)}"));
            return Item.EmptyProperties;
        }
        var props = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var p in v.EnumerateObject())
        {
            string field = $"properties.{Trim(p.Name)}";
            if (props.Count >= Limits.MaxProperties) { errors.Add(new("properties", $"at most {Limits.MaxProperties} properties")); break; }
            if (!ValidKey(p.Name)) { errors.Add(new(field, "property names are 1–64 characters")); continue; }
            switch (p.Value.ValueKind)
            {
                case JsonValueKind.String:
                    string s = p.Value.GetString()!;
                    if (s.Length > Limits.MaxShortText) errors.Add(new(field, $"at most {Limits.MaxShortText} characters"));
                    else props[p.Name] = s;
                    break;
                case JsonValueKind.Number:
                    if (p.Value.TryGetDouble(out double d) && double.IsFinite(d)) props[p.Name] = d;
                    else errors.Add(new(field, "must be a finite number"));
                    break;
                case JsonValueKind.True or JsonValueKind.False:
                    props[p.Name] = p.Value.GetBoolean();
                    break;
                case JsonValueKind.Array:
                    var values = new List<string>();
                    foreach (var x in p.Value.EnumerateArray())
                    {
                        if (x.ValueKind != JsonValueKind.String || x.GetString()!.Length > Limits.MaxShortText)
                        {
                            errors.Add(new(field, "a list property must hold strings only"));
                            values = null;
                            break;
                        }
                        values.Add(x.GetString()!);
                    }
                    if (values is not null)
                    {
                        if (values.Count > Limits.MaxListLength) errors.Add(new(field, $"at most {Limits.MaxListLength} entries"));
                        else props[p.Name] = values.ToArray();
                    }
                    break;
                case JsonValueKind.Null:
                    break;
                default:
                    errors.Add(new(field, "must be a string, number, boolean or list of strings"));
                    break;
            }
        }
        return props;
    }

    private static bool ValidKey(string k) => k.Length is > 0 and <= 64 && !k.Any(char.IsControl);

    private static string Trim(string s) => s.Length <= 64 ? s : s[..64] + "…";

    private static string Describe(JsonValueKind k) => k switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
