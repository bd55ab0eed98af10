using System.Net;
using Attune.Server.Security;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Attune.Server.Hosting;

/// <summary>
/// The loopback-only rule, checked on what Kestrel actually bound: <c>--urls</c>, <c>URLS</c>/<c>ASPNETCORE_URLS</c> and
/// <c>Kestrel:Endpoints</c> in configuration all end up in <see cref="IServerAddressesFeature"/>, and only it says which won.
/// With no key (configured or stored) and any address that is not loopback, the start is refused: <see cref="Refusal"/> says
/// why and the application stops before serving starts. Until the check has run, and whenever the server has no key
/// (<see cref="IsOpenToNetwork"/>), a request that arrived on a non-loopback address is refused by <see cref="ApiKeyMiddleware"/>,
/// so nothing is served openly in the moment between binding and this check.
/// </summary>
public sealed class LoopbackGuard(IServer server, ApiKeyStore keys, IHostApplicationLifetime lifetime, ILogger<LoopbackGuard> log)
    : IHostedLifecycleService
{
    /// <summary>Why the start was refused; null when the bound addresses are fine (or not yet checked).</summary>
    public string? Refusal { get; private set; }

    /// <summary>The addresses Kestrel bound (after start), e.g. <c>http://127.0.0.1:5080</c>.</summary>
    public IReadOnlyList<string> Addresses { get; private set; } = [];

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        Addresses = [.. server.Features.Get<IServerAddressesFeature>()?.Addresses ?? []];
        if (keys.IsEmpty && Addresses.FirstOrDefault(a => !AttuneHost.AllLoopback(a)) is { } open)
        {
            Refusal = $"refusing to serve {open} without API keys: anyone on the network could read and write (bound: " +
                $"{string.Join(";", Addresses)}; addresses come from --urls, URLS/ASPNETCORE_URLS and Kestrel:Endpoints). Configure " +
                "keys (Attune:ApiKeys, or ATTUNE__APIKEYS__0__KEY and ATTUNE__APIKEYS__0__SCOPES__0=admin), or bind only to 127.0.0.1.";
            log.LogError("{Refusal}", Refusal);
            lifetime.StopApplication();
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// Whether a request came in on an address other than loopback while the server has no key: such a request is refused.
    /// A connection without a local address (an in-memory test host) is not a network one.
    /// </summary>
    public static bool IsOpenToNetwork(HttpContext context, ApiKeyStore keys)
    {
        if (!keys.IsEmpty) return false;
        var local = context.Connection.LocalIpAddress;
        if (local is null) return false;
        if (local.IsIPv4MappedToIPv6) local = local.MapToIPv4();
        return !IPAddress.IsLoopback(local);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
