using System.CommandLine;
using Attune.Server.Security;

namespace Attune.Cli.Commands;

internal static class KeyCommand
{
    public static Command Create()
    {
        var create = new Command("new", "Print a new random API key and the SHA-256 hash to configure (Attune:ApiKeys:N:KeyHash)");
        create.SetAction(_ =>
        {
            string key = ApiKeyStore.NewKey();
            Console.WriteLine($"key:     {key}");
            Console.WriteLine($"keyHash: {ApiKeyStore.HashHex(key)}");
            return 0;
        });
        var hash = new Argument<string>("key") { Description = "The key to hash" };
        var hashCommand = new Command("hash", "Print the SHA-256 hash of a key") { hash };
        hashCommand.SetAction(r =>
        {
            Console.WriteLine(ApiKeyStore.HashHex(r.GetValue(hash)!));
            return 0;
        });
        return new Command("key", "Make API keys") { create, hashCommand };
    }
}
