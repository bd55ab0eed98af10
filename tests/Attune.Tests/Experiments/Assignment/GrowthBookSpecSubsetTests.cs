using Attune.Experiments.Assignment;

namespace Attune.Tests.Experiments.Assignment;

/// <summary>
/// A representative subset of the GrowthBook SDK conformance suite, kept here so that a clone without <c>../shared</c> still
/// checks assignment against the reference (<see cref="GrowthBookSpecTests"/> runs all of it when the data is present).
/// </summary>
/// <remarks>
/// The cases below are copied unchanged from GrowthBook's <c>packages/sdk-js/test/cases.json</c> (github.com/growthbook/growthbook,
/// commit 8f1db4456915a8e7b7faf23d5632ca7219d2f469, spec version 0.8.0 / v5). Copyright (c) 2025 GrowthBook, Inc., MIT (Expat)
/// License: permission is granted to use, copy, modify and distribute, provided the copyright notice and this permission notice
/// are included in all copies; the software is provided "as is", without warranty of any kind.
/// </remarks>
public sealed class GrowthBookSpecSubsetTests
{
    public static IEnumerable<TheoryDataRow<string, int, string>> Cases() => GrowthBookSpecTests.Rows(AttributeJson.Parse(Subset));

    [Theory]
    [MemberData(nameof(Cases))]
    public void ConformsToTheSpec(string section, int index, string json)
    {
        _ = index;
        SpecRunner.Run(section, AttributeJson.Parse(json).AsList!.ToArray());
    }

