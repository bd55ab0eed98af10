using System.Text;
using System.Text.Json;
using Attune.Model;
using Attune.Validation;
using BenchmarkDotNet.Attributes;

namespace Attune.Benchmarks.Ingestion;

/// <summary>Parsing and validating a 1,000-event request body: the CPU cost of HTTP ingestion before the store.</summary>
[MemoryDiagnoser]
[BenchmarkCategory("Ingestion")]
public class EventValidationBenchmarks
{
    private byte[] _body = [];
    private readonly RecordReader _reader = new(TimeProvider.System);
    private readonly List<FieldError> _errors = [];

    [GlobalSetup]
    public void Setup()
    {
        _body = Encoding.UTF8.GetBytes("[" + string.Join(",", Enumerable.Range(0, 1000).Select(i =>
            $$"""{"type":"view","userId":"u{{i % 100}}","itemId":"i{{i}}","sessionId":"s1","channel":"web","context":{"device":"mobile"},"timestamp":"2026-11-01T10:00:00Z"}""")) + "]");
    }

    [Benchmark(Description = "parse + validate 1,000 events")]
    public int ParseAndValidate()
    {
        using var doc = JsonDocument.Parse(_body, AttuneJson.DocumentOptions);
        int ok = 0;
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            _errors.Clear();
            if (_reader.ReadEvent(e, _errors) is not null) ok++;
        }
        return ok;
    }

    [Benchmark(Description = "extra-field JSON for 1,000 events")]
    public int ExtraJson()
    {
        int n = 0;
        var ev = new Event { Type = "view", UserId = "u1", ItemId = "i1", SessionId = "s1", Channel = "web", ContextJson = """{"device":"mobile"}""" };
        for (int i = 0; i < 1000; i++) n += EventExtra.ToJson(ev)!.Length;
        return n;
    }
}
