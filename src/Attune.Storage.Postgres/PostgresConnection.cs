using System.Text.RegularExpressions;
using Npgsql;

namespace Attune.Storage.Postgres;

/// <summary>Turns configuration into a data source, and waits for a database that is not reachable yet.</summary>
public static partial class PostgresConnection
{
    /// <summary>The first wait between attempts; each next one doubles, up to <see cref="MaxBackoff"/>.</summary>
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(500);

    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(15);

    /// <summary>An Npgsql connection string from either an Npgsql string or a <c>postgres://</c> URL.</summary>
    /// <exception cref="FormatException">The URL or string is malformed (the message says what, without the password).</exception>
    public static string ToConnectionString(string configured)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(configured);
        if (!configured.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            && !configured.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            try { return new NpgsqlConnectionStringBuilder(configured).ConnectionString; }
            catch (ArgumentException e) { throw new FormatException($"not a PostgreSQL connection string: {e.Message}", e); }
        }
        if (!Uri.TryCreate(configured, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            throw new FormatException("not a postgres:// URL: expected postgres://user:password@host:port/database");
        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host, Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port };
        if (uri.UserInfo.Length > 0)
        {
            int colon = uri.UserInfo.IndexOf(':');
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0) builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }
        string database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/'));
        if (database.Length > 0) builder.Database = database;
        foreach (Match m in QueryPair().Matches(uri.Query))
        {
            string key = Uri.UnescapeDataString(m.Groups[1].Value), value = Uri.UnescapeDataString(m.Groups[2].Value);
            try { builder[key] = value; }
            catch (ArgumentException) { throw new FormatException($"unknown connection setting '{key}' in the postgres:// URL"); }
        }
        return builder.ConnectionString;
    }

    [GeneratedRegex(@"[?&]([^=&]+)=([^&]*)")]
    private static partial Regex QueryPair();

    /// <summary>
    /// Opens a connection, retrying with exponential backoff while the database cannot be reached (refused, unknown host,
    /// starting up), for up to <paramref name="timeout"/>. Each failed attempt is reported to <paramref name="retrying"/>.
    /// Wrong credentials or a missing database are not retried: waiting does not fix them.
    /// </summary>
    public static async Task<NpgsqlConnection> OpenAsync(NpgsqlDataSource source, TimeSpan timeout, Action<Exception, TimeSpan>? retrying = null,
        TimeProvider? time = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        time ??= TimeProvider.System;
        long start = time.GetTimestamp();
        var wait = FirstBackoff;
        while (true)
        {
            try
            {
                return await source.OpenConnectionAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e) && !ct.IsCancellationRequested)
            {
                if (time.GetElapsedTime(start) + wait > timeout)
                    throw new InvalidOperationException($"PostgreSQL at {Describe(source)} could not be reached for {timeout.TotalSeconds:0} s: {e.Message}", e);
                retrying?.Invoke(e, wait);
                await Task.Delay(wait, time, ct).ConfigureAwait(false);
                wait = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, wait.Ticks * 2));
            }
        }
    }

    /// <summary>Whether waiting may help: the server is unreachable or not accepting connections yet.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        PostgresException pg => pg.SqlState is PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections
            or PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown,
        NpgsqlException { InnerException: System.Net.Sockets.SocketException or TimeoutException or IOException } => true,
        NpgsqlException n => n.IsTransient,
        System.Net.Sockets.SocketException or TimeoutException => true,
        _ => false,
    };

    /// <summary>Host, port and database, never the password.</summary>
    public static string Describe(NpgsqlDataSource source)
    {
        var b = new NpgsqlConnectionStringBuilder(source.ConnectionString);
        return $"{b.Host}:{b.Port}/{b.Database ?? b.Username}";
    }
}
