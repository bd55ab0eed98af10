using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Attune.Model;

namespace Attune.Client;

/// <summary>
/// A typed client for the Attune HTTP API (docs/api.md). Thread-safe; keep one per server. A 4xx or 5xx answer becomes an
/// <see cref="AttuneApiException"/> carrying the problem; transient failures are retried (<see cref="AttuneClientOptions"/>),
/// and calls that are not idempotent (<see cref="SendEventsAsync"/>, training, creating and starting experiments) only
/// when the request never reached the server.
/// </summary>
public sealed partial class AttuneClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly AttuneClientOptions _options;
    private readonly AuthenticationHeaderValue? _auth;

    /// <summary>A client of the server at <paramref name="baseAddress"/> (e.g. <c>http://127.0.0.1:5080</c>).</summary>
    /// <param name="apiKey">The key to send; null for a server without keys. Overrides <see cref="AttuneClientOptions.ApiKey"/>.</param>
    public AttuneClient(Uri baseAddress, string? apiKey = null, AttuneClientOptions? options = null)
        : this(new HttpClient { BaseAddress = baseAddress }, options, ownsHttp: true, apiKey)
    {
    }

    /// <summary>A client over an <see cref="HttpClient"/> whose <see cref="HttpClient.BaseAddress"/> is the server (e.g. one from
    /// <c>IHttpClientFactory</c>); it is not disposed with this client.</summary>
    public AttuneClient(HttpClient http, AttuneClientOptions? options = null) : this(http, options, ownsHttp: false, apiKey: null)
    {
    }

    private AttuneClient(HttpClient http, AttuneClientOptions? options, bool ownsHttp, string? apiKey)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.BaseAddress is null) throw new ArgumentException("the HttpClient needs a BaseAddress (the Attune server)", nameof(http));
        _http = http;
        _ownsHttp = ownsHttp;
        _options = options ?? new AttuneClientOptions();
        if (_options.MaxAttempts < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxAttempts must be at least 1");
        string? key = apiKey ?? _options.ApiKey;
        _auth = key is null ? null : new AuthenticationHeaderValue("Bearer", key);
    }

    /// <summary>Waits between attempts; tests replace it to record the delays instead of waiting them.</summary>
    internal Func<TimeSpan, CancellationToken, Task> DelayAsync { get; set; } = Task.Delay;

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }

    private Task<T> GetAsync<T>(string path, CancellationToken ct) =>
        SendAsync<T>(HttpMethod.Get, path, null, RetryMode.Idempotent, ct);

    /// <summary>A GET that answers null on 404 instead of throwing.</summary>
    private async Task<T?> FindAsync<T>(string path, CancellationToken ct) where T : class
    {
        using var response = await SendCoreAsync(HttpMethod.Get, path, null, RetryMode.Idempotent, ct, notFoundIsAnswer: true).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        return await ReadAsync<T>(response, ct).ConfigureAwait(false);
    }

    /// <summary>A DELETE: true when it deleted, false on 404.</summary>
    private async Task<bool> DeleteAsync(string path, CancellationToken ct)
    {
        using var response = await SendCoreAsync(HttpMethod.Delete, path, null, RetryMode.Idempotent, ct, notFoundIsAnswer: true).ConfigureAwait(false);
        return response.StatusCode != HttpStatusCode.NotFound;
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, RetryMode retry, CancellationToken ct,
        string? idempotencyKey = null)
    {
        using var response = await SendCoreAsync(method, path, body, retry, ct, idempotencyKey: idempotencyKey).ConfigureAwait(false);
        return await ReadAsync<T>(response, ct).ConfigureAwait(false);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken ct) =>
        await response.Content.ReadFromJsonAsync<T>(AttuneJson.Options, ct).ConfigureAwait(false)
        ?? throw new JsonException($"{response.RequestMessage?.RequestUri?.AbsolutePath}: the answer was JSON null");

    /// <summary>Sends with retries; answers a 2xx (or a 404 when <paramref name="notFoundIsAnswer"/>), throws otherwise.</summary>
    /// <param name="idempotencyKey">Sent as the <c>Idempotency-Key</c> header of every attempt (the server stores the request once).</param>
    private async Task<HttpResponseMessage> SendCoreAsync(HttpMethod method, string path, object? body, RetryMode retry,
        CancellationToken ct, bool notFoundIsAnswer = false, string? idempotencyKey = null)
    {
        for (int attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, path);
            if (_auth is not null) request.Headers.Authorization = _auth;
            if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
            if (body is not null) request.Content = JsonContent.Create(body, body.GetType(), options: AttuneJson.Options);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
            }
            catch (HttpRequestException e) when (attempt < _options.MaxAttempts && (retry == RetryMode.Idempotent || Retries.NeverSent(e)))
            {
                await DelayAsync(Retries.Delay(attempt, _options.BaseDelay, _options.MaxDelay, null, _options.Time.GetUtcNow()), ct).ConfigureAwait(false);
                continue;
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested && attempt < _options.MaxAttempts && retry == RetryMode.Idempotent)
            {
                // HttpClient.Timeout elapsed (the caller did not cancel): an idempotent call may go again.
                await DelayAsync(Retries.Delay(attempt, _options.BaseDelay, _options.MaxDelay, null, _options.Time.GetUtcNow()), ct).ConfigureAwait(false);
                continue;
            }
            if (response.IsSuccessStatusCode || (notFoundIsAnswer && response.StatusCode == HttpStatusCode.NotFound)) return response;
            if (attempt < _options.MaxAttempts && retry == RetryMode.Idempotent && Retries.IsTransient(response.StatusCode))
            {
                var delay = Retries.Delay(attempt, _options.BaseDelay, _options.MaxDelay, response, _options.Time.GetUtcNow());
                response.Dispose();
                await DelayAsync(delay, ct).ConfigureAwait(false);
                continue;
            }
            using (response) throw await AttuneApiException.ReadAsync(response, ct).ConfigureAwait(false);
        }
    }

    private static string Escape(string segment) => Uri.EscapeDataString(segment);
}
