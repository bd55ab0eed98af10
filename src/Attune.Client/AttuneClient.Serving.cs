using System.Net;
using Attune.Api;

namespace Attune.Client;

// Recommendations, rank and health: what a shop's pages ask (docs/api.md "Recommendations").
public sealed partial class AttuneClient
{
    /// <summary>
    /// What a person should see in a scenario (<c>POST /v1/recommendations</c>). Send the answer's
    /// <see cref="RecommendationOutput.RecommendationId"/> back on the impression, click and purchase events it leads to.
    /// Retried like a read: a repeated request is a new answer (a new id), which changes nothing stored but the answer log.
    /// </summary>
    public Task<RecommendationOutput> RecommendAsync(RecommendationInput request, CancellationToken ct = default) =>
        SendAsync<RecommendationOutput>(HttpMethod.Post, "/v1/recommendations", request, RetryMode.Idempotent, ct);

    /// <summary>Orders the caller's own candidates (<see cref="RecommendationInput.Candidates"/>, up to 1,000) for a person
    /// (<c>POST /v1/rank</c>); ids not in the catalog come back in <see cref="RecommendationOutput.Unknown"/>.</summary>
    public Task<RecommendationOutput> RankAsync(RecommendationInput request, CancellationToken ct = default) =>
        SendAsync<RecommendationOutput>(HttpMethod.Post, "/v1/rank", request, RetryMode.Idempotent, ct);

    /// <summary>What an answer showed and the events attributed to it (<c>GET /v1/recommendations/{id}</c>); null when unknown.</summary>
    public Task<LoggedRecommendation?> GetRecommendationAsync(string recommendationId, CancellationToken ct = default) =>
        FindAsync<LoggedRecommendation>($"/v1/recommendations/{Escape(recommendationId)}", ct);

    /// <summary>The scenarios the server answers, with their sources and weights.</summary>
    public Task<IReadOnlyList<ScenarioOutput>> ListScenariosAsync(CancellationToken ct = default) =>
        GetAsync<IReadOnlyList<ScenarioOutput>>("/v1/scenarios", ct);

    /// <summary>Liveness (<c>GET /health</c>).</summary>
    public Task<HealthStatus> GetHealthAsync(CancellationToken ct = default) => GetAsync<HealthStatus>("/health", ct);

    /// <summary>
    /// Readiness (<c>GET /ready</c>): true when the store is open and a model is active. A 503 (still starting) answers false
    /// at once, without retrying: poll it to wait.
    /// </summary>
    public async Task<bool> IsReadyAsync(CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ready");
        if (_auth is not null) request.Headers.Authorization = _auth;
        using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.ServiceUnavailable) return false;
        if (!response.IsSuccessStatusCode) throw await AttuneApiException.ReadAsync(response, ct).ConfigureAwait(false);
        return true;
    }
}
