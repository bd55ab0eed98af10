using Attune.Algorithms.Popularity;

namespace Attune.Algorithms;

public static partial class ModelCatalog
{
    /// <summary>One line per model. Keep alphabetical.</summary>
    private static void RegisterBuiltIns()
    {
        Register(PopularityModel.Descriptor);
    }
}
