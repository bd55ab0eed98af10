using System.ComponentModel.DataAnnotations;

namespace Attune.Server.Hosting;

/// <summary>Server options, configuration section <c>Attune</c> (environment: <c>ATTUNE__…</c>).</summary>
public sealed class AttuneOptions
{
    public const string Section = "Attune";

    /// <summary>Folder of the embedded store. <value>The default value is <c>./data</c>.</value></summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>Largest request body accepted, in bytes. <value>The default value is 16 MiB.</value></summary>
    [Range(1024, 1L << 31)]
    public long MaxRequestBodyBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Where the system of record lives: SQLite in <see cref="DataDirectory"/> (the default), or PostgreSQL.</summary>
    public StoreOptions Store { get; set; } = new();

    /// <summary>Sync every commit to disk (see the store's FullSync). <value>The default value is <see langword="true"/>.</value></summary>
    public bool FullSync { get; set; } = true;

    /// <summary>API keys. With none, Attune serves openly, and only on loopback addresses.</summary>
    public List<ApiKeyOptions> ApiKeys { get; set; } = [];

    /// <summary>
    /// Unknown keys one client address may present per minute; after that every request from it that needs a key gets 429
    /// (with <c>Retry-After</c>) until the minute is over. 0 = no limit. <value>The default value is 20.</value>
    /// </summary>
    [Range(0, int.MaxValue)]
    public int AuthFailuresPerMinute { get; set; } = 20;

    /// <summary>
    /// Requests per second each key may make (a token bucket: bursts up to the same number), for keys without their own
    /// <see cref="ApiKeyOptions.RequestsPerSecond"/>, stored keys included; beyond it 429 with <c>Retry-After</c>. 0 = no limit.
    /// <value>The default value is 0.</value>
    /// </summary>
    [Range(0, int.MaxValue)]
    public int KeyRequestsPerSecond { get; set; }

    /// <summary>
    /// Encryption at rest of personal fields (<c>Attune:Encryption:Keys:&lt;id&gt;</c>, <c>Attune:Encryption:ActiveKey</c>). No keys =
    /// no encryption. See "Encryption at rest" in docs/configuration.md.
    /// </summary>
    public Attune.Security.EncryptionOptions Encryption { get; set; } = new();

    /// <summary>User-token secrets, the first signs and all verify (rotation); each at least 32 characters. Empty: see
    /// <see cref="UserTokenSecret"/>, else one is generated and kept in the store.</summary>
    public List<string> UserTokenSecrets { get; set; } = [];

    /// <summary>One user-token secret, or several separated by commas (the first signs): the short form of <see cref="UserTokenSecrets"/>.</summary>
    public string? UserTokenSecret { get; set; }

    /// <summary>Attributes that never become features of offer (and price) decisions, e.g. <c>age</c>, <c>gender</c>: the user
    /// record's attributes and the context's top-level names.</summary>
    public List<string> ProtectedAttributes { get; set; } = [];

    /// <summary>The chat model that drafts decision actions (<c>POST /v1/decisions/{point}/variants</c>); none: templates.</summary>
    public VariantModelOptions Variants { get; set; } = new();
}

/// <summary>An OpenAI-compatible chat endpoint (OpenAI, Azure OpenAI's v1 API, Ollama's <c>/v1</c>, vLLM, LM Studio…).</summary>
public sealed class VariantModelOptions
{
    /// <summary>The API's base URL, e.g. <c>http://localhost:11434/v1</c> (Ollama) or <c>https://api.openai.com/v1</c>.</summary>
    public string? Endpoint { get; set; }

    /// <summary>The model name, e.g. <c>llama3.1</c> or <c>gpt-4o-mini</c>.</summary>
    public string? Model { get; set; }

    /// <summary>The key, when the endpoint needs one.</summary>
    public string? ApiKey { get; set; }

    /// <summary>How long one drafting call may take. <value>The default value is 60 seconds.</value></summary>
    public int TimeoutSeconds { get; set; } = 60;
}

/// <summary>One API key: the key itself or its SHA-256 hash, and what it may do.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>A name for logs and the dashboard, e.g. <c>web-tracker</c>.</summary>
    public string? Name { get; set; }

    /// <summary>The key in clear; hashed at start and never kept. Prefer <see cref="KeyHash"/> in files.</summary>
    public string? Key { get; set; }

    /// <summary>Lower-case hex SHA-256 of the key, as printed by <c>attune key new</c>.</summary>
    public string? KeyHash { get; set; }

    /// <summary><c>admin</c> (everything), <c>ingest</c> (events and identify), <c>serve</c> (reads and recommendations).</summary>
    public List<string> Scopes { get; set; } = [];

    /// <summary>Web origins that may use this key from a browser (<c>https://shop.example.com</c>; <c>*</c> = any): CORS.</summary>
    public List<string> Origins { get; set; } = [];

    /// <summary>Requests per second this key may make (bursts up to the same number); 0 = no limit; unset = <see cref="AttuneOptions.KeyRequestsPerSecond"/>.</summary>
    public int? RequestsPerSecond { get; set; }
}

/// <summary>The store (configuration section <c>Attune:Store</c>).</summary>
public sealed class StoreOptions
{
    /// <summary>A PostgreSQL connection string or <c>postgres://user:password@host:port/database</c> URL
    /// (<c>ATTUNE__STORE__POSTGRES</c>, or <c>attune serve --store</c>); empty = the embedded SQLite store.</summary>
    public string? Postgres { get; set; }

    /// <summary>The PostgreSQL schema Attune's tables live in. <value>The default value is <c>attune</c>.</value></summary>
    public string Schema { get; set; } = "attune";

    /// <summary>How long the start keeps retrying an unreachable database, in seconds. <value>The default value is 120.</value></summary>
    public int ConnectTimeoutSeconds { get; set; } = 120;
}

