using System.Net;
using System.Threading.RateLimiting;
using Attune.Server.Hosting;

namespace Attune.Server.Security;

/// <summary>
/// Rate limits of the key check, built on ASP.NET Core's limiters (<c>System.Threading.RateLimiting</c>), used directly by
/// <see cref="ApiKeyMiddleware"/> because only it knows which key a request carries and whether the check failed:
/// <list type="bullet">
/// <item>failed authentications per client address: a fixed window of one minute allowing
/// <see cref="AttuneOptions.AuthFailuresPerMinute"/> unknown keys; once spent, every request from that address that needs a
/// key gets 429 until the window ends (a valid key too: a guesser learns nothing more);</item>
/// <item>requests per key: a token bucket of <see cref="ApiKeyOptions.RequestsPerSecond"/> (or
/// <see cref="AttuneOptions.KeyRequestsPerSecond"/> for keys without their own, stored keys included) refilled every
/// second, bursts up to the same number; 0 = no limit, the default.</item>
/// </list>
/// </summary>
public sealed class AuthLimits : IDisposable
{
    private readonly PartitionedRateLimiter<IPAddress>? _failures;
    private readonly PartitionedRateLimiter<string> _perKey;
    private readonly Dictionary<string, int> _configuredRates;
    private readonly int _defaultRate;

    public AuthLimits(AttuneOptions options)
    {
        int failures = options.AuthFailuresPerMinute;
        if (failures > 0)
        {
            _failures = PartitionedRateLimiter.Create<IPAddress, IPAddress>(address => RateLimitPartition.GetFixedWindowLimiter(address,
                _ => new FixedWindowRateLimiterOptions { PermitLimit = failures, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
        }
        _defaultRate = Math.Max(0, options.KeyRequestsPerSecond);
        _configuredRates = new Dictionary<string, int>(StringComparer.Ordinal);
        int n = 0;
        foreach (var k in options.ApiKeys)
        {
            n++;
            if (k.RequestsPerSecond is { } rate) _configuredRates[k.Name ?? $"key{n}"] = Math.Max(0, rate);
        }
        _perKey = PartitionedRateLimiter.Create<string, string>(name => RateOf(name) is var rate and > 0
            ? RateLimitPartition.GetTokenBucketLimiter(name, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = rate, TokensPerPeriod = rate, ReplenishmentPeriod = TimeSpan.FromSeconds(1), QueueLimit = 0,
            })
            : RateLimitPartition.GetNoLimiter(name));
    }

    private int RateOf(string keyName) => _configuredRates.TryGetValue(keyName, out int rate) ? rate : _defaultRate;

    /// <summary>Whether this address has spent its failed attempts; <paramref name="retryAfter"/> says for how long.</summary>
    public bool IsBlocked(IPAddress? address, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (_failures is null || address is null) return false;
        using var lease = _failures.AttemptAcquire(address, 0);
        if (lease.IsAcquired) return false;
        retryAfter = RetryAfter(lease, TimeSpan.FromMinutes(1));
        return true;
    }

    /// <summary>Counts one failed authentication from <paramref name="address"/>.</summary>
    public void CountFailure(IPAddress? address)
    {
        if (_failures is null || address is null) return;
        using var lease = _failures.AttemptAcquire(address, 1);
    }

    /// <summary>Takes one request from the key's budget; false (with how long to wait) when it is spent.</summary>
    public bool TryTake(string keyName, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        using var lease = _perKey.AttemptAcquire(keyName, 1);
        if (lease.IsAcquired) return true;
        retryAfter = RetryAfter(lease, TimeSpan.FromSeconds(1));
        return false;
    }

    private static TimeSpan RetryAfter(RateLimitLease lease, TimeSpan fallback) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var after) && after > TimeSpan.Zero ? after : fallback;

    public void Dispose()
    {
        _failures?.Dispose();
        _perKey.Dispose();
    }
}
