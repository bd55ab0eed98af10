using System.CommandLine;
using Attune.Security;
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
        var keyId = new Option<string>("--id")
        {
            Description = "The key id to print the settings for (1 to 32 of A-Z a-z 0-9 _ -)",
            DefaultValueFactory = _ => "k" + TimeProvider.System.GetUtcNow().ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture),
        };
        var encryption = new Command("encryption", "Print a new random AES-256 key for encryption at rest (Attune:Encryption:Keys:ID)") { keyId };
        encryption.SetAction(r =>
        {
            string id = r.GetValue(keyId)!;
            if (!FieldCipher.IsValidKeyId(id))
            {
                Console.Error.WriteLine($"attune: --id {id}: a key id is 1 to 32 of A-Z a-z 0-9 _ -");
                return 2;
            }
            string key = FieldCipher.NewKey();
            Console.WriteLine($"Attune__Encryption__Keys__{id}={key}");
            Console.WriteLine($"Attune__Encryption__ActiveKey={id}");
            Console.Error.WriteLine("Keep the old keys configured until 'encryptedValues' (GET /v1/stats, attune stats) shows none under them.");
            return 0;
        });
        return new Command("key", "Make API keys and encryption keys") { create, hashCommand, encryption };
    }
}
