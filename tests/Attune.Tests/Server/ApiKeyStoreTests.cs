using Attune.Server.Hosting;
using Attune.Server.Security;

namespace Attune.Tests.Server;

public sealed class ApiKeyStoreTests
{
    private const string Configured = "configured-key-0123456789";
    private const string Stored = "stored-key-0123456789";

    private static StoredApiKey Key(string name, string key, string scope, bool revoked = false) =>
        new(name, [scope], ApiKeyStore.HashHex(key), DateTimeOffset.UnixEpoch, "ops", revoked ? DateTimeOffset.UnixEpoch.AddDays(1) : null);

    [Fact]
    public void StoredKeysMatchBesideConfiguredOnesUntilRevoked()
    {
        var keys = new ApiKeyStore([new ApiKeyOptions { Name = "ops", Key = Configured, Scopes = ["admin"] }]);
        Assert.Null(keys.Find(Stored));

        keys.SetStored([Key("app", Stored, "serve")]);
        Assert.Equal((Scope.Serve, "app"), keys.Find(Stored));
        Assert.Equal((Scope.Admin, "ops"), keys.Find(Configured));
        Assert.Equal(2, keys.Count);
        Assert.Equal(1, keys.AdminCount);

        keys.SetStored([Key("app", Stored, "serve", revoked: true)]);
        Assert.Null(keys.Find(Stored));
        Assert.Equal((Scope.Admin, "ops"), keys.Find(Configured));
        Assert.Single(keys.Stored); // still listed, revoked
    }

    [Fact]
    public void AStoredKeyAloneSwitchesAuthenticationOnAndItsRevocationOff()
    {
        var keys = new ApiKeyStore([]);
        Assert.True(keys.IsEmpty);
        keys.SetStored([Key("first", Stored, "admin")]);
        Assert.False(keys.IsEmpty);
        Assert.Equal(1, keys.AdminCount);
        keys.SetStored([Key("first", Stored, "admin", revoked: true)]);
        Assert.True(keys.IsEmpty);
    }

    [Fact]
    public void AStoredKeyWithNoKnownScopeMatchesNothing()
    {
        var keys = new ApiKeyStore([]);
        keys.SetStored([Key("future", Stored, "superpower")]);
        Assert.Null(keys.Find(Stored));
        Assert.True(keys.IsEmpty);
    }
}
