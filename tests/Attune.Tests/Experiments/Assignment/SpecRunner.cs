using System.Security.Cryptography;
using Attune.Experiments.Assignment;

namespace Attune.Tests.Experiments.Assignment;

/// <summary>
/// Runs one case of the GrowthBook SDK spec (<c>cases.json</c>, spec v5) the way the JavaScript SDK's <c>json.test.ts</c> does,
/// and fails with both sides as JSON when the outcome differs.
/// </summary>
internal static class SpecRunner
{
    /// <summary>The sections run here; the others are named with the reason they are left out.</summary>
    public static readonly string[] Sections =
    [
        "evalCondition", "hash", "getBucketRange", "feature", "run", "chooseVariation", "getQueryStringOverride", "inNamespace",
        "getEqualWeights", "decrypt", "stickyBucket", "contextualBandit",
    ];

    /// <summary>Left out: browser-only (URL targeting and redirects need a browser URL parser and history).</summary>
    public static readonly IReadOnlyDictionary<string, string> LeftOut = new Dictionary<string, string>
    {
        ["urlRedirect"] = "urlRedirect is browser-only (URL targeting and redirects); Attune assigns on the server",
    };

    public static void Run(string section, AttributeValue[] c)
    {
        switch (section)
        {
            case "evalCondition":
            {
                var groups = c.Length > 4 ? SavedGroups.FromJson(c[4]) : null;
                Assert.Equal(c[3].AsBoolean, Condition.Compile(c[1]).Evaluate(c[2], groups));
                break;
            }
            case "hash":
            {
                double? expected = c[3].IsNull ? null : c[3].AsNumber;
                Assert.Equal(expected, Hashing.Hash(c[0].AsString!, c[1].AsString!, (int)c[2].AsNumber));
                break;
            }
            case "getBucketRange":
            {
                var args = c[1].AsArray;
                var weights = args[2].IsNull ? null : args[2].AsList!.Select(w => w.AsNumber).ToArray();
                var ranges = Bucketing.GetBucketRanges((int)args[0].AsNumber, args[1].AsNumber, weights);
                var expected = c[2].AsList!.Select(r => (Round(r.AsArray[0].AsNumber), Round(r.AsArray[1].AsNumber))).ToList();
                Assert.Equal(expected, ranges.Select(r => (Round(r.Start), Round(r.End))).ToList());
                break;
            }
            case "chooseVariation":
            {
                var ranges = c[2].AsList!.Select(r => new BucketRange(r.AsArray[0].AsNumber, r.AsArray[1].AsNumber)).ToArray();
                Assert.Equal((int)c[3].AsNumber, Bucketing.ChooseVariation(c[1].AsNumber, ranges));
                break;
            }
            case "getQueryStringOverride":
            {
                int? expected = c[4].IsNull ? null : (int)c[4].AsNumber;
                Assert.Equal(expected, QueryStringOverride.Get(c[1].AsString!, c[2].AsString, (int)c[3].AsNumber));
                break;
            }
            case "inNamespace":
            {
                var ns = c[2].AsArray;
                Assert.Equal(c[3].AsBoolean, Bucketing.InNamespace(c[1].AsString!, new Namespace(ns[0].AsString!, ns[1].AsNumber, ns[2].AsNumber)));
                break;
            }
            case "getEqualWeights":
            {
                var expected = c[1].AsList!.Select(w => Round(w.AsNumber)).ToList();
                Assert.Equal(expected, Bucketing.GetEqualWeights((int)c[0].AsNumber).Select(Round).ToList());
                break;
            }
            case "decrypt":
            {
                string? actual;
                try
                {
                    actual = PayloadDecryption.Decrypt(c[1].AsString!, c[2].AsString!);
                }
                catch (CryptographicException)
                {
                    actual = null;
                }
                Assert.Equal(c[3].AsString, actual);
                break;
            }
            case "run":
            {
                var (features, context, _) = Context(c[1]);
                var experiment = GrowthBookJson.ReadExperiment(c[2]);
                var result = Assigner.Run(experiment, context, features);
                SpecJson.AssertEqual(c[3], result.Value, "value");
                Assert.Equal(c[4].AsBoolean, result.InExperiment);
                Assert.Equal(c[5].AsBoolean, result.HashUsed);
                break;
            }
            case "feature":
            case "contextualBandit":
            {
                var (features, context, _) = Context(c[1]);
                var result = features.Evaluate(c[2].AsString!, context);
                SpecJson.AssertEqual(c[3], SpecJson.ToJson(result), "feature result");
                break;
            }
            case "stickyBucket":
            {
                var (features, context, sticky) = Context(c[1], sticky: true);
                foreach (var doc in c[2].AsArray) sticky!.SaveAssignments(SpecJson.ReadStickyDocument(doc));
                var result = features.Evaluate(c[3].AsString!, context);
                SpecJson.AssertEqual(c[4], result.ExperimentResult is { } r ? SpecJson.ToJson(r) : AttributeValue.Null, "experimentResult");
                // What the SDK holds afterwards: the person's documents (by their hash and fallback attribute values).
                var docs = new Attributes();
                foreach (var (name, value) in Assigner.StickyBucketAttributes(context, features))
                {
                    if (sticky!.GetAssignments(name, value) is { } doc) docs[doc.Key] = SpecJson.ToJson(doc);
                }
                SpecJson.AssertEqual(c[5], docs, "sticky bucket documents");
                break;
            }
            default:
                throw new InvalidOperationException($"No runner for section {section}");
        }
    }

    /// <summary>The test's <c>Math.floor(n * 1e8) / 1e8</c>.</summary>
    private static double Round(double n) => Math.Floor(n * 1e8) / 1e8;

    /// <summary>An SDK context as the spec writes it: attributes, features, savedGroups, contextualBandits, forcedVariations, qaMode, enabled, url.</summary>
    public static (FeatureSet Features, EvaluationContext Context, InMemoryStickyBucketService? Sticky) Context(in AttributeValue json, bool sticky = false)
    {
        var o = json.AsObject ?? Attributes.Empty;
        var features = GrowthBookJson.ReadPayload(json);
        var service = sticky ? new InMemoryStickyBucketService() : null;
        if (service is not null && o["stickyBucketAssignmentDocs"].AsObject is { } initial)
        {
            foreach (var (_, doc) in initial) service.SaveAssignments(SpecJson.ReadStickyDocument(doc));
        }
        var forced = o["forcedVariations"].AsObject?.ToDictionary(kv => kv.Key, kv => (int)kv.Value.AsNumber);
        var context = new EvaluationContext
        {
            Attributes = o["attributes"].AsObject ?? new Attributes(),
            ForcedVariations = forced,
            QaMode = o["qaMode"].IsTruthy,
            Enabled = !o.ContainsKey("enabled") || o["enabled"].IsTruthy,
            Url = o["url"].AsString,
            StickyBucketService = service,
        };
        return (features, context, service);
    }
}
