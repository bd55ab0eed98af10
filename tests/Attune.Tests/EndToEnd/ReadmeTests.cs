using System.Text;
using System.Text.RegularExpressions;

namespace Attune.Tests.EndToEnd;

/// <summary>The README's commands are run as written, so the README cannot drift from the product.</summary>
public sealed partial class ReadmeTests
{
    private static string Readme => File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md"));

    [Fact]
    public void ReadmeGivesExactlyTheTwoCommandsAndCiRunsTheSecond()
    {
        var run = Readme[Readme.IndexOf("## Run", StringComparison.Ordinal)..Readme.IndexOf("## Try it", StringComparison.Ordinal)];
        var commands = ShellBlock().Matches(run).Select(m => m.Groups[1].Value.Trim()).ToList();
        Assert.Equal(["dotnet run -c Release --project src/Attune -- serve --demo", "bash eng/test.sh"], commands);
        Assert.Contains("eng/test.sh", File.ReadAllText(Path.Combine(TestPaths.RepoRoot, ".ci", "run")));
    }

    [Fact]
    public async Task EveryCurlOfTryItSucceedsAgainstTheDemoShop()
    {
        using var dir = TestPaths.NewTempDirectory();
        var (code, output) = await AttuneProcess.RunAsync("demo", "--data", dir.Path, "--users", "100", "--items", "100", "--days", "5");
        Assert.True(code == 0, output);
        await using var server = await AttuneProcess.ServeAsync(dir.Path);

        string tryIt = Readme[Readme.IndexOf("## Try it", StringComparison.Ordinal)..Readme.IndexOf("### The command line", StringComparison.Ordinal)];
        var curls = ShellBlock().Matches(tryIt).SelectMany(m => Commands(m.Groups[1].Value)).Where(c => c[0] == "curl").ToList();
        Assert.True(curls.Count >= 5, $"expected the README's curl examples, found {curls.Count}");
        foreach (var curl in curls)
        {
            var request = ToRequest(curl, server.BaseAddress);
            var response = await server.Client.SendAsync(request);
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{string.Join(' ', curl)} → {(int)response.StatusCode} {body}");
        }
    }

    /// <summary>Turns <c>curl -s URL -H 'K: V' -d 'BODY'</c> into a request against <paramref name="server"/>.</summary>
    private static HttpRequestMessage ToRequest(List<string> args, Uri server)
    {
        string? url = null, data = null, method = null;
        var headers = new List<(string, string)>();
        for (int i = 1; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "-s": break;
                case "-H": var h = args[++i].Split(':', 2); headers.Add((h[0].Trim(), h[1].Trim())); break;
                case "-d": data = args[++i]; break;
                case "-X": method = args[++i]; break;
                default: url = args[i]; break;
            }
        }
        Assert.NotNull(url);
        var uri = new Uri(server, new Uri("http://" + url.Replace("http://", "")).PathAndQuery);
        var request = new HttpRequestMessage(method is not null ? new HttpMethod(method) : data is null ? HttpMethod.Get : HttpMethod.Post, uri);
        if (data is not null)
        {
            string type = headers.FirstOrDefault(h => h.Item1.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)).Item2 ?? "application/x-www-form-urlencoded";
            request.Content = new StringContent(data, Encoding.UTF8, type);
        }
        return request;
    }

    /// <summary>Splits a shell snippet into commands and words: single quotes, backslash-newline, # comments.</summary>
    private static IEnumerable<List<string>> Commands(string script)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        for (int i = 0; i < script.Length; i++)
        {
            char c = script[i];
            if (c == '\'')
            {
                int end = script.IndexOf('\'', i + 1);
                word.Append(script, i + 1, end - i - 1);
                inWord = true;
                i = end;
            }
            else if (c == '\\' && i + 1 < script.Length && script[i + 1] == '\n') i++;
            else if (c == '#' && !inWord) { while (i < script.Length && script[i] != '\n') i++; i--; }
            else if (c is ' ' or '\t' or '\n')
            {
                if (inWord) { words.Add(word.ToString()); word.Clear(); inWord = false; }
                if (c == '\n' && words.Count > 0) { yield return words; words = []; }
            }
            else { word.Append(c); inWord = true; }
        }
        if (inWord) words.Add(word.ToString());
        if (words.Count > 0) yield return words;
    }

    [GeneratedRegex("```sh\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();
}
