using System.Text.Json;
using Attune.Model;
using Attune.Serving.Scenarios;
using Attune.Serving.Sources;
using Attune.Storage;
using Microsoft.Extensions.Logging;

namespace Attune.Serving.Recipes;

/// <summary>A recipe checked against the registered sources, with every scenario compiled; immutable.</summary>
public sealed class CompiledRecipe(Recipe recipe, IReadOnlyDictionary<string, CompiledScenario> scenarios)
{
    public Recipe Recipe { get; } = recipe;
    public string Name => Recipe.Name;
    public int Version => Recipe.Version;
    public string? ModelVersion => Recipe.ModelVersion;
    public IReadOnlyDictionary<string, CompiledScenario> Scenarios { get; } = scenarios;
}

/// <summary>
/// The recipes of an engine: the default one (shipped scenarios, configuration, and a stored <c>default</c> recipe over them)
/// and the stored ones laid over it, each compiled once per change. Stored as documents (<see cref="Kind"/>, by name); every
/// version, deletions included, is kept as a document of <see cref="VersionKind"/> (<c>name@000003</c>). Reads take one
/// volatile snapshot; writes are serialized.
/// </summary>
public sealed class RecipeBook(IAttuneStore store, SourceRegistry sources, IReadOnlyDictionary<string, ScenarioOptions> builtIn,
    TimeProvider time, ILogger log)
{
    public const string Kind = "recipe";
    public const string VersionKind = "recipe-version";

    private readonly SemaphoreSlim _writes = new(1, 1);
    private readonly Dictionary<string, Recipe> _stored = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _lastVersion = new(StringComparer.Ordinal);
    private volatile Dictionary<string, CompiledRecipe> _compiled = Compile(builtIn, new Dictionary<string, Recipe>(), sources, log);

    public SourceRegistry Sources => sources;

    /// <summary>The scenario names recipes may set (the default recipe's).</summary>
    public IReadOnlyCollection<string> ScenarioNames => builtIn.Keys.ToArray();

    public CompiledRecipe Default => _compiled[Recipe.DefaultName];

    /// <summary>Every recipe, the default first, then by name.</summary>
    public IReadOnlyList<CompiledRecipe> All =>
        [.. _compiled.Values.OrderBy(r => r.Name == Recipe.DefaultName ? 0 : 1).ThenBy(r => r.Name, StringComparer.Ordinal)];

    public bool TryGet(string name, out CompiledRecipe recipe) => _compiled.TryGetValue(name, out recipe!);

    /// <summary>Reads the stored recipes (start-up, or another writer changed them).</summary>
    public async Task LoadAsync(CancellationToken ct = default)
    {
        await _writes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            // Read under the write lock: a reload never sees half of a change this process is making.
            var docs = await store.ListDocumentsAsync(Kind, ct).ConfigureAwait(false);
            var history = await store.ListDocumentsAsync(VersionKind, ct).ConfigureAwait(false);
            _stored.Clear();
            _lastVersion.Clear();
            foreach (var doc in history)
            {
                if (Parse(doc) is { } r) _lastVersion[r.Name] = Math.Max(_lastVersion.GetValueOrDefault(r.Name), r.Version);
            }
            foreach (var doc in docs)
            {
                if (Parse(doc) is { } r) _stored[r.Name] = r;
            }
            _compiled = Compile(builtIn, _stored, sources, log);
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>Checks a recipe as it would serve (laid over the current default) without storing it.</summary>
    public CompiledRecipe Check(Recipe recipe)
    {
        var stored = new Dictionary<string, Recipe>(_stored, StringComparer.Ordinal) { [recipe.Name] = recipe };
        var defaults = Resolve(builtIn, stored.GetValueOrDefault(Recipe.DefaultName));
        return new CompiledRecipe(recipe, CompileOver(defaults, recipe, sources));
    }

    /// <summary>Stores a new version of a recipe and serves it from the next request. Throws <see cref="RecipeException"/>.</summary>
    public async Task<CompiledRecipe> PutAsync(Recipe recipe, CancellationToken ct = default)
    {
        await _writes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var versioned = recipe with { Version = _lastVersion.GetValueOrDefault(recipe.Name) + 1, UpdatedAt = time.GetUtcNow(), Deleted = null };
            Check(versioned); // its own problems first, named as the caller wrote them
            var stored = new Dictionary<string, Recipe>(_stored, StringComparer.Ordinal) { [recipe.Name] = versioned };
            var compiled = Compile(builtIn, stored, sources, log, strict: true);
            string json = JsonSerializer.Serialize(versioned, AttuneJson.Options);
            await store.PutDocumentAsync(VersionKind, VersionId(versioned.Name, versioned.Version), json, ct).ConfigureAwait(false);
            await store.PutDocumentAsync(Kind, versioned.Name, json, ct).ConfigureAwait(false);
            _stored[versioned.Name] = versioned;
            _lastVersion[versioned.Name] = versioned.Version;
            _compiled = compiled;
            return compiled[versioned.Name];
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>Deletes a recipe (the <c>default</c> one returns to the shipped and configured scenarios); false when there was none.</summary>
    public async Task<bool> DeleteAsync(string name, CancellationToken ct = default)
    {
        await _writes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!_stored.TryGetValue(name, out var old)) return false;
            var tombstone = old with { Version = _lastVersion.GetValueOrDefault(name) + 1, UpdatedAt = time.GetUtcNow(), Deleted = true, Scenarios = [] };
            var stored = new Dictionary<string, Recipe>(_stored, StringComparer.Ordinal);
            stored.Remove(name);
            var compiled = Compile(builtIn, stored, sources, log);
            await store.PutDocumentAsync(VersionKind, VersionId(name, tombstone.Version), JsonSerializer.Serialize(tombstone, AttuneJson.Options), ct)
                .ConfigureAwait(false);
            await store.DeleteDocumentAsync(Kind, name, ct).ConfigureAwait(false);
            _stored.Remove(name);
            _lastVersion[name] = tombstone.Version;
            _compiled = compiled;
            return true;
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>Every stored version of a recipe, oldest first (deletions included).</summary>
    public async Task<IReadOnlyList<Recipe>> HistoryAsync(string name, CancellationToken ct = default)
    {
        var list = await Engine.DocumentHistory.ReadAsync<Recipe>(store, VersionKind, name, log, ct).ConfigureAwait(false);
        list.RemoveAll(r => r.Name != name);
        list.Sort((a, b) => a.Version.CompareTo(b.Version));
        return list;
    }

    private static string VersionId(string name, int version) => $"{name}@{version:D6}";

    private Recipe? Parse(StoredDocument doc)
    {
        try
        {
            return JsonSerializer.Deserialize<Recipe>(doc.Json, AttuneJson.Options);
        }
        catch (JsonException e)
        {
            log.LogWarning(e, "Recipe document {Id} is unreadable and was skipped", doc.Id);
            return null;
        }
    }

    /// <summary>The default recipe's scenarios: the shipped and configured ones with a stored <c>default</c> recipe over them.</summary>
    private static Dictionary<string, ScenarioOptions> Resolve(IReadOnlyDictionary<string, ScenarioOptions> builtIn, Recipe? stored)
    {
        var all = new Dictionary<string, ScenarioOptions>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, options) in builtIn)
            all[name] = stored?.Scenarios.GetValueOrDefault(name) is { } partial ? partial.ApplyTo(options) : options.Clone();
        return all;
    }

    private static Dictionary<string, CompiledScenario> CompileOver(Dictionary<string, ScenarioOptions> defaults, Recipe recipe, SourceRegistry sources)
    {
        foreach (string name in recipe.Scenarios.Keys)
        {
            if (!defaults.ContainsKey(name)) throw new RecipeException($"scenarios.{name}", $"unknown scenario '{name}'");
        }
        var resolved = new Dictionary<string, ScenarioOptions>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, options) in defaults)
            resolved[name] = recipe.Scenarios.GetValueOrDefault(name) is { } partial ? partial.ApplyTo(options) : options;
        return RecipeCompiler.CompileAll(resolved, sources);
    }

    /// <summary>
    /// Compiles the default and every stored recipe. <paramref name="strict"/> (a write) throws on any problem; otherwise
    /// (start-up) a recipe that no longer compiles, say because a source was unregistered, is logged and left out.
    /// </summary>
    private static Dictionary<string, CompiledRecipe> Compile(IReadOnlyDictionary<string, ScenarioOptions> builtIn,
        IReadOnlyDictionary<string, Recipe> stored, SourceRegistry sources, ILogger log, bool strict = false)
    {
        var result = new Dictionary<string, CompiledRecipe>(StringComparer.Ordinal);
        var storedDefault = stored.GetValueOrDefault(Recipe.DefaultName);
        Dictionary<string, ScenarioOptions> defaults;
        try
        {
            defaults = Resolve(builtIn, storedDefault);
            result[Recipe.DefaultName] = new CompiledRecipe(storedDefault ?? new Recipe { Name = Recipe.DefaultName },
                RecipeCompiler.CompileAll(defaults, sources));
        }
        catch (RecipeException e) when (!strict && storedDefault is not null)
        {
            log.LogWarning("The stored default recipe does not compile ({Problem}); serving the shipped scenarios", e.Message);
            defaults = Resolve(builtIn, null);
            result[Recipe.DefaultName] = new CompiledRecipe(new Recipe { Name = Recipe.DefaultName }, RecipeCompiler.CompileAll(defaults, sources));
        }
        if (!stored.ContainsKey(Recipe.NonPersonalName))
        {
            // Shipped, over whatever the default is now; scenarios configuration adds keep the default's sources.
            var nonPersonal = Recipe.NonPersonal with
            {
                Scenarios = new(Recipe.NonPersonal.Scenarios.Where(kv => defaults.ContainsKey(kv.Key)), StringComparer.OrdinalIgnoreCase),
            };
            result[Recipe.NonPersonalName] = new CompiledRecipe(nonPersonal, CompileOver(defaults, nonPersonal, sources));
        }
        foreach (var (name, recipe) in stored)
        {
            if (name == Recipe.DefaultName) continue;
            try
            {
                result[name] = new CompiledRecipe(recipe, CompileOver(defaults, recipe, sources));
            }
            catch (RecipeException e) when (!strict)
            {
                log.LogWarning("Recipe {Name} does not compile ({Problem}) and is not served", name, e.Message);
            }
            catch (RecipeException e)
            {
                throw new RecipeException(e.Field, $"{e.Reason} (in recipe '{name}', which builds on the default)");
            }
        }
        return result;
    }
}
