using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Attune.Model;
using Attune.Security;
using Attune.Server.Hosting;
using Attune.Storage;
using Attune.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Attune.Tests.Storage;

/// <summary>Encryption at rest of personal fields: real SQLite files in a temp folder, the bytes of the file checked.</summary>
public sealed class EncryptionTests : IDisposable
{
    private const string Secret = "Secretville-7f3a"; // an attribute value that must not appear in the file
    private static readonly string K1 = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
    private static readonly string K2 = Convert.ToBase64String(Enumerable.Range(101, 32).Select(i => (byte)i).ToArray());

    private readonly TempDirectory _dir = TestPaths.NewTempDirectory();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _dir.Dispose();

    private static FieldCipher Cipher(string active, params (string Id, string Key)[] keys)
    {
        var o = new EncryptionOptions { ActiveKey = active };
        foreach (var (id, key) in keys) o.Keys[id] = key;
        return FieldCipher.FromOptions(o)!;
    }

    private SqliteStore Open(FieldCipher? cipher) =>
        SqliteStore.Open(new SqliteStoreOptions { DataDirectory = _dir.Path, FullSync = false, Cipher = cipher });

    private static User Alice => new()
    {
        Id = "alice", Attributes = new Dictionary<string, string> { ["city"] = Secret },
        Consent = new Consent { Marketing = false },
    };

