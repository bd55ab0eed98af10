using System.Text.Json;
using Attune.Model;
using Attune.Serving.Rules;
using Attune.Storage;
using Microsoft.Extensions.Logging;

namespace Attune.Serving.Engine;

/// <summary>
/// Business rules: stored as documents of kind <see cref="Kind"/>; the change feed reloads them into every loaded state
/// (a write of this process included: the engine waits for the feed before answering). Every change also leaves a
/// <see cref="RuleVersion"/> (kind <see cref="VersionKind"/>): the rule's history.
/// </summary>
internal sealed class RuleStore(IAttuneStore store, ServingModels models, TimeProvider time, ILogger log)
{
    public const string Kind = "rule";
    public const string VersionKind = "rule-version";

    private readonly SemaphoreSlim _writes = new(1, 1);

    public IReadOnlyList<BusinessRule> Rules => models.Rules;

    public async Task PutAsync(BusinessRule rule, string? by, CancellationToken ct)
    {
        await _writes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var history = await HistoryAsync(rule.Id, ct).ConfigureAwait(false);
            string change = history.Count == 0 || history[^1].Change == RuleChange.Deleted ? RuleChange.Created : RuleChange.Changed;
            await WriteVersionAsync(new RuleVersion(rule.Id, history.Count + 1, time.GetUtcNow(), change, by, rule), ct).ConfigureAwait(false);
            await store.PutDocumentAsync(Kind, rule.Id, JsonSerializer.Serialize(rule, AttuneJson.Options), ct).ConfigureAwait(false);
        }
        finally
        {
            _writes.Release();
        }
    }

    public async Task<bool> DeleteAsync(string id, string? by, CancellationToken ct)
    {
        await _writes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!await store.DeleteDocumentAsync(Kind, id, ct).ConfigureAwait(false)) return false;
            var history = await HistoryAsync(id, ct).ConfigureAwait(false);
            await WriteVersionAsync(new RuleVersion(id, history.Count + 1, time.GetUtcNow(), RuleChange.Deleted, by, null), ct).ConfigureAwait(false);
            return true;
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>Every change of a rule, oldest first (rules stored before histories were kept have none until their next change).</summary>
    public async Task<IReadOnlyList<RuleVersion>> HistoryAsync(string id, CancellationToken ct)
    {
        var list = await DocumentHistory.ReadAsync<RuleVersion>(store, VersionKind, id, log, ct).ConfigureAwait(false);
        list.RemoveAll(v => v.RuleId != id);
        list.Sort((a, b) => a.Version.CompareTo(b.Version));
        return list;
    }

    private Task WriteVersionAsync(RuleVersion v, CancellationToken ct) =>
        store.PutDocumentAsync(VersionKind, $"{v.RuleId}@{v.Version:D6}", JsonSerializer.Serialize(v, AttuneJson.Options), ct);

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
