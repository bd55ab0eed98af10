using System.ClientModel;
using System.ClientModel.Primitives;
using Attune.Decisions.Variants;
using Microsoft.Extensions.AI;

namespace Attune.Server.Hosting;

/// <summary>The variant generator of the configuration: an OpenAI-compatible chat client when an endpoint and a model are set.</summary>
internal static class VariantModel
{
    public static VariantGenerator Create(VariantModelOptions o)
    {
        if (string.IsNullOrWhiteSpace(o.Endpoint) || string.IsNullOrWhiteSpace(o.Model)) return new VariantGenerator(null);
        if (!Uri.TryCreate(o.Endpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
            throw new AttuneStartException($"Attune:Variants:Endpoint must be an http(s) URL, not '{o.Endpoint}'");
        var client = new OpenAI.Chat.ChatClient(o.Model, new ApiKeyCredential(string.IsNullOrEmpty(o.ApiKey) ? "unused" : o.ApiKey),
            new OpenAI.OpenAIClientOptions
            {
                Endpoint = endpoint,
                NetworkTimeout = TimeSpan.FromSeconds(Math.Max(1, o.TimeoutSeconds)),
                RetryPolicy = new ClientRetryPolicy(maxRetries: 1),
            });
        return new VariantGenerator(client.AsIChatClient(), o.Model);
    }
}
