using System.Collections.Concurrent;
using Attune.Model;

namespace Attune.Serving.Pipeline;

/// <summary>What the pipeline needs besides the state: settings, consent, repeat-buy categories, context lookups.</summary>
internal sealed class ServingContext(ServingOptions options)
{
    private readonly ConcurrentDictionary<string, byte> _optedOut = new(StringComparer.Ordinal);
    private readonly string[] _repeatBuy = options.RepeatBuyCategories.Select(c => c.Trim('/')).Where(c => c.Length > 0).ToArray();

    public ServingOptions Options { get; } = options;

    /// <summary>How many users opted out of personalization.</summary>
    public int OptedOutCount => _optedOut.Count;

    public bool IsOptedOut(string userId) => !_optedOut.IsEmpty && _optedOut.ContainsKey(userId);

    public void SetConsent(string userId, bool personalization)
    {
        if (personalization) _optedOut.TryRemove(userId, out _);
        else _optedOut[userId] = 0;
    }

    /// <summary>Whether an item belongs to a category people buy again (its purchase does not exclude it).</summary>
    public bool IsRepeatBuy(Item? item)
    {
        if (item is null || _repeatBuy.Length == 0) return false;
        foreach (string category in item.Categories)
        {
            foreach (string prefix in _repeatBuy)
            {
                if (category.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
                    && (category.Length == prefix.Length || category[prefix.Length] == '/'))
                    return true;
            }
        }
        return false;
    }
}
