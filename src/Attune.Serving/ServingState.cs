using Attune.Algorithms.Content;
using Attune.Serving.Catalog;
using Attune.Serving.Live;
using Attune.Serving.Models;
using Attune.Serving.Rules;

namespace Attune.Serving;

/// <summary>
/// Everything one request reads, swapped whole: the model bundle, the catalog in the bundle's index space, the content model
/// (refit when the catalog grows), online trending and the compiled rules. A request takes the state once and uses only it, so
/// a swap never mixes two versions inside one answer and needs no lock.
/// </summary>
public sealed class ServingState(ModelBundle bundle, CatalogView catalog, ContentModel? content, TrendingCounters trending, RuleBook rules)
{
    public ModelBundle Bundle { get; } = bundle;
    public CatalogView Catalog { get; } = catalog;
    public ContentModel? Content { get; } = content;
    public TrendingCounters Trending { get; } = trending;
    public RuleBook Rules { get; } = rules;
    public long SnapshotMs { get; } = bundle.Info.SnapshotAt.ToUnixTimeMilliseconds();

    public ServingState With(ContentModel? content = null, RuleBook? rules = null) =>
        new(Bundle, Catalog, content ?? Content, Trending, rules ?? Rules);
}
