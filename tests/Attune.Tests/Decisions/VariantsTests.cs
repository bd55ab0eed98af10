using System.Net;
using System.Text;
using System.Text.Json;
using Attune.Tests.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Attune.Tests.Decisions;

/// <summary>Generated variants: drafted from templates or from a chat model (a local server speaking OpenAI's wire format), approved, explored.</summary>
public sealed class VariantsTests
{
    private const string Point = """
        {"description": "Hero banner of the running shop",
         "actions": [{"id": "classic", "text": "Run your best race", "features": {"tone": "calm"}},
                     {"id": "bold", "text": "Go faster today", "features": {"tone": "bold"}}]}
        """;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task TemplatesDraftVariantsThatAreServedOnlyOnceApproved()
    {
        await using var server = await TestServer.StartAsync();
        var client = server.Client;
        await HttpAssert.Ok(await client.PutAsync("/v1/decisions/hero", Json(Point)));
        var result = await HttpAssert.Ok(await client.PostAsync("/v1/decisions/hero/variants",
            Json("""{"count": 3, "slots": {"product": "Trail shoe", "category": "running shoes", "discount": "20%"}}""")));
        Assert.Equal("templates", result.GetProperty("source").GetString());
        var drafts = result.GetProperty("drafts").EnumerateArray().ToList();
        Assert.Equal(["Trail shoe: 20% off today", "Save 20% on running shoes", "New in running shoes: Trail shoe"], drafts.Select(d => d.GetProperty("text").GetString()));
        Assert.All(drafts, d => Assert.Equal("draft", d.GetProperty("status").GetString()));
        var draftIds = drafts.Select(d => d.GetProperty("id").GetString()!).ToList();

        // Drafts are never chosen.
        for (int i = 0; i < 20; i++)
        {
            var rank = await HttpAssert.Ok(await client.PostAsync("/v1/decisions/hero/rank", Json("{}")));
            Assert.DoesNotContain(rank.GetProperty("chosen").GetString(), draftIds);
            Assert.Equal(2, rank.GetProperty("ranking").GetArrayLength());
        }
        // Approved, one is explored like any action.
        await HttpAssert.Ok(await client.PostAsync($"/v1/decisions/hero/actions/{draftIds[1]}/approve", null));
        var approved = await HttpAssert.Ok(await client.PostAsync("/v1/decisions/hero/rank", Json("""{"excludedActions": ["classic", "bold"]}""")));
        Assert.Equal(draftIds[1], approved.GetProperty("chosen").GetString());
        await HttpAssert.Ok(await client.PostAsync("/v1/decisions/hero/actions/classic/retire", null));
        Assert.Equal(2, (await HttpAssert.Ok(await client.PostAsync("/v1/decisions/hero/rank", Json("{}")))).GetProperty("ranking").GetArrayLength());

        // The same drafts twice are not added twice; templates without their slots are a 400 naming the slots.
        var again = await HttpAssert.Ok(await client.PostAsync("/v1/decisions/hero/variants",
            Json("""{"count": 1, "templates": ["Save {discount} on {category}"], "slots": {"category": "running shoes", "discount": "20%"}}""")));
        Assert.Equal(0, again.GetProperty("drafts").GetArrayLength());
        await HttpAssert.ProblemNaming(await client.PostAsync("/v1/decisions/hero/variants", Json("""{"slots": {"colour": "red"}}""")), HttpStatusCode.BadRequest, "slots");
        await HttpAssert.ProblemNaming(await client.PostAsync("/v1/decisions/hero/variants", Json("""{"count": 50}""")), HttpStatusCode.BadRequest, "count");
        await HttpAssert.Problem(await client.PostAsync("/v1/decisions/hero/actions/nope/approve", null), HttpStatusCode.NotFound);
    }

    /// <summary>A chat-completions server in this process: answers with <paramref name="content"/> (or fails) and keeps the requests.</summary>
    private static async Task<(WebApplication App, Uri Endpoint, List<string> Requests)> ChatServerAsync(string content, bool fail = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var requests = new List<string>();
        app.MapPost("/v1/chat/completions", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            lock (requests) requests.Add(reader.ReadToEndAsync().GetAwaiter().GetResult());
            if (fail) return Results.Json(new { error = new { message = "model overloaded", type = "server_error" } }, statusCode: 500);
            var answer = new
            {
                id = "chatcmpl-test", @object = "chat.completion", created = 1_700_000_000, model = "test-model",
                choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" } },
                usage = new { prompt_tokens = 50, completion_tokens = 20, total_tokens = 70 },
            };
            await Task.CompletedTask;
            return Results.Json(answer);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new Uri(address + "/v1"), requests);
    }

    [Fact]
    public async Task AChatModelBehindIChatClientDraftsVariantsFromTheBriefAndAFailureIsA502()
    {
        var (chat, endpoint, requests) = await ChatServerAsync("1. Trail season starts now\n- Run further for less\n\"Your next summit awaits\"\n\nGo faster today");
        await using (chat)
        await using (var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Attune:Variants:Endpoint"] = endpoint.ToString(),
            ["Attune:Variants:Model"] = "test-model",
        }))
        {
            var client = server.Client;
            await HttpAssert.Ok(await client.PutAsync("/v1/decisions/hero", Json(Point)));
            var result = await HttpAssert.Ok(await client.PostAsync("/v1/decisions/hero/variants",
                Json("""{"count": 4, "brief": "Spring campaign for trail running shoes"}""")));
            Assert.Equal("model:test-model", result.GetProperty("source").GetString());
            // Numbering, bullets and quotes removed; the line equal to an existing action's text dropped.
            Assert.Equal(["Trail season starts now", "Run further for less", "Your next summit awaits"],
                result.GetProperty("drafts").EnumerateArray().Select(d => d.GetProperty("text").GetString()));
            var sent = JsonDocument.Parse(Assert.Single(requests)).RootElement;
            Assert.Equal("test-model", sent.GetProperty("model").GetString());
            string prompt = string.Join("\n", sent.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("content").ToString()));
            Assert.Contains("Spring campaign for trail running shoes", prompt);
            Assert.Contains("Go faster today", prompt); // the current variants, so the model writes different ones
        }

        var (broken, brokenEndpoint, _) = await ChatServerAsync("", fail: true);
        await using (broken)
        await using (var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Attune:Variants:Endpoint"] = brokenEndpoint.ToString(),
            ["Attune:Variants:Model"] = "test-model",
        }))
        {
            await HttpAssert.Ok(await server.Client.PutAsync("/v1/decisions/hero", Json(Point)));
            await HttpAssert.Problem(await server.Client.PostAsync("/v1/decisions/hero/variants", Json("""{"brief": "anything"}""")), HttpStatusCode.BadGateway);
            var point = await HttpAssert.Ok(await server.Client.GetAsync("/v1/decisions/hero"));
            Assert.Equal(2, point.GetProperty("actions").GetArrayLength()); // nothing was added
        }
    }
}
