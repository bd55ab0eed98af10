using System.Text.Json;
using Attune.Decisions.Points;

namespace Attune.Decisions.Service;

/// <summary>Drafted actions (generated variants): added as drafts, served only once approved, explored like any other action.</summary>
public sealed partial class DecisionService
{
    /// <summary>
    /// Adds <paramref name="texts"/> to the point as draft actions (ids <c>variant-…</c> from the text, features naming
    /// where they came from), as a new version of the point. Returns the drafts added.
    /// </summary>
    public async Task<IReadOnlyList<DecisionAction>> AddDraftsAsync(string point, IReadOnlyList<string> texts, string source, CancellationToken ct = default)
    {
        if (!TryGet(point, out var current)) throw new DecisionException("point", $"no decision point '{point}'", 404);
        var ids = new HashSet<string>(current.Actions.Select(a => a.Id), StringComparer.Ordinal);
        var drafts = new List<DecisionAction>();
        foreach (var text in texts)
        {
            string id = "variant-" + HashKey(text)[..10];
            if (!ids.Add(id)) continue;
            var features = JsonSerializer.SerializeToElement(new Dictionary<string, object>
            {
                ["variant"] = new Dictionary<string, object> { ["source"] = source.StartsWith("model:", StringComparison.Ordinal) ? "model" : "template" },
                ["words"] = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length,
            });
            drafts.Add(new DecisionAction(id, features, text, Status: ActionStatus.Draft));
        }
        if (drafts.Count == 0) return drafts;
        if (current.Actions.Count + drafts.Count > PointReader.MaxActions)
            throw new DecisionException("count", $"the point would have more than {PointReader.MaxActions} actions: retire some first", 409);
        await PutAsync(current with { Actions = [.. current.Actions, .. drafts] }, ct).ConfigureAwait(false);
        return drafts;
    }

    /// <summary>Sets an action's status (<c>approved</c> puts a draft into exploration; <c>retired</c> takes an action out), as a new version.</summary>
    public async Task<DecisionPoint> SetStatusAsync(string point, string actionId, ActionStatus status, CancellationToken ct = default)
    {
        if (!TryGet(point, out var current)) throw new DecisionException("point", $"no decision point '{point}'", 404);
        int index = current.Actions.ToList().FindIndex(a => a.Id == actionId);
        if (index < 0) throw new DecisionException("actionId", $"decision point '{point}' has no action '{actionId}'", 404);
        if (current.Actions[index].Status == status) return current;
        var actions = current.Actions.ToArray();
        actions[index] = actions[index] with { Status = status };
        return await PutAsync(current with { Actions = actions }, ct).ConfigureAwait(false);
    }
}
