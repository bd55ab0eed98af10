namespace Attune.Api;

/// <summary>The answer of <c>GET /health</c> and <c>GET /ready</c>: <c>ok</c>, <c>ready</c>, or <c>starting: …</c> (with a 503).</summary>
public sealed record HealthStatus(string Status);
