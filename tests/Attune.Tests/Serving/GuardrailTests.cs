using Attune.Model;
using Attune.Serving;
using Attune.Serving.Pipeline;
using Attune.Serving.Scenarios;

namespace Attune.Tests.Serving;

public sealed class GuardrailTests
{
    private static Item Item(params string[] categories) => new() { Id = "x", Categories = categories };

    [Fact]
    public void RepeatBuyCategoriesMatchWholePathSegments()
    {
        var ctx = new ServingContext(new ServingOptions { RepeatBuyCategories = ["grocery", "beauty/skincare/"] });
        Assert.True(ctx.IsRepeatBuy(Item("grocery/coffee")));
        Assert.True(ctx.IsRepeatBuy(Item("grocery")));
        Assert.True(ctx.IsRepeatBuy(Item("shoes/running", "beauty/skincare/creams")));
        Assert.False(ctx.IsRepeatBuy(Item("groceryware/pans")));
        Assert.False(ctx.IsRepeatBuy(Item("beauty/makeup")));
        Assert.False(new ServingContext(new ServingOptions()).IsRepeatBuy(Item("grocery/coffee")));
    }

    [Fact]
    public void TheDemoShopsConsumablesAreItsRepeatBuyCategories()
    {
        Assert.Contains("grocery/coffee", Attune.Demo.DemoShop.RepeatBuyCategories);
        Assert.Contains("beauty/haircare", Attune.Demo.DemoShop.RepeatBuyCategories);
        Assert.DoesNotContain("shoes/running", Attune.Demo.DemoShop.RepeatBuyCategories);
        var ctx = new ServingContext(new ServingOptions { RepeatBuyCategories = [.. Attune.Demo.DemoShop.RepeatBuyCategories] });
        Assert.True(ctx.IsRepeatBuy(Item("grocery/coffee")));
        Assert.False(ctx.IsRepeatBuy(Item("electronics/laptops")));
    }

    [Fact]
    public void ConsentIsRememberedPerUser()
    {
        var ctx = new ServingContext(new ServingOptions());
        ctx.SetConsent("u1", new Consent { Personalization = false });
        Assert.True(ctx.IsOptedOut("u1"));
        Assert.False(ctx.IsOptedOut("u2"));
        Assert.Equal(1, ctx.OptedOutCount);
        ctx.SetConsent("u1", new Consent());
        Assert.False(ctx.IsOptedOut("u1"));
        Assert.Equal(0, ctx.OptedOutCount);
        // An opt-in deployment: people who stated nothing (and anonymous visitors) follow the default.
        var optIn = new ServingContext(new ServingOptions { DefaultConsent = new Consent { Personalization = false } });
        Assert.True(optIn.IsOptedOut("u2"));
        Assert.False(optIn.ConsentOf(null).Personalization);
        optIn.SetConsent("u3", new Consent());
        Assert.False(optIn.IsOptedOut("u3"));
    }

    [Fact]
    public void ConfiguredScenariosOverrideShippedOnesAndBadOnesNameTheProblem()
    {
        var options = new ServingOptions();
        options.Scenarios["for-you"] = new ScenarioOptions { Diversity = 0.5 };
        options.Scenarios["deals"] = ScenarioOptions.Of("deals", AnchorKind.Recent, ("popularity", 1f));
        var registry = Attune.Serving.Sources.SourceRegistry.CreateDefault();
        var all = Attune.Serving.Recipes.RecipeCompiler.CompileAll(options.ResolveScenarios(), registry);
        Assert.Equal(0.5, all["for-you"].Diversity);
        Assert.True(all["for-you"].Weights.ContainsKey("als")); // sources kept from the shipped scenario
        Assert.True(all["deals"].Weights.ContainsKey("popularity"));

        options.Scenarios["broken"] = ScenarioOptions.Of("x", AnchorKind.Recent, ("magic", 1f));
        var e = Assert.Throws<Attune.Serving.Recipes.RecipeException>(() => Attune.Serving.Recipes.RecipeCompiler.CompileAll(options.ResolveScenarios(), registry));
        Assert.Contains("magic", e.Message);
        Assert.Equal("scenarios.broken.sources.magic", e.Field);
    }

    [Fact]
    public void HumanizedCategoryPathsReadAsPlainLanguage()
    {
        Assert.Equal("Shoes › Running", Explanations.Humanize("shoes/running"));
        Assert.Equal("Outdoor › Sleeping bags", Explanations.Humanize("outdoor/sleeping-bags"));
    }
}