    private const string Subset = """
        {
          "specVersion": "0.8.0",
          "evalCondition": [
            ["$not - pass", {"$not": {"name": "hello"}}, {"name": "world"}, true],
            ["$and/$or - all true", {"$and": [{"father.age": {"$gt": 65}}, {"$or": [{"bday": {"$regex": "-12-25$"}}, {"name": "santa"}]}]}, {"name": "santa", "bday": "1980-12-25", "father": {"age": 70}}, true],
            ["$in - pass", {"num": {"$in": [1, 2, 3]}}, {"num": 2}, true],
            ["$in - array pass 1", {"tags": {"$in": ["a", "b"]}}, {"tags": ["d", "e", "a"]}, true],
            ["$nin - not array", {"num": {"$nin": 1}}, {"num": 1}, false],
            ["comparing numbers and strings", {"n": {"$gt": 5, "$lt": 10}}, {"n": "8"}, true],
            ["comparing numbers and strings - v2", {"n": {"$gt": "5", "$lt": "10"}}, {"n": 8}, true],
            ["$ne - fail", {"level": {"$ne": "senior"}}, {"level": "senior"}, false],
            ["nested value is integer", {"address.state": "CA"}, {"address": 123}, false],
            ["$regex invalid - fail", {"name": {"$regex": "/???***[)"}}, {"hello": "hello"}, false],
            ["$elemMatch contains - pass", {"tags": {"$elemMatch": {"$eq": "bar"}}}, {"tags": ["foo", "bar", "baz"]}, true],
            ["$elemMatch not contains - fail", {"tags": {"$not": {"$elemMatch": {"$eq": "bar"}}}}, {"tags": ["foo", "bar", "baz"]}, false],
            ["$all - fail (case sensitive mismatch)", {"tags": {"$all": ["one", "three"]}}, {"tags": ["ONE", "two", "THREE"]}, false],
            ["$vgt/$vlt - pass - minor", {"version": {"$vgt": "10.2.11", "$vlt": "10.20.11"}}, {"version": "10.12.11"}, true],
            ["$vgte/$vlte - pass $vlte - patch", {"version": {"$vgte": "1.2.30", "$vlte": "1.2.60"}}, {"version": "1.2.60"}, true],
            ["version 1.0.0-0.0 < 1.0.0-0.0.0", {"version": {"$vlt": "1.0.0-0.0.0"}}, {"version": "1.0.0-0.0"}, true],
            ["$notInGroup fails for member of known group id", {"id": {"$notInGroup": "group_id"}}, {"id": 1}, false, {"group_id": [1, 2, 3]}],
            ["$inGroup passes for properly typed data", {"id": {"$inGroup": "group_id"}}, {"id": "2"}, true, {"group_id": [1, "2", 3]}]
          ],
          "hash": [
            ["", "a", 1, 0.22],
            ["", "___)((*\":&", 1, 0.563],
            ["seed", "a", 2, 0.0505],
            ["()**(%$##$%#$#", "___)((*\":&", 2, 0.0128],
            ["abc", "def", 99, null]
          ],
          "getBucketRange": [
            ["normal 50/50", [2, 1, null], [[0, 0.5], [0.5, 1]]],
            ["reduced coverage", [2, 0.5, null], [[0, 0.25], [0.5, 0.75]]],
            ["uneven weights, reduced coverage, 3 variations", [3, 0.2, [0.2, 0.3, 0.5]], [[0, 0.04], [0.2, 0.26], [0.5, 0.6]]],
            ["weights sum below 1", [2, 1, [0.4, 0.1]], [[0, 0.5], [0.5, 1]]],
            ["weights sum almost equals 1", [2, 1, [0.4, 0.5999]], [[0, 0.4], [0.4, 0.9999]]]
          ],
          "feature": [
            ["force rules", {"features": {"feature": {"defaultValue": 2, "rules": [{"force": 1}]}}}, "feature", {"value": 1, "on": true, "off": false, "source": "force", "ruleId": ""}],
            ["force rules - coverage included", {"attributes": {"id": "3"}, "features": {"feature": {"defaultValue": 2, "rules": [{"force": 1, "coverage": 0.5}]}}}, "feature", {"value": 1, "on": true, "off": false, "source": "force", "ruleId": ""}],
            ["force rule - coverage with integer hash attribute", {"attributes": {"id": 3}, "features": {"feature": {"defaultValue": 2, "rules": [{"force": 1, "coverage": 0.5}]}}}, "feature", {"value": 1, "on": true, "off": false, "source": "force", "ruleId": ""}],
            ["force rules - coverage 0", {"attributes": {"id": "d0bc0a5a"}, "features": {"8d156": {"defaultValue": 0, "rules": [{"force": 1, "coverage": 0, "hashVersion": 2}]}}}, "8d156", {"value": 0, "on": false, "off": true, "source": "defaultValue", "ruleId": ""}],
            ["empty experiment rule - c", {"attributes": {"id": "123"}, "features": {"feature": {"rules": [{"variations": ["a", "b", "c"]}]}}}, "feature", {"value": "c", "on": true, "off": false, "experiment": {"key": "feature", "variations": ["a", "b", "c"]}, "experimentResult": {"featureId": "feature", "value": "c", "variationId": 2, "inExperiment": true, "hashUsed": true, "hashAttribute": "id", "hashValue": "123", "bucket": 0.863, "key": "2", "stickyBucketUsed": false}, "source": "experiment", "ruleId": ""}],
            ["creates experiments properly", {"attributes": {"anonId": "123", "premium": true}, "features": {"feature": {"rules": [{"coverage": 0.99, "hashAttribute": "anonId", "seed": "feature", "hashVersion": 2, "name": "Test", "phase": "1", "ranges": [[0, 0.1], [0.1, 1.0]], "meta": [{"key": "v0", "name": "variation 0"}, {"key": "v1", "name": "variation 1"}], "filters": [{"attribute": "anonId", "seed": "pricing", "ranges": [[0, 1]]}], "namespace": ["pricing", 0, 1], "key": "hello", "variations": [true, false], "weights": [0.1, 0.9], "condition": {"premium": true}, "foo": "bar"}]}}}, "feature", {"value": false, "on": false, "off": true, "source": "experiment", "experiment": {"coverage": 0.99, "ranges": [[0, 0.1], [0.1, 1.0]], "meta": [{"key": "v0", "name": "variation 0"}, {"key": "v1", "name": "variation 1"}], "filters": [{"attribute": "anonId", "seed": "pricing", "ranges": [[0, 1]]}], "name": "Test", "phase": "1", "seed": "feature", "hashVersion": 2, "hashAttribute": "anonId", "namespace": ["pricing", 0, 1], "key": "hello", "variations": [true, false], "weights": [0.1, 0.9], "condition": {"premium": true}}, "experimentResult": {"featureId": "feature", "value": false, "variationId": 1, "inExperiment": true, "hashUsed": true, "hashAttribute": "anonId", "hashValue": "123", "bucket": 0.5231, "key": "v1", "name": "variation 1", "stickyBucketUsed": false}, "ruleId": ""}],
            ["rule orders - skip all", {"attributes": {"browser": "ie"}, "features": {"feature": {"defaultValue": 0, "rules": [{"force": 1, "condition": {"browser": "chrome"}}, {"force": 2, "condition": {"browser": "firefox"}}, {"force": 3, "condition": {"browser": "safari"}}]}}}, "feature", {"value": 0, "on": false, "off": true, "source": "defaultValue", "ruleId": ""}],
            ["skips experiment on namespace", {"attributes": {"id": "123"}, "features": {"feature": {"defaultValue": 0, "rules": [{"variations": [0, 1, 2, 3], "namespace": ["pricing", 0, 0.01]}, {"force": 3}]}}}, "feature", {"value": 3, "on": true, "off": false, "source": "force", "ruleId": ""}],
            ["Force rule, skip due to filter", {"attributes": {"id": "1"}, "features": {"feature": {"defaultValue": 0, "rules": [{"force": 2, "filters": [{"seed": "seed", "ranges": [[0, 0.01]]}]}]}}}, "feature", {"value": 0, "on": false, "off": true, "source": "defaultValue", "ruleId": ""}],
            ["Support passthrough variations", {"attributes": {"id": "1"}, "features": {"feature": {"defaultValue": 0, "rules": [{"key": "holdout", "variations": [1, 2], "hashVersion": 2, "ranges": [[0, 0.01], [0.01, 1.0]], "meta": [{}, {"passthrough": true}]}, {"key": "experiment", "variations": [3, 4], "hashVersion": 2, "ranges": [[0, 0.5], [0.5, 1.0]]}]}}}, "feature", {"value": 3, "on": true, "off": false, "source": "experiment", "experiment": {"key": "experiment", "hashVersion": 2, "variations": [3, 4], "ranges": [[0, 0.5], [0.5, 1.0]]}, "experimentResult": {"featureId": "feature", "hashAttribute": "id", "hashUsed": true, "hashValue": "1", "inExperiment": true, "key": "0", "value": 3, "variationId": 0, "bucket": 0.4413, "stickyBucketUsed": false}, "ruleId": ""}],
            ["Prerequisite experiment flag in target bucket, evaluate dependent flag", {"attributes": {"id": "1234", "memberType": "basic", "country": "USA"}, "features": {"parentExperimentFlag": {"defaultValue": 0, "rules": [{"key": "experiment", "variations": [0, 1], "hashAttribute": "id", "hashVersion": 2, "ranges": [[0, 0.5], [0.5, 1.0]]}]}, "childFlag": {"defaultValue": "default", "rules": [{"parentConditions": [{"id": "parentExperimentFlag", "condition": {"value": 1}, "gate": true}]}, {"condition": {"memberType": "basic"}, "force": "success"}]}}}, "childFlag", {"value": "success", "on": true, "off": false, "source": "force", "ruleId": ""}],
            ["Prerequisite cycle detected, break", {"attributes": {"id": "123"}, "features": {"flag1": {"defaultValue": true, "rules": [{"parentConditions": [{"id": "flag2", "condition": {"value": true}, "gate": true}]}]}, "flag2": {"defaultValue": true, "rules": [{"parentConditions": [{"id": "flag1", "condition": {"value": true}, "gate": true}]}]}}}, "flag1", {"value": null, "on": false, "off": true, "source": "cyclicPrerequisite", "ruleId": ""}],
            ["Multiple references to same prerequisite, do not break", {"attributes": {"id": "123", "browser": "edge"}, "features": {"childFlag": {"defaultValue": true, "rules": [{"parentConditions": [{"id": "parentFlag", "condition": {"value": {"$ne": false}}, "gate": true}, {"id": "parentFlag", "condition": {"value": true}, "gate": true}]}, {"condition": {"browser": "safari"}, "parentConditions": [{"id": "parentFlag", "condition": {"value": true}}], "force": "C"}, {"condition": {"browser": {"$ne": "safari"}}, "parentConditions": [{"id": "parentFlag", "condition": {"value": true}}], "force": "T"}]}, "parentFlag": {"defaultValue": true}}}, "childFlag", {"value": "T", "on": true, "off": false, "source": "force", "ruleId": ""}]
          ],
          "run": [
            ["default weights - 1", {"attributes": {"id": "1"}}, {"key": "my-test", "variations": [0, 1]}, 1, true, true],
            ["uneven weights - 1", {"attributes": {"id": "1"}}, {"key": "my-test", "variations": [0, 1], "weights": [0.1, 0.9]}, 1, true, true],
            ["coverage - 1", {"attributes": {"id": "1"}}, {"key": "my-test", "variations": [0, 1], "coverage": 0.4}, 0, false, false],
            ["empty id", {"attributes": {"id": ""}}, {"key": "my-test", "variations": [0, 1]}, 0, false, false],
            ["missing attributes", {}, {"key": "my-test", "variations": [0, 1]}, 0, false, false],
            ["high forced variation", {"attributes": {"id": "1"}}, {"key": "my-test", "variations": [0, 1], "force": 25}, 0, false, false],
            ["custom hashAttribute", {"attributes": {"id": "2", "companyId": "1"}}, {"key": "my-test", "variations": [0, 1], "hashAttribute": "companyId"}, 1, true, true],
            ["Force variation from context", {"attributes": {"id": "1"}, "forcedVariations": {"my-test": 0}}, {"key": "my-test", "variations": [0, 1]}, 0, true, false],
            ["Works in QA mode if forced in experiment", {"attributes": {"id": "1"}, "qaMode": true}, {"key": "my-test", "variations": [0, 1], "force": 1}, 1, true, false],
            ["Experiment namespace - fail", {"attributes": {"id": "1"}}, {"key": "my-test", "variations": [0, 1], "namespace": ["namespace", 0, 0.1]}, 0, false, false],
            ["Filtered, included", {"attributes": {"id": "1", "anonId": "fsdafsda"}}, {"key": "filtered", "variations": [0, 1], "filters": [{"seed": "seed", "ranges": [[0, 0.1], [0.2, 0.4]]}, {"seed": "seed", "attribute": "anonId", "ranges": [[0.8, 1.0]]}]}, 1, true, true],
            ["Filtered, ignore namespace", {"attributes": {"id": "1"}}, {"key": "filtered", "variations": [0, 1], "filters": [{"seed": "seed", "ranges": [[0, 0.1], [0.2, 0.4]]}], "namespace": ["test", 0, 0.001]}, 1, true, true],
            ["Uses seed and hash version", {"attributes": {"id": "1"}}, {"key": "key", "seed": "foo", "hashVersion": 2, "variations": [0, 1], "ranges": [[0, 0.5], [0.5, 1.0]]}, 1, true, true],
            ["Prerequisite condition passes", {"attributes": {"id": "1"}, "features": {"parentFlag": {"defaultValue": true}}}, {"key": "my-test", "variations": [0, 1], "parentConditions": [{"id": "parentFlag", "condition": {"value": true}}]}, 1, true, true],
            ["SavedGroups correctly pulled from context for experiment", {"attributes": {"id": "4"}, "savedGroups": {"group_id": ["4", "5", "6"]}}, {"key": "group-filtered-test", "condition": {"id": {"$inGroup": "group_id"}}, "variations": [0, 1, 2]}, 0, true, true]
          ],
          "chooseVariation": [
            ["even range, 0.2", 0.2, [[0, 0.5], [0.5, 1]], 0],
            ["reduced range, 0.4", 0.4, [[0, 0.25], [0.5, 0.75]], -1],
            ["zero range", 0.5, [[0, 0.5], [0.5, 0.5], [0.5, 1]], 2]
          ],
          "getQueryStringOverride": [
            ["empty url", "my-test", "", 2, null],
            ["invalid query string", "my-test", "http://example.com??&&&?#", 2, null],
            ["simple match 1", "my-test", "http://example.com?my-test=1", 2, 1],
            ["negative variation", "my-test", "http://example.com?my-test=-1", 2, null],
            ["float", "my-test", "http://example.com?my-test=2.054", 2, null],
            ["anchor", "my-test", "http://example.com?my-test=1#foo", 2, 1]
          ],
          "inNamespace": [
            ["user 1, namespace1, 1", "1", ["namespace1", 0, 0.4], false],
            ["user 1, namespace1, 2", "1", ["namespace1", 0.4, 1], true],
            ["user 3, namespace2, 1", "3", ["namespace2", 0, 0.4], true]
          ],
          "getEqualWeights": [
            [-1, []],
            [3, [0.33333333, 0.33333333, 0.33333333]]
          ],
          "decrypt": [
            ["Valid feature", "m5ylFM6ndyOJA2OPadubkw==.Uu7ViqgKEt/dWvCyhI46q088PkAEJbnXKf3KPZjf9IEQQ+A8fojNoxw4wIbPX3aj", "Zvwv/+uhpFDznZ6SX28Yjg==", "{\"feature\":{\"defaultValue\":true}}"],
            ["Broken JSON", "SVZIM2oKD1JoHNIeeoW3Uw==.AGbRiGAHf2f6/ziVr9UTIy+bVFmVli6+bHZ2jnCm9N991ITv1ROvOEjxjLSmgEpv", "UQD0Qqw7fM1bhfKKPH8TGw==", "{\"feature\":{\"defaultValue\":true?5%"],
            ["Wrong key", "m5ylFM6ndyOJA2OPadubkw==.Uu7ViqgKEt/dWvCyhI46q088PkAEJbnXKf3KPZjf9IEQQ+A8fojNoxw4wIbPX3aj", "Zvwv/+uhpFDznZ6SX39Yjg==", null],
            ["Missing delimiter", "m5ylFM6ndyOJA2OPadubkw==Uu7ViqgKEt/dWvCyhI46q088PkAEJbnXKf3KPZjf9IEQQ+A8fojNoxw4wIbPX3aj", "Zvwv/+uhpFDznZ6SX28Yjg==", null]
          ],
          "stickyBucket": [
            ["use fallbackAttribute when missing hashAttribute", {"attributes": {"anonymousId": "123"}, "features": {"feature": {"defaultValue": 0, "rules": [{"variations": [0, 1, 2, 3], "hashAttribute": "id", "fallbackAttribute": "anonymousId"}]}}}, [], "feature", {"bucket": 0.863, "featureId": "feature", "hashAttribute": "anonymousId", "hashUsed": true, "hashValue": "123", "inExperiment": true, "key": "3", "stickyBucketUsed": false, "value": 3, "variationId": 3}, {"anonymousId||123": {"assignments": {"feature__0": "3"}, "attributeName": "anonymousId", "attributeValue": "123"}}],
            ["evaluates based on stored sticky bucket", {"attributes": {"deviceId": "d123", "anonymousId": "ses123", "foo": "bar", "country": "USA"}, "features": {"exp1": {"defaultValue": "control", "rules": [{"key": "feature-exp", "seed": "feature-exp", "hashAttribute": "id", "fallbackAttribute": "deviceId", "hashVersion": 2, "bucketVersion": 0, "condition": {"country": "USA"}, "variations": ["control", "red", "blue"], "meta": [{"key": "0"}, {"key": "1"}, {"key": "2"}], "coverage": 1, "weights": [0.3334, 0.3333, 0.3333], "phase": "0"}]}}}, [{"attributeName": "deviceId", "attributeValue": "d123", "assignments": {"feature-exp__0": "2"}}], "exp1", {"bucket": 0.6468, "featureId": "exp1", "hashAttribute": "deviceId", "hashUsed": true, "hashValue": "d123", "inExperiment": true, "key": "2", "stickyBucketUsed": true, "value": "blue", "variationId": 2}, {"deviceId||d123": {"assignments": {"feature-exp__0": "2"}, "attributeName": "deviceId", "attributeValue": "d123"}}],
            ["upgrades a sticky bucket doc from a fallbackAttribute to a hashAttribute", {"attributes": {"id": "i123", "anonymousId": "ses123", "foo": "bar", "country": "USA"}, "features": {"exp1": {"defaultValue": "control", "rules": [{"key": "feature-exp", "seed": "feature-exp", "hashAttribute": "id", "fallbackAttribute": "anonymousId", "hashVersion": 2, "bucketVersion": 0, "condition": {"country": "USA"}, "variations": ["control", "red", "blue"], "meta": [{"key": "0"}, {"key": "1"}, {"key": "2"}], "coverage": 1, "weights": [0.3334, 0.3333, 0.3333], "phase": "0"}]}}}, [{"attributeName": "anonymousId", "attributeValue": "ses123", "assignments": {"feature-exp__0": "1"}}], "exp1", {"bucket": 0.9943, "featureId": "exp1", "hashAttribute": "id", "hashUsed": true, "hashValue": "i123", "inExperiment": true, "key": "1", "stickyBucketUsed": true, "value": "red", "variationId": 1}, {"anonymousId||ses123": {"assignments": {"feature-exp__0": "1"}, "attributeName": "anonymousId", "attributeValue": "ses123"}, "id||i123": {"assignments": {"feature-exp__0": "1"}, "attributeName": "id", "attributeValue": "i123"}}],
            ["resets sticky bucketing when the bucketVersion changes", {"attributes": {"id": "i123", "foo": "bar", "country": "USA"}, "features": {"exp1": {"defaultValue": "control", "rules": [{"key": "feature-exp", "seed": "feature-exp", "hashAttribute": "id", "fallbackAttribute": "deviceId", "hashVersion": 2, "bucketVersion": 3, "condition": {"country": "USA"}, "variations": ["control", "red", "blue"], "meta": [{"key": "0"}, {"key": "1"}, {"key": "2"}], "coverage": 1, "weights": [0.3334, 0.3333, 0.3333], "phase": "0"}]}}}, [{"assignments": {"feature-exp__0": "1"}, "attributeName": "id", "attributeValue": "i123"}], "exp1", {"bucket": 0.9943, "featureId": "exp1", "hashAttribute": "id", "hashUsed": true, "hashValue": "i123", "inExperiment": true, "key": "2", "stickyBucketUsed": false, "value": "blue", "variationId": 2}, {"id||i123": {"assignments": {"feature-exp__0": "1", "feature-exp__3": "2"}, "attributeName": "id", "attributeValue": "i123"}}],
            ["stops test enrollment when and existing sticky bucket is blocked by version", {"attributes": {"id": "i123", "foo": "bar", "country": "USA"}, "features": {"exp1": {"defaultValue": "control", "rules": [{"key": "feature-exp", "seed": "feature-exp", "hashAttribute": "id", "fallbackAttribute": "deviceId", "hashVersion": 2, "bucketVersion": 3, "minBucketVersion": 3, "condition": {"country": "USA"}, "variations": ["control", "red", "blue"], "meta": [{"key": "0"}, {"key": "1"}, {"key": "2"}], "coverage": 1, "weights": [0.3334, 0.3333, 0.3333], "phase": "0"}]}}}, [{"assignments": {"feature-exp__0": "1"}, "attributeName": "id", "attributeValue": "i123"}], "exp1", null, {"id||i123": {"assignments": {"feature-exp__0": "1"}, "attributeName": "id", "attributeValue": "i123"}}],
            ["disables sticky bucketing when disabled by experiment", {"attributes": {"id": "i123", "foo": "bar", "country": "USA"}, "features": {"exp1": {"defaultValue": "control", "rules": [{"key": "feature-exp", "seed": "feature-exp", "hashAttribute": "id", "fallbackAttribute": "deviceId", "hashVersion": 2, "bucketVersion": 1, "disableStickyBucketing": true, "condition": {"country": "USA"}, "variations": ["control", "red", "blue"], "meta": [{"key": "0"}, {"key": "1"}, {"key": "2"}], "coverage": 1, "weights": [0.3334, 0.3333, 0.3333], "phase": "0"}]}}}, [{"attributeName": "id", "attributeValue": "i123", "assignments": {"feature-exp__0": "1"}}], "exp1", {"bucket": 0.9943, "featureId": "exp1", "hashAttribute": "id", "hashUsed": true, "hashValue": "i123", "inExperiment": true, "key": "2", "stickyBucketUsed": false, "value": "blue", "variationId": 2}, {"id||i123": {"attributeName": "id", "attributeValue": "i123", "assignments": {"feature-exp__0": "1"}}}]
          ],
          "contextualBandit": [
            ["single catch-all leaf routes and sets CB result fields", {"attributes": {"id": "1", "plan": "anything"}, "features": {"bandit-feature": {"defaultValue": "default", "rules": [{"key": "bandit-exp", "seed": "bandit-exp", "hashAttribute": "id", "hashVersion": 2, "coverage": 1, "contextualVariations": ["control", "treatment"], "weights": [0.5, 0.5], "meta": [{"key": "0"}, {"key": "1"}], "contextualBanditRef": "cb-bandit"}]}}, "contextualBandits": {"cb-bandit": {"banditVersion": 7, "contexts": [{"leafId": 1, "condition": {}, "weights": [1, 0]}]}}}, "bandit-feature", {"value": "control", "on": true, "off": false, "source": "experiment", "ruleId": "", "experiment": {"variations": ["control", "treatment"], "key": "bandit-exp", "coverage": 1, "weights": [1, 0], "hashAttribute": "id", "meta": [{"key": "0"}, {"key": "1"}], "seed": "bandit-exp", "hashVersion": 2, "contextualBandit": {"leafId": 1, "variationWeights": [1, 0], "banditVersion": 7}}, "experimentResult": {"key": "0", "featureId": "bandit-feature", "inExperiment": true, "hashUsed": true, "variationId": 0, "value": "control", "hashAttribute": "id", "hashValue": "1", "stickyBucketUsed": false, "bucket": 0.5305, "leafId": 1, "variationWeights": [1, 0], "banditVersion": 7}}],
            ["falls through to the catch-all leaf", {"attributes": {"id": "1", "plan": "free"}, "features": {"bandit-feature": {"defaultValue": "default", "rules": [{"key": "bandit-exp", "seed": "bandit-exp", "hashAttribute": "id", "hashVersion": 2, "coverage": 1, "contextualVariations": ["control", "treatment"], "weights": [0.5, 0.5], "meta": [{"key": "0"}, {"key": "1"}], "contextualBanditRef": "cb-bandit"}]}}, "contextualBandits": {"cb-bandit": {"banditVersion": 7, "contexts": [{"leafId": 1, "condition": {"plan": "enterprise"}, "weights": [1, 0]}, {"leafId": 2, "condition": {}, "weights": [0, 1]}]}}}, "bandit-feature", {"value": "treatment", "on": true, "off": false, "source": "experiment", "ruleId": "", "experiment": {"variations": ["control", "treatment"], "key": "bandit-exp", "coverage": 1, "weights": [0, 1], "hashAttribute": "id", "meta": [{"key": "0"}, {"key": "1"}], "seed": "bandit-exp", "hashVersion": 2, "contextualBandit": {"leafId": 2, "variationWeights": [0, 1], "banditVersion": 7}}, "experimentResult": {"key": "1", "featureId": "bandit-feature", "inExperiment": true, "hashUsed": true, "variationId": 1, "value": "treatment", "hashAttribute": "id", "hashValue": "1", "stickyBucketUsed": false, "bucket": 0.5305, "leafId": 2, "variationWeights": [0, 1], "banditVersion": 7}}],
            ["coverage excludes user even though a leaf matched", {"attributes": {"id": "1", "plan": "enterprise"}, "features": {"bandit-feature": {"defaultValue": "default", "rules": [{"key": "bandit-exp", "seed": "bandit-exp", "hashAttribute": "id", "hashVersion": 2, "coverage": 0.01, "contextualVariations": ["control", "treatment"], "weights": [0.5, 0.5], "meta": [{"key": "0"}, {"key": "1"}], "contextualBanditRef": "cb-bandit"}]}}, "contextualBandits": {"cb-bandit": {"banditVersion": 7, "contexts": [{"leafId": 1, "condition": {"plan": "enterprise"}, "weights": [1, 0]}, {"leafId": 2, "condition": {}, "weights": [0, 1]}]}}}, "bandit-feature", {"value": "default", "on": true, "off": false, "source": "defaultValue", "ruleId": ""}],
            ["CB buckets on a custom hashAttribute", {"attributes": {"anonId": "123", "plan": "enterprise"}, "features": {"bandit-feature": {"defaultValue": "default", "rules": [{"key": "bandit-exp", "seed": "bandit-exp", "hashAttribute": "anonId", "hashVersion": 2, "coverage": 1, "contextualVariations": ["control", "treatment"], "weights": [0.5, 0.5], "meta": [{"key": "0"}, {"key": "1"}], "contextualBanditRef": "cb-bandit"}]}}, "contextualBandits": {"cb-bandit": {"banditVersion": 7, "contexts": [{"leafId": 1, "condition": {"plan": "enterprise"}, "weights": [1, 0]}, {"leafId": 2, "condition": {}, "weights": [0, 1]}]}}}, "bandit-feature", {"value": "control", "on": true, "off": false, "source": "experiment", "ruleId": "", "experiment": {"variations": ["control", "treatment"], "key": "bandit-exp", "coverage": 1, "weights": [1, 0], "hashAttribute": "anonId", "meta": [{"key": "0"}, {"key": "1"}], "seed": "bandit-exp", "hashVersion": 2, "contextualBandit": {"leafId": 1, "variationWeights": [1, 0], "banditVersion": 7}}, "experimentResult": {"key": "0", "featureId": "bandit-feature", "inExperiment": true, "hashUsed": true, "variationId": 0, "value": "control", "hashAttribute": "anonId", "hashValue": "123", "stickyBucketUsed": false, "bucket": 0.0484, "leafId": 1, "variationWeights": [1, 0], "banditVersion": 7}}],
            ["dangling contextualBanditRef uses marginal weights with no CB metadata", {"attributes": {"id": "1", "plan": "enterprise"}, "features": {"bandit-feature": {"defaultValue": "default", "rules": [{"key": "bandit-exp", "seed": "bandit-exp", "hashAttribute": "id", "hashVersion": 2, "coverage": 1, "contextualVariations": ["control", "treatment"], "weights": [0.5, 0.5], "meta": [{"key": "0"}, {"key": "1"}], "contextualBanditRef": "cb-bandit"}]}}}, "bandit-feature", {"value": "treatment", "on": true, "off": false, "source": "experiment", "ruleId": "", "experiment": {"variations": ["control", "treatment"], "key": "bandit-exp", "coverage": 1, "weights": [0.5, 0.5], "hashAttribute": "id", "meta": [{"key": "0"}, {"key": "1"}], "seed": "bandit-exp", "hashVersion": 2}, "experimentResult": {"key": "1", "featureId": "bandit-feature", "inExperiment": true, "hashUsed": true, "variationId": 1, "value": "treatment", "hashAttribute": "id", "hashValue": "1", "stickyBucketUsed": false, "bucket": 0.5305}}],
            ["banditVersion omitted from definition is absent from result", {"attributes": {"id": "1", "plan": "enterprise"}, "features": {"bandit-feature": {"defaultValue": "default", "rules": [{"key": "bandit-exp", "seed": "bandit-exp", "hashAttribute": "id", "hashVersion": 2, "coverage": 1, "contextualVariations": ["control", "treatment"], "weights": [0.5, 0.5], "meta": [{"key": "0"}, {"key": "1"}], "contextualBanditRef": "cb-bandit"}]}}, "contextualBandits": {"cb-bandit": {"contexts": [{"leafId": 1, "condition": {}, "weights": [1, 0]}]}}}, "bandit-feature", {"value": "control", "on": true, "off": false, "source": "experiment", "ruleId": "", "experiment": {"variations": ["control", "treatment"], "key": "bandit-exp", "coverage": 1, "weights": [1, 0], "hashAttribute": "id", "meta": [{"key": "0"}, {"key": "1"}], "seed": "bandit-exp", "hashVersion": 2, "contextualBandit": {"leafId": 1, "variationWeights": [1, 0]}}, "experimentResult": {"key": "0", "featureId": "bandit-feature", "inExperiment": true, "hashUsed": true, "variationId": 0, "value": "control", "hashAttribute": "id", "hashValue": "1", "stickyBucketUsed": false, "bucket": 0.5305, "leafId": 1, "variationWeights": [1, 0]}}]
          ],
          "urlRedirect": [
            ["redirects correctly without query strings", {"attributes": {"id": "1"}, "url": "http://www.example.com/home", "experiments": [{"key": "my-experiment", "urlPatterns": [{"type": "simple", "include": true, "pattern": "http://www.example.com/home"}], "weights": [0.1, 0.9], "variations": [{}, {"urlRedirect": "http://www.example.com/home-new"}]}]}, [{"inExperiment": true, "urlRedirect": "http://www.example.com/home-new", "urlWithParams": "http://www.example.com/home-new"}]]
          ]
        }
        """;
}
