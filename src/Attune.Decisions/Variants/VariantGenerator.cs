using System.Text.RegularExpressions;
using Attune.Decisions.Points;
using Microsoft.Extensions.AI;

namespace Attune.Decisions.Variants;

/// <summary>What to draft: how many, a brief for the model, slot values for templates, and templates of one's own.</summary>
public sealed record VariantRequest(int Count, string? Brief, IReadOnlyDictionary<string, string> Slots, IReadOnlyList<string>? Templates);

/// <summary>Drafted texts and where they came from (<c>model:NAME</c> or <c>templates</c>).</summary>
/// <param name="Duplicates">Texts left out because the point already has them.</param>
public sealed record VariantDrafts(IReadOnlyList<string> Texts, string Source, int Duplicates = 0);

/// <summary>The configured model failed (unreachable, refused, empty): said as such, never silently replaced by templates.</summary>
public sealed class VariantModelException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Drafts new actions for a decision point: with a chat model behind <see cref="IChatClient"/> (any OpenAI-compatible or
/// Ollama endpoint the deployment configures) from a brief and the point's current texts, otherwise from templates with
/// slots (<c>{product}</c>, <c>{category}</c>, <c>{discount}</c>…). Drafts are never served until a person approves them.
/// </summary>
public sealed partial class VariantGenerator(IChatClient? chat, string? modelName = null)
{
    /// <summary>Most drafts per request.</summary>
    public const int MaxCount = 10;

    /// <summary>Longest draft kept (longer model lines are dropped).</summary>
    public const int MaxLength = 300;

    /// <summary>The templates used when a request brings none: each needs the slots it names.</summary>
    public static IReadOnlyList<string> DefaultTemplates { get; } =
    [
        "{product}: {discount} off today",
        "Save {discount} on {category}",
        "New in {category}: {product}",
        "{product}, picked for you",
        "Last chance: {discount} off {category}",
        "Discover {category} you will love",
        "{product} is back",
        "Free shipping on {category} today",
    ];

    public bool HasModel => chat is not null;

    public async Task<VariantDrafts> DraftAsync(DecisionPoint point, VariantRequest request, CancellationToken ct = default)
    {
        var existing = new HashSet<string>(point.Actions.Where(a => a.Text is not null).Select(a => a.Text!), StringComparer.OrdinalIgnoreCase);
        if (chat is not null && request.Templates is null)
        {
            var messages = Prompt(point, request);
            ChatResponse response;
            try
            {
                response = await chat.GetResponseAsync(messages, new ChatOptions { Temperature = 0.9f, MaxOutputTokens = 60 * request.Count + 100 }, ct)
                    .ConfigureAwait(false);
            }
            catch (Exception e) when (!ct.IsCancellationRequested) // any failure of the endpoint (HTTP, refusal, timeout, bad answer)
            {
                throw new VariantModelException($"the variant model {modelName} failed: {e.Message}", e);
            }
            var texts = Lines(response.Text).Where(t => existing.Add(t)).Take(request.Count).ToList();
            if (texts.Count == 0) throw new VariantModelException($"the variant model {modelName} answered no usable line");
            return new VariantDrafts(texts, $"model:{modelName}");
        }
        var filled = new List<string>();
        int duplicates = 0;
        foreach (var template in request.Templates ?? DefaultTemplates)
        {
            if (Fill(template, request.Slots) is not { } text) continue;
            if (existing.Add(text)) filled.Add(text);
            else duplicates++;
            if (filled.Count == request.Count) break;
        }
        return new VariantDrafts(filled, "templates", duplicates);
    }

    private static List<ChatMessage> Prompt(DecisionPoint point, VariantRequest request)
    {
        var examples = point.Actions.Where(a => a.Text is not null && a.Status == ActionStatus.Approved).Select(a => "- " + a.Text).Take(10).ToList();
        var user = new System.Text.StringBuilder();
        user.Append("Write ").Append(request.Count).Append(" new variants for the decision point '").Append(point.Id).Append('\'');
        if (point.Description is { } d) user.Append(" (").Append(d).Append(')');
        user.AppendLine(".");
        if (request.Brief is { } brief) user.Append("Brief: ").AppendLine(brief);
        foreach (var (name, value) in request.Slots) user.Append(name).Append(": ").AppendLine(value);
        if (examples.Count > 0)
        {
            user.AppendLine("Current variants (write different ones):");
            foreach (var e in examples) user.AppendLine(e);
        }
        return
        [
            new(ChatRole.System, "You write short variants of marketing copy (banners, subject lines, offers) for a bandit that tests " +
                "them. Answer with one variant per line, at most 120 characters each, with no numbering, quotes or commentary."),
            new(ChatRole.User, user.ToString()),
        ];
    }

    /// <summary>The model's lines as drafts: bullets, numbering and quotes removed, blank and overlong lines dropped.</summary>
    public static IEnumerable<string> Lines(string text)
    {
        foreach (var raw in text.Split('\n'))
        {
            string line = Leader().Replace(raw.Trim(), "").Trim().Trim('"', '“', '”', '\'').Trim();
            if (line.Length is > 0 and <= MaxLength) yield return line;
        }
    }

    /// <summary>The template with every <c>{slot}</c> replaced, or null when a slot it names has no value.</summary>
    public static string? Fill(string template, IReadOnlyDictionary<string, string> slots)
    {
        bool missing = false;
        string text = SlotPattern().Replace(template, m =>
        {
            if (slots.TryGetValue(m.Groups[1].Value, out var value) && value.Length > 0) return value;
            missing = true;
            return m.Value;
        });
        return missing ? null : text;
    }

    [GeneratedRegex(@"^(?:[-*•]|\d+[.)])\s*")]
    private static partial Regex Leader();

    [GeneratedRegex(@"\{([A-Za-z][A-Za-z0-9_]*)\}")]
    private static partial Regex SlotPattern();
}
