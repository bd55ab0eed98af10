using System.Text.Json;
using Attune.Model;
using Attune.Serving.Rules;
using Attune.Storage;
using Microsoft.Extensions.Logging;

namespace Attune.Serving.Engine;

/// <summary>
/// Business rules: stored as documents of kind <see cref="Kind"/>; the change feed reloads them into every loaded state
/// (a write of this process included: the engine waits for the feed before answering).
/// </summary>
internal sealed class RuleStore(IAttuneStore store, ServingModels models, ILogger log)
{
    public const string Kind = "rule";

    public IReadOnlyList<BusinessRule> Rules => models.Rules;

    public async Task PutAsync(BusinessRule rule, CancellationToken ct)
    {
        await store.PutDocumentAsync(Kind, rule.Id, JsonSerializer.Serialize(rule, AttuneJson.Options), ct).ConfigureAwait(false);
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken ct)
    {
        return await store.DeleteDocumentAsync(Kind, id, ct).ConfigureAwait(false);
    }

    /// <summary>Reads every rule from the store and applies them.</summary>
    public async Task ReloadAsync(CancellationToken ct)
    {
        var docs = await store.ListDocumentsAsync(Kind, ct).ConfigureAwait(false);
        var rules = new List<BusinessRule>(docs.Count);
        foreach (var doc in docs)
        {
            try
            {
                if (JsonSerializer.Deserialize<BusinessRule>(doc.Json, AttuneJson.Options) is { } rule) rules.Add(rule);
            }
            catch (JsonException e)
            {
                log.LogWarning(e, "Rule {Id} is unreadable and was skipped", doc.Id);
            }
        }
        models.SetRules(rules);
    }
}
