using Attune.Algorithms.Als;
using Attune.Algorithms.Bpr;
using Attune.Algorithms.Content;
using Attune.Algorithms.Ease;
using Attune.Algorithms.Hybrid;
using Attune.Algorithms.ItemKnn;
using Attune.Algorithms.Neural;
using Attune.Algorithms.Popularity;
using Attune.Algorithms.Sequence;

namespace Attune.Algorithms;

public static partial class ModelCatalog
{
    /// <summary>One line per model, alphabetical; the hybrid last, since it is built from the others.</summary>
    private static void RegisterBuiltIns()
    {
        Register(AlsModel.Descriptor);
        Register(BprModel.Descriptor);
        Register(ContentModel.Descriptor);
        Register(EaseModel.Descriptor);
        Register(ItemKnnModel.Descriptor);
        Register(PopularityModel.Descriptor);
        Register(SasRecModel.Descriptor);
        Register(SequenceDescriptors.Sequence);
        Register(TrendingModel.Descriptor);
        Register(HybridDescriptor.Create());
    }
}
