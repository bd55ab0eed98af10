using System.Net;
using System.Text;
using System.Text.Json;

namespace Attune.Tests.EndToEnd;

/// <summary>
/// Against the real process: once an erasure is complete, no file in the data folder (database, write-ahead log, model
/// bundles) holds the erased person's ids or attributes, in UTF-8 or UTF-16. The same scan finds them before the erasure,
/// so it can see them.
/// </summary>
public sealed class ErasureScanTests
{
    private const string User = "erasable-person-4f1c";
    private const string LinkedVisitor = "erasable-visitor-9b2e";
    private const string LoneVisitor = "erasable-lone-visitor-77aa";
    private const string Attribute = "Zelda Quixote 4f1c";

    private static StringContent Json(string s) => new(s, Encoding.UTF8, "application/json");

    [Fact]
    public async Task NoFileInTheDataFolderHoldsAnErasedPersonOnceTheErasureIsComplete()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (code, output) = await AttuneProcess.RunAsync("demo", "--data", dir.Path, "--users", "200", "--items", "100", "--days", "10");
        Assert.True(code == 0, output);
        await using var server = await AttuneProcess.ServeAsync(dir.Path, "--demo");
        var client = server.Client;

        // A known user with an attribute, a visitor who signed in as them, and a visitor who never did; all with history.
        Ok(await client.PostAsync("/v1/users", Json($$$"""{"id": "{{{User}}}", "attributes": {"name": "{{{Attribute}}}"}}""")));
        var events = new StringBuilder("[");
        for (int i = 1; i <= 60; i++)
        {
            string item = $"i{i % 40 + 1:D5}";
            events.Append($$"""{"type": "view", "anonymousId": "{{LinkedVisitor}}", "itemId": "{{item}}"},""");
            events.Append($$"""{"type": "purchase", "userId": "{{User}}", "itemId": "{{item}}", "value": 3},""");
            events.Append($$"""{"type": "view", "anonymousId": "{{LoneVisitor}}", "itemId": "i{{i % 30 + 1:D5}}"},""");
        }
        events.Length--;
        events.Append(']');
        Ok(await client.PostAsync("/v1/events", Json(events.ToString())));
        Ok(await client.PostAsync("/v1/identify", Json($$"""{"anonymousId": "{{LinkedVisitor}}", "userId": "{{User}}"}""")));
        Ok(await client.GetAsync($"/v1/recommendations?userId={User}&count=5"));
        Ok(await client.GetAsync($"/v1/recommendations?anonymousId={LoneVisitor}&count=5"));
        Ok(await client.PostAsync("/v1/models/train?wait=true", null)); // a stored model version that knows them
        await Task.Delay(1500); // the recommendation log is written in the background

        string[] secrets = [User, LinkedVisitor, LoneVisitor, Attribute];
        Assert.NotEmpty(Scan(dir.Path, secrets)); // the scan sees them while they are held

        string first = await EraseAsync(client, $"/v1/users/{User}");
        string second = await EraseAsync(client, $"/v1/users/{LoneVisitor}?anonymous=true");
        await WaitCompleteAsync(client, first);
        await WaitCompleteAsync(client, second);

        var found = Scan(dir.Path, secrets);
        Assert.True(found.Count == 0, "still in the data folder: " + string.Join("; ", found));
    }

    private static async Task<string> EraseAsync(HttpClient client, string path)
    {
        var response = await client.DeleteAsync(path);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }

    private static async Task WaitCompleteAsync(HttpClient client, string erasureId)
    {
        string status = "";
        for (int i = 0; i < 600 && status != "complete"; i++)
        {
            if (i > 0) await Task.Delay(100);
            status = JsonDocument.Parse(await client.GetStringAsync($"/v1/erasures/{erasureId}")).RootElement.GetProperty("status").GetString()!;
        }
        Assert.Equal("complete", status);
    }

    /// <summary>Every (file, string, encoding) where one of <paramref name="secrets"/> occurs in the folder's files.</summary>
    private static List<string> Scan(string folder, string[] secrets)
    {
        var found = new List<string>();
        foreach (string file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            byte[] bytes;
            try
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var memory = new MemoryStream();
                stream.CopyTo(memory);
                bytes = memory.ToArray();
            }
            catch (IOException)
            {
                continue; // removed while listed (a temporary file)
            }
            foreach (string secret in secrets)
            {
                if (bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) >= 0) found.Add($"{Path.GetRelativePath(folder, file)}: {secret} (UTF-8)");
                if (bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(secret)) >= 0) found.Add($"{Path.GetRelativePath(folder, file)}: {secret} (UTF-16)");
            }
        }
        return found;
    }

    private static void Ok(HttpResponseMessage response) =>
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {response.RequestMessage?.RequestUri}");
}
