using Attune.Server.Security;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Features.Authentication;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Attune.Server.Hosting;

/// <summary>
/// A tenant app's server: instead of listening, it is handed requests that arrived at the deployment's listener
/// (<see cref="TenantRouter"/>), as ASP.NET Core's TestServer is handed in-memory ones. Each request runs through the tenant's
/// whole pipeline (its exception handler, key check, routes) with the tenant's services; the connection, request and response
/// are the front request's.
/// </summary>
/// <remarks>
/// The tenant's context is made over a new <see cref="FeatureCollection"/> layered on the front request's features: the
/// transport's features (request, response, body, connection, lifetime) show through, and the ones an application keeps per
/// request are given fresh here, because the default app may already have set them on the front request and the tenant must
/// not see them: its request services (the tenant's container, not the default app's), the endpoint and route values (the
/// default app routes before any middleware, so the front request already carries the default app's endpoint, which the
/// tenant's routing would otherwise take as chosen), items and user.
/// </remarks>
public sealed class TenantServer(IServiceScopeFactory scopes) : IServer
{
    private Func<HttpContext, Task>? _process;

    /// <summary>No addresses: the tenant listens nowhere (the host then logs none, and <see cref="LoopbackGuard"/> sees none).</summary>
    public IFeatureCollection Features { get; } = new FeatureCollection();

    public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken) where TContext : notnull
    {
        Volatile.Write(ref _process, front => ProcessAsync(application, front));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Volatile.Write(ref _process, null);
        return Task.CompletedTask;
    }

    public void Dispose() => Volatile.Write(ref _process, null);

    /// <summary>Runs <paramref name="front"/> through the tenant's app; 503 while the tenant is not started (or stopped).</summary>
    public Task ProcessAsync(HttpContext front)
    {
        if (Volatile.Read(ref _process) is { } process) return process(front);
        front.Response.Headers.RetryAfter = "5";
        return Problems.Write(front, StatusCodes.Status503ServiceUnavailable, "Tenant not serving",
            "This key's tenant is starting or stopping; try again in a few seconds.");
    }

    private async Task ProcessAsync<TContext>(IHttpApplication<TContext> application, HttpContext front) where TContext : notnull
    {
        var features = new FeatureCollection(front.Features);
        features.Set<IServiceProvidersFeature>(new RequestServicesFeature(front, scopes));
        var routing = new RoutingFeature();
        features.Set<IEndpointFeature>(routing);
        features.Set<IRouteValuesFeature>(routing);
        features.Set<IItemsFeature>(new ItemsFeature());
        features.Set<IHttpAuthenticationFeature>(new HttpAuthenticationFeature());
        var context = application.CreateContext(features);
        // As Kestrel does, the context is disposed once the response is complete, after the callbacks the tenant's code
        // registered (OnStarting, OnCompleted run on the front response, later than this method returns): registered first,
        // this one runs last.
        var end = new RequestEnd<TContext>(application, context);
        front.Response.OnCompleted(RequestEnd<TContext>.Run, end);
        try { await application.ProcessRequestAsync(context).ConfigureAwait(false); }
        catch (Exception e)
        {
            end.Error = e;
            throw;
        }
    }

    private sealed class RequestEnd<TContext>(IHttpApplication<TContext> application, TContext context) where TContext : notnull
    {
        public Exception? Error { get; set; }

        public static Task Run(object state)
        {
            var end = (RequestEnd<TContext>)state;
            end._application.DisposeContext(end._context, end.Error);
            return Task.CompletedTask;
        }

        private readonly IHttpApplication<TContext> _application = application;
        private readonly TContext _context = context;
    }

    /// <summary>The tenant's own endpoint and route values for one request.</summary>
    private sealed class RoutingFeature : IEndpointFeature, IRouteValuesFeature
    {
        private RouteValueDictionary? _values;
        public Endpoint? Endpoint { get; set; }
        public RouteValueDictionary RouteValues { get => _values ??= new RouteValueDictionary(); set => _values = value; }
    }
}

/// <summary>A tenant app's lifetime: it does not listen for Ctrl+C or SIGTERM (the default app does, and stops its tenants).</summary>
internal sealed class TenantLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>A tenant app's logs, written by the default app's loggers under the category with the tenant named
/// (<c>Attune.Serving (tenant shop_a)</c>): one console, and the deployment's category filters still match.</summary>
internal sealed class TenantLogs(ILoggerFactory logs, string tenant) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => logs.CreateLogger(categoryName + " (tenant " + tenant + ")");
    public void Dispose() { }
}