    /// <summary>The database file's bytes after the WAL is folded into it (and the WAL emptied).</summary>
    private byte[] FileBytes()
    {
        string path = Path.Combine(_dir.Path, "attune.db");
        using (var c = new SqliteConnection($"Data Source={path};Pooling=false"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            cmd.ExecuteNonQuery();
        }
        var bytes = File.ReadAllBytes(path);
        string wal = path + "-wal";
        return File.Exists(wal) ? [.. bytes, .. File.ReadAllBytes(wal)] : bytes;
    }

    private static bool Contains(byte[] haystack, string needle) => haystack.AsSpan().IndexOf(Encoding.UTF8.GetBytes(needle)) >= 0;

    private string RawUserDoc(string id)
    {
        using var c = new SqliteConnection($"Data Source={Path.Combine(_dir.Path, "attune.db")};Pooling=false");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT doc FROM profiles WHERE kind = 0 AND id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        return (string)cmd.ExecuteScalar()!;
    }

    private void SetRawUserDoc(string id, string doc)
    {
        using var c = new SqliteConnection($"Data Source={Path.Combine(_dir.Path, "attune.db")};Pooling=false");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "UPDATE profiles SET doc = $doc WHERE kind = 0 AND id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        cmd.Parameters.AddWithValue("$doc", doc);
        cmd.ExecuteNonQuery();
    }

    [Fact]
    public async Task WithAKeyAttributesAreNotInTheFileYetReadBackThroughTheStore()
    {
        await using (var store = Open(Cipher("k1", ("k1", K1))))
        {
            await store.UpsertUsersAsync([Alice], Ct);
            await store.PutDocumentAsync("erasure-pending", "e1", $$"""{"ids":["{{Secret}}-doc"]}""", Ct);
            var user = await store.GetUserAsync("alice", Ct);
            Assert.Equal(Secret, user!.Attributes["city"]);
            Assert.False(user.Consent!.Marketing);
            Assert.Equal(Secret, (await store.ListUsersAsync(null, 10, Ct)).Data.Single().Attributes["city"]);
            Assert.Equal(Secret, (await store.GetProfileAsync("alice", ct: Ct))!.Attributes["city"]);
            Assert.Contains(Secret + "-doc", (await store.ListDocumentsAsync("erasure-pending", Ct)).Single().Json);
            var consents = await store.ReadStatedConsentsAsync(Ct).ToListAsync(Ct);
            Assert.False(Assert.Single(consents, c => c.UserId == "alice").Consent.Marketing);
            // Re-sending attributes without consent keeps the stated one (read back through the cipher on the writer).
            await store.UpsertUsersAsync([new User { Id = "alice", Attributes = new Dictionary<string, string> { ["city"] = Secret + "2" } }], Ct);
            Assert.False((await store.GetUserAsync("alice", Ct))!.Consent!.Marketing);
            var stats = await store.GetStatsAsync(Ct);
            Assert.Equal(2, stats.EncryptedValues!["k1"]);
        }
        var bytes = FileBytes();
        Assert.False(Contains(bytes, Secret), "an attribute value is in clear in the database file");
        Assert.True(Contains(bytes, "enc:v1:k1:"), "the values carry their key id");
        Assert.StartsWith("enc:v1:k1:", RawUserDoc("alice"));
    }

    [Fact]
    public async Task WithoutKeysValuesArePlainAsBefore()
    {
        await using (var store = Open(null))
        {
            await store.UpsertUsersAsync([Alice], Ct);
            Assert.Null((await store.GetStatsAsync(Ct)).EncryptedValues);
        }
        Assert.True(Contains(FileBytes(), Secret));
        Assert.StartsWith("{", RawUserDoc("alice"));
    }

    [Fact]
    public async Task PlainValuesWrittenBeforeEncryptionStillReadAndThePassEncryptsThem()
    {
        await using (var store = Open(null))
        {
            await store.UpsertUsersAsync([Alice], Ct);
            await store.PutDocumentAsync("rule", "r1", """{"name":"plain"}""", Ct);
        }
        await using (var store = Open(Cipher("k1", ("k1", K1))))
        {
            Assert.Equal(Secret, (await store.GetUserAsync("alice", Ct))!.Attributes["city"]);
            Assert.False(Assert.Single(await store.ReadStatedConsentsAsync(Ct).ToListAsync(Ct)).Consent.Marketing);
            Assert.Equal(2, (await store.GetEncryptionStatusAsync(Ct))![SqliteStore.PlainLabel]);
            Assert.Equal(2, await store.ReencryptAsync(ct: Ct));
            var status = await store.GetEncryptionStatusAsync(Ct);
            Assert.False(status!.ContainsKey(SqliteStore.PlainLabel));
            Assert.Equal(2, status["k1"]);
            Assert.Equal("""{"name":"plain"}""", (await store.ListDocumentsAsync("rule", Ct)).Single().Json);
        }
        Assert.False(Contains(FileBytes(), Secret));
    }

    [Fact]
    public async Task RotationMovesEveryValueToTheNewKeyAndTheOldKeyCanThenBeRemoved()
    {
        await using (var store = Open(Cipher("k1", ("k1", K1))))
        {
            var users = Enumerable.Range(0, 300).Select(i => new User { Id = $"u{i}", Attributes = new Dictionary<string, string> { ["n"] = $"v{i}" } }).ToList();
            await store.UpsertUsersAsync(users, Ct);
            await store.PutDocumentAsync("doc", "d1", """{"x":1}""", Ct);
        }
        // Before the pass, k2 alone cannot open: the values under k1 are named at open, not on some later read.
        var missing = Assert.Throws<EncryptionKeyException>(() => Open(Cipher("k2", ("k2", K2))));
        Assert.Contains("'k1'", missing.Message);
        Assert.Contains("Attune:Encryption:Keys:k1", missing.Message);

        await using (var store = Open(Cipher("k2", ("k1", K1), ("k2", K2))))
        {
            // Both keys configured, k2 active: old values read, new writes use k2.
            Assert.Equal("v7", (await store.GetUserAsync("u7", Ct))!.Attributes["n"]);
            await store.UpsertUsersAsync([Alice], Ct);
            Assert.StartsWith("enc:v1:k2:", RawUserDoc("alice"));
            var reported = new List<long>();
            long rewritten = await store.ReencryptAsync(batchRows: 64, progress: new SyncProgress(reported), ct: Ct);
            Assert.Equal(301, rewritten); // 300 users + 1 document; alice was already under k2
            Assert.True(reported.Count > 2, "progress is reported batch by batch");
            var status = await store.GetEncryptionStatusAsync(Ct);
            Assert.Equal(302, status!["k2"]);
            Assert.False(status.ContainsKey("k1"));
        }
        await using (var store = Open(Cipher("k2", ("k2", K2))))
        {
            for (int i = 0; i < 300; i += 37) Assert.Equal($"v{i}", (await store.GetUserAsync($"u{i}", Ct))!.Attributes["n"]);
            Assert.Equal(Secret, (await store.GetUserAsync("alice", Ct))!.Attributes["city"]);
            Assert.Equal("""{"x":1}""", (await store.ListDocumentsAsync("doc", Ct)).Single().Json);
        }
    }

    [Fact]
    public async Task AValueUnderAKeyThatIsNotConfiguredIsAClearErrorNamingTheKey()
    {
        await using (var store = Open(Cipher("k1", ("k1", K1)))) await store.UpsertUsersAsync([Alice], Ct);
        // No keys at all: the open refuses, naming the key.
        var e = Assert.Throws<EncryptionKeyException>(() => Open(null));
        Assert.Contains("'k1'", e.Message);
        Assert.DoesNotContain(Secret, e.Message);
        // A value the open check cannot know about (copied in from elsewhere): the read names the key.
        string copied = RawUserDoc("alice").Replace("enc:v1:k1:", "enc:v1:k9:");
        SetRawUserDoc("alice", copied);
        await using var reopened = Open(Cipher("k1", ("k1", K1)));
        var read = await Assert.ThrowsAsync<EncryptionKeyException>(() => reopened.GetUserAsync("alice", Ct));
        Assert.Contains("'k9'", read.Message);
        Assert.Contains("Attune:Encryption:Keys:k9", read.Message);
        Assert.DoesNotContain("alice", read.Message); // no person's id in an error (it ends in logs)
    }

    [Fact]
    public async Task WrongKeyBytesOrATamperedValueFailAuthenticationInsteadOfReadingGarbage()
    {
        await using (var store = Open(Cipher("k1", ("k1", K1)))) await store.UpsertUsersAsync([Alice], Ct);
        // Same id, other bytes.
        await using (var store = Open(Cipher("k1", ("k1", K2))))
        {
            var e = await Assert.ThrowsAsync<EncryptionKeyException>(() => store.GetUserAsync("alice", Ct));
            Assert.Contains("does not decrypt under key 'k1'", e.Message);
        }
        // One ciphertext character changed.
        string doc = RawUserDoc("alice");
        int at = doc.Length - 30;
        SetRawUserDoc("alice", doc[..at] + (doc[at] == 'A' ? 'B' : 'A') + doc[(at + 1)..]);
        await using (var store = Open(Cipher("k1", ("k1", K1))))
        {
            var e = await Assert.ThrowsAsync<EncryptionKeyException>(() => store.GetUserAsync("alice", Ct));
            Assert.Contains("altered", e.Message);
        }
    }

    [Fact]
    public void ACiphertextIsBoundToItsColumn()
    {
        var cipher = Cipher("k1", ("k1", K1));
        string sealedValue = cipher.Encrypt("{}", "profiles.doc"u8);
        Assert.Equal("{}", cipher.Decrypt(sealedValue, "profiles.doc"u8, "x"));
        Assert.Throws<EncryptionKeyException>(() => cipher.Decrypt(sealedValue, "documents.json"u8, "x"));
        Assert.NotEqual(sealedValue, cipher.Encrypt("{}", "profiles.doc"u8)); // a fresh nonce every time
    }

    [Theory]
    [InlineData("c2hvcnQ=", "Attune:Encryption:Keys:k1 decodes to 5 bytes")]
    [InlineData("not base64!", "Attune:Encryption:Keys:k1 is not base64")]
    public void AKeyThatIsNotThirtyTwoBytesOfBase64IsAClearErrorNamingTheSetting(string key, string expected)
    {
        var e = Assert.Throws<EncryptionKeyException>(() => Cipher("k1", ("k1", key)));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void TheActiveKeyMustBeOneOfTheKeysAndIsNeededWhenThereAreSeveral()
    {
        Assert.Contains("Attune:Encryption:ActiveKey", Assert.Throws<EncryptionKeyException>(() => Cipher("k3", ("k1", K1))).Message);
        Assert.Contains("Attune:Encryption:ActiveKey", Assert.Throws<EncryptionKeyException>(() =>
            FieldCipher.FromOptions(new EncryptionOptions { Keys = { ["k1"] = K1, ["k2"] = K2 } })).Message);
        Assert.Equal("k1", FieldCipher.FromOptions(new EncryptionOptions { Keys = { ["k1"] = K1 } })!.ActiveKeyId);
        Assert.Null(FieldCipher.FromOptions(new EncryptionOptions()));
        Assert.Contains("a key id", Assert.Throws<EncryptionKeyException>(() => Cipher("k:1", ("k:1", K1))).Message);
    }

    [Fact]
    public async Task TheServerTakesKeysFromConfigurationAndReportsValuesPerKey()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Attune:Encryption:Keys:k1"] = K1,
            ["Attune:Encryption:ActiveKey"] = "k1",
        };
        await using (var server = await Server.TestServer.StartAsync(settings, _dir.Path))
        {
            var put = await server.Client.PostAsJsonAsync("/v1/users", new[] { Alice }, Ct);
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync(Ct));
            var user = await server.Client.GetFromJsonAsync<JsonElement>("/v1/users/alice", Ct);
            Assert.Equal(Secret, user.GetProperty("attributes").GetProperty("city").GetString());
            var stats = await server.Client.GetFromJsonAsync<JsonElement>("/v1/stats", Ct);
            // The user record and the user-token secret the server generated and stored (a document) at its start.
            Assert.Equal(2, stats.GetProperty("encryptedValues").GetProperty("k1").GetInt64());
        }
        Assert.False(Contains(FileBytes(), Secret));
        // A bad key in configuration stops the start with one line naming the setting.
        var bad = new Dictionary<string, string?> { ["Attune:Encryption:Keys:k1"] = "c2hvcnQ=" };
        var e = Assert.Throws<AttuneStartException>(() => AttuneHost.Build([], "http://127.0.0.1:0", _dir.Path, bad));
        Assert.Contains("Attune:Encryption:Keys:k1", e.Message);
        // The old key removed too early: the start names it.
        var missing = new Dictionary<string, string?> { ["Attune:Encryption:Keys:k2"] = K2 };
        var m = Assert.Throws<AttuneStartException>(() => AttuneHost.Build([], "http://127.0.0.1:0", _dir.Path, missing));
        Assert.Contains("'k1'", m.Message);
    }

    /// <summary>Records reports synchronously (<see cref="Progress{T}"/> posts them later).</summary>
    private sealed class SyncProgress(List<long> into) : IProgress<long>
    {
        public void Report(long value) => into.Add(value);
    }
}

/// <summary>The whole store contract, with every user record and document encrypted.</summary>
public sealed class EncryptedSqliteStoreTests : StoreContractTests, IDisposable
{
    private readonly TempDirectory _dir = TestPaths.NewTempDirectory();
    private static readonly FieldCipher Cipher = FieldCipher.FromOptions(new EncryptionOptions { Keys = { ["k1"] = FieldCipher.NewKey() } })!;

    protected override Task<IAttuneStore> OpenFreshAsync() =>
        Task.FromResult<IAttuneStore>(SqliteStore.Open(new SqliteStoreOptions { DataDirectory = _dir.Path, Cipher = Cipher }));

    protected override async Task<IAttuneStore> ReopenAsync(IAttuneStore store)
    {
        await store.DisposeAsync();
        return SqliteStore.Open(new SqliteStoreOptions { DataDirectory = _dir.Path, Cipher = Cipher });
    }

    public void Dispose() => _dir.Dispose();
}
