using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Attune.Storage;

namespace Attune.Decisions.Service;

/// <summary>
/// The decision log as Vowpal Wabbit's decision-service JSON (dsjson), one line per decision, so it can be replayed by VW
/// (<c>vw --cb_explore_adf --dsjson</c>) or Microsoft's learning-loop tools.
/// </summary>
public sealed partial class DecisionService
{
    /// <summary>
    /// One dsjson line per single-slot decision of the point in the window, oldest first: <c>_label_cost</c> (−reward),
    /// <c>_label_probability</c>, <c>_label_Action</c> (1-based) and <c>_labelIndex</c> of the chosen action, <c>a</c> (the
    /// actions, 1-based, chosen first) with <c>p</c> (their probabilities), <c>c</c> (the context's features, the profile as
    /// the namespace <c>profile</c>, and <c>_multi</c>: each action's features, its id as <c>_tag</c>), <c>o</c> (the reward
    /// as an outcome), <c>EventId</c>, <c>Timestamp</c>, <c>Version</c>. Decisions without a reward yet have cost 0 and no
    /// outcome; multi-slot decisions are left out (dsjson's slates format is not written).
    /// </summary>
    public async IAsyncEnumerable<string> ExportDsJsonAsync(string point, long fromMs, long toMs, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var buffer = new MemoryStream();
        await foreach (var logged in store.ReadDecisionsAsync(point, fromMs, toMs, ct).ConfigureAwait(false))
        {
            var d = logged.Decision;
            if (d.SlotIds.Count != 1) continue;
            buffer.SetLength(0);
            using (var context = JsonDocument.Parse(d.Context))
            using (var actions = JsonDocument.Parse(d.ActionSet))
            using (var slots = JsonDocument.Parse(d.Slots))
            using (var w = new Utf8JsonWriter(buffer))
            {
                var slot = slots.RootElement[0];
                int chosen = slot.GetProperty("chosen").GetInt32();
                var probabilities = slot.GetProperty("probabilities");
                bool rewarded = logged.Rewards.TryGetValue(d.SlotIds[0], out var reward);
                w.WriteStartObject();
                w.WriteNumber("_label_cost", rewarded ? -reward.Value : 0);
                w.WriteNumber("_label_probability", probabilities[chosen].GetDouble());
                w.WriteNumber("_label_Action", chosen + 1);
                w.WriteNumber("_labelIndex", chosen);
                if (rewarded)
                {
                    w.WriteStartArray("o");
                    w.WriteStartObject();
                    w.WriteNumber("v", reward.Value);
                    w.WriteString("EventId", d.EventId);
                    w.WriteBoolean("ActionTaken", false);
                    if (reward.IsDefault) w.WriteBoolean("_default", true);
                    w.WriteEndObject();
                    w.WriteEndArray();
                }
                w.WriteString("Timestamp", DateTimeOffset.FromUnixTimeMilliseconds(d.TimestampMs).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", System.Globalization.CultureInfo.InvariantCulture));
                w.WriteString("Version", "1");
                w.WriteString("EventId", d.EventId);
                if (d.ActivatedMs is null) w.WriteBoolean("DeferredAction", true);
                // a and p: the chosen action first, then the others by index, as VW's explore-ADF output lists them.
                int n = probabilities.GetArrayLength();
                w.WriteStartArray("a");
                w.WriteNumberValue(chosen + 1);
                for (int i = 0; i < n; i++) if (i != chosen) w.WriteNumberValue(i + 1);
                w.WriteEndArray();
                w.WriteStartObject("c");
                var root = context.RootElement;
                if (root.TryGetProperty("context", out var c))
                {
                    if (c.ValueKind == JsonValueKind.Object) foreach (var p in c.EnumerateObject()) p.WriteTo(w);
                    else if (c.ValueKind == JsonValueKind.Array)
                        foreach (var part in c.EnumerateArray())
                            if (part.ValueKind == JsonValueKind.Object) foreach (var p in part.EnumerateObject()) p.WriteTo(w);
                }
                if (root.TryGetProperty("profile", out var profile))
                {
                    w.WritePropertyName("profile");
                    profile.WriteTo(w);
                }
                w.WriteStartArray("_multi");
                foreach (var action in actions.RootElement.EnumerateArray())
                {
                    w.WriteStartObject();
                    w.WriteString("_tag", action.GetProperty("id").GetString());
                    if (action.TryGetProperty("features", out var f))
                    {
                        if (f.ValueKind == JsonValueKind.Object) foreach (var p in f.EnumerateObject()) p.WriteTo(w);
                        else if (f.ValueKind == JsonValueKind.Array)
                            foreach (var part in f.EnumerateArray())
                                if (part.ValueKind == JsonValueKind.Object) foreach (var p in part.EnumerateObject()) p.WriteTo(w);
                    }
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteStartArray("p");
                w.WriteNumberValue(probabilities[chosen].GetDouble());
                for (int i = 0; i < n; i++) if (i != chosen) w.WriteNumberValue(probabilities[i].GetDouble());
                w.WriteEndArray();
                w.WriteString("_policy", d.Policy);
                w.WriteEndObject();
            }
            yield return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
    }
}
