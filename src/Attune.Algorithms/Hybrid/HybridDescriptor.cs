namespace Attune.Algorithms.Hybrid;

public static class HybridDescriptor
{
    /// <summary>The components tried by default, when registered.</summary>
    public static readonly string[] DefaultComponents = ["ease", "als", "itemknn", "sequence", "content", "popularity"];

    private static readonly HashSet<string> s_tuned = new(StringComparer.OrdinalIgnoreCase)
    {
        "ease.lambda", "itemknn.k", "itemknn.alpha", "als.factors", "als.reg", "als.alpha",
    };

    /// <summary>
    /// The catalog entry. Parameters: <c>components=ease,als,itemknn</c>, component parameters prefixed by the component name
    /// (<c>ease.lambda=300</c>, <c>als.factors=128</c>), <c>validationUsers</c>. Its search space is the union of the components'
    /// spaces, prefixed. Built after the components are registered.
    /// </summary>
    public static ModelDescriptor Create()
    {
        var components = DefaultComponents.Where(c => ModelCatalog.TryGet(c, out _)).ToArray();
        // Tune only the parameters that matter most per component: a small space is what a short budget can search.
        var space = components.SelectMany(c => ModelCatalog.Get(c).SearchSpace.Select(r => r with { Name = $"{c}.{r.Name}" }))
            .Where(r => s_tuned.Contains(r.Name)).ToList();
        return new ModelDescriptor(
            "hybrid",
            "A blend of " + string.Join(", ", components) + " whose weights are learned on a validation split",
            p =>
            {
                var names = p.String("components", string.Join(",", components)).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                foreach (string n in names) ModelCatalog.Get(n);
                var perComponent = names.ToDictionary(n => n, p.Prefixed, StringComparer.OrdinalIgnoreCase);
                // EASE is dense: keep the default blend fast on large catalogs unless asked otherwise.
                if (perComponent.TryGetValue("ease", out var ease) && !ease.Values.ContainsKey("maxItems"))
                    perComponent["ease"] = ease.With("maxItems", "8000");
                return new HybridTrainer(new HybridOptions
                {
                    Components = names,
                    ComponentParameters = perComponent,
                    ValidationUsers = p.Int("validationUsers", 3_000),
                });
            },
            HybridModel.Load,
            space);
    }
}
