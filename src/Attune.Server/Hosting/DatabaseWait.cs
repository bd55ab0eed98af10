using Attune.Api;
using Attune.Storage.Postgres;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Attune.Server.Hosting;

/// <summary>
/// A node whose PostgreSQL cannot be reached at start listens already while it waits: <c>/health</c> answers 200 (the process
/// is alive), <c>/ready</c> 503 saying what it waits for, every other request 503 with <c>Retry-After</c> (a balancer keeps
/// traffic away and the operator sees why). The attempts back off (<see cref="PostgresConnection.OpenAsync"/>) up to
/// <c>Attune:Store:ConnectTimeoutSeconds</c>; then the start fails with one line. Once the database answers, the waiting
/// listener is closed and the real application binds the same addresses (for the few milliseconds between, a connection is
/// refused).
/// </summary>
internal static class DatabaseWait
{
    /// <summary>Returns at once when the database answers (or fails in a way waiting cannot fix: the store's open says so).</summary>
    /// <exception cref="InvalidOperationException">Still unreachable after <paramref name="timeout"/>, or stopped while waiting.</exception>
    public static async Task WaitAsync(string connection, IReadOnlyList<string> urls, TimeSpan timeout, TimeProvider time, ILogger log)
    {
        var builder = new NpgsqlConnectionStringBuilder(PostgresConnection.ToConnectionString(connection)) { Pooling = false };
        await using var source = NpgsqlDataSource.Create(builder.ConnectionString);
        try
        {
            await using var first = await source.OpenConnectionAsync().ConfigureAwait(false);
            return;
        }
        catch (Exception e) when (PostgresConnection.IsTransient(e))
        {
            var state = new State(PostgresConnection.Describe(source), e.Message);
            log.LogWarning("PostgreSQL at {Database} is not reachable ({Error}); retrying for up to {Timeout:0} s, answering /ready 503 meanwhile",
                state.Database, e.Message, timeout.TotalSeconds);
            using var stopped = new CancellationTokenSource();
            var room = await ListenAsync(urls, state, log).ConfigureAwait(false);
            // SIGTERM or Ctrl+C while waiting (the waiting listener's host receives them) ends the wait and the start.
            using var onStop = room?.Lifetime.ApplicationStopping.Register(stopped.Cancel);
            try
            {
                await using var c = await PostgresConnection.OpenAsync(source, timeout, (error, wait) =>
                {
                    state.Failed(error.Message);
                    log.LogWarning("PostgreSQL at {Database} is still not reachable ({Error}); next attempt in {Wait:0.0} s",
                        state.Database, error.Message, wait.TotalSeconds);
                }, time, stopped.Token).ConfigureAwait(false);
                log.LogInformation("PostgreSQL at {Database} is reachable: starting", state.Database);
            }
            catch (OperationCanceledException) when (stopped.IsCancellationRequested)
            {
                throw new InvalidOperationException($"stopped while waiting for PostgreSQL at {state.Database}");
            }
            finally
            {
                if (room is not null)
                {
                    await room.StopAsync(CancellationToken.None).ConfigureAwait(false);
                    await room.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
        catch (NpgsqlException)
        {
            // Not something waiting fixes (a refused password, no such database): the store's open says it in one line.
        }
    }

    /// <summary>What the waiting listener reports; updated by each failed attempt.</summary>
    private sealed class State(string database, string error)
    {
        private string _error = error;
        private int _attempts = 1;

        public string Database { get; } = database;

        public void Failed(string error)
        {
            Volatile.Write(ref _error, error);
            Interlocked.Increment(ref _attempts);
        }

        public string Describe() =>
            $"waiting for PostgreSQL at {Database} ({Volatile.Read(ref _attempts)} attempts, the last: {Volatile.Read(ref _error)})";
    }

    /// <summary>The waiting listener on the node's addresses; null (logged) when it cannot bind: the real start reports that.</summary>
    private static async Task<WebApplication?> ListenAsync(IReadOnlyList<string> urls, State state, ILogger log)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls([.. urls]);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(async context =>
        {
            var response = context.Response;
            if (context.Request.Path.Equals("/health", StringComparison.OrdinalIgnoreCase))
            {
                await response.WriteAsJsonAsync(new HealthStatus("ok")).ConfigureAwait(false);
                return;
            }
            response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            response.Headers.RetryAfter = "5";
            if (context.Request.Path.Equals("/ready", StringComparison.OrdinalIgnoreCase))
            {
                await response.WriteAsJsonAsync(new HealthStatus("starting: " + state.Describe())).ConfigureAwait(false);
                return;
            }
            await Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The node is starting",
                detail: $"The store is not open yet: {state.Describe()}. Retry later.").ExecuteAsync(context).ConfigureAwait(false);
        });
        try
        {
            await app.StartAsync().ConfigureAwait(false);
            return app;
        }
        catch (IOException e)
        {
            log.LogWarning("Could not listen on {Urls} while waiting for PostgreSQL: {Error}", string.Join(";", urls), e.Message);
            await app.DisposeAsync().ConfigureAwait(false);
            return null;
        }
    }
}
