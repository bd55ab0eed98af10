using Attune.Predictions.Clv;
using Attune.Predictions.Propensity;
using Attune.Server.Hosting;
using Attune.Server.Security;
using Attune.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Attune.Server.Apis;

/// <summary>Predictions about people: customer lifetime value (docs/predictions.md).</summary>
public static class PredictionsApi
{
    public static IEndpointRouteBuilder MapPredictionsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/users/{id}/predictions", Get)
            .WithName("GetPredictions").WithTags("Predictions")
            .WithSummary("What a person is expected to do: purchases and spend over the next 90 days, the probability they are still a customer, " +
                "and the probabilities that they buy within 7 and 30 days, churn, or buy what they left in the cart, with the reasons")
            .WithDescription("Customer value from the shop's last fit (BG/NBD and Gamma-Gamma, refitted daily) and the person's own purchases " +
                "up to now; clv is null (with a reason) before the first fit or without a purchase. Propensities from the newest propensity " +
                "models (trained daily), refreshed within a second of the person's events; a model that does not speak about the person " +
                "(e.g. cartToPurchase without an open cart) gives a null probability and a reason. ?anonymous=true looks the id up as an anonymous id.")
            .WithMetadata(new RequiredScope(Scope.Serve))
            .Produces<PredictionsOutput>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        var admin = app.MapGroup("/v1/predictions").WithTags("Predictions").WithMetadata(new RequiredScope(Scope.Admin));
        admin.MapGet("/clv", Model)
            .WithName("GetCustomerValueModel")
            .WithSummary("The customer-value fit: BG/NBD and Gamma-Gamma parameters (days), log-likelihood, convergence, buyers, time")
            .Produces<ModelOutput>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapGet("/propensity", PropensityModels)
            .WithName("GetPropensityModels")
            .WithSummary("The propensity models in service and every recorded version: each model's time-split evaluation (ROC-AUC, PR-AUC, " +
                "calibration error, lift by decile, the RFM-only baseline's AUC, the features that matter most)")
            .Produces<PropensityModelsOutput>();
        admin.MapPost("/propensity/train", TrainPropensity)
            .WithName("TrainPropensityModels")
            .WithSummary("Train the propensity models now on the store's history and score everyone (otherwise daily)")
            .Produces<PropensityVersion>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapPost("/clv/fit", Fit)
            .WithName("FitCustomerValueModel")
            .WithSummary("Refit the customer-value models now on every purchase in the store (otherwise daily)")
            .Produces<ModelOutput>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    /// <param name="Purchases90d">Expected purchases (days with a purchase) over the next 90 days.</param>
    /// <param name="Value90d">Expected spend over the next 90 days: the purchases times the expected spend per purchase.</param>
    /// <param name="PAlive">The probability the person is still a customer.</param>
    public sealed record ClvOutput(double Purchases90d, double Value90d, double PAlive, double SpendPerPurchase, DateTimeOffset FittedAt);

    /// <param name="Reason">Why <paramref name="Clv"/> is null.</param>
    /// <param name="Propensities">Null (with <paramref name="PropensityReason"/>) before the first propensity training.</param>
    public sealed record PredictionsOutput(string Id, bool Anonymous, ClvOutput? Clv, string? Reason, PropensitiesOutput? Propensities = null,
        string? PropensityReason = null);

    /// <param name="Version">The models' version (<c>GET /v1/predictions/propensity</c> holds its evaluation).</param>
    /// <param name="Scores">Per model (purchase7d, purchase30d, churn, cartToPurchase): the probability and its reasons.</param>
    public sealed record PropensitiesOutput(int Version, DateTimeOffset ScoredAt, IReadOnlyDictionary<string, PropensityOutput> Scores);

    /// <param name="Probability">Calibrated: of 100 people given 0.2, about 20 do it. Null when the model does not speak about the person.</param>
    /// <param name="Reasons">The features that moved this person's probability most, with their effect on the log-odds.</param>
    public sealed record PropensityOutput(double? Probability, IReadOnlyList<PropensityReason>? Reasons, string? Reason);

    public sealed record FitOutput(string Model, IReadOnlyDictionary<string, double> Params, double? LogLikelihood, bool Converged, string? Reason);

    /// <param name="Check">How a fit on all but the last 30 days foresaw them: expected and actual purchase days of those
    /// buyers, the mean absolute error per buyer and that of always predicting their mean (lower than it = the model helps).</param>
    public sealed record ModelOutput(DateTimeOffset FittedAt, int Buyers, FitOutput Purchases, FitOutput? Spend, double MeanSpend,
        Attune.Predictions.Clv.HoldoutCheck? Check);

    public static async Task<IResult> Get(string id, string? anonymous, AttuneServices s, CustomerValueService clv, PropensityService propensity,
        CancellationToken ct)
    {
        if (RecordReader.CheckId(id) is { } bad) return Problems.BadField("id", bad);
        if (anonymous is not (null or "true" or "false")) return Problems.BadField("anonymous", "must be true or false");
        bool visitor = anonymous == "true";
        if (await s.Store.GetProfileAsync(id, visitor, ct) is null) return Problems.NotFound("Profile", id);
        var (propensities, propensityReason) = await PropensitiesAsync(propensity, id, visitor, ct);
        if (clv.Model is not { } model)
            return TypedResults.Ok(new PredictionsOutput(id, visitor, null, "no customer-value fit yet (nobody has bought, or the first fit is running)",
                propensities, propensityReason));
        var forecast = await clv.ForecastAsync(id, visitor, ct);
        return TypedResults.Ok(forecast is { } f
            ? new PredictionsOutput(id, visitor, new ClvOutput(f.ExpectedPurchases, f.ExpectedValue, f.ProbabilityAlive, f.ExpectedSpendPerPurchase, model.FittedAt), null,
                propensities, propensityReason)
            : new PredictionsOutput(id, visitor, null, "no purchase yet: the models forecast customers from their first purchase", propensities, propensityReason));
    }

    internal static async Task<(PropensitiesOutput? Output, string? Reason)> PropensitiesAsync(PropensityService service, string id, bool anonymous, CancellationToken ct)
    {
        if (service.Scorer is not { } scorer) return (null, "no propensity models yet (the first training is running, or the shop has too little history)");
        if (await service.GetAsync(id, anonymous, ct) is not { } person) return (null, "no activity in the last 400 days");
        var scores = new Dictionary<string, PropensityOutput>(StringComparer.Ordinal);
        for (int m = 0; m < scorer.Models.Count; m++)
        {
            float p = person.Probabilities[m];
            scores[scorer.Models[m].Target.Name] = float.IsNaN(p)
                ? new PropensityOutput(null, null, scorer.Models[m].Target.IneligibleReason)
                : new PropensityOutput(Math.Round(p, 4), scorer.Explain(m, person.Features), null);
        }
        return (new PropensitiesOutput(person.Version, DateTimeOffset.FromUnixTimeMilliseconds(person.ScoredAtMs), scores), null);
    }

    /// <param name="Active">The version in service on this node (null before the first training).</param>
    public sealed record PropensityModelsOutput(int? Active, int People, IReadOnlyList<PropensityVersion> Versions);

    public static async Task<IResult> PropensityModels(PropensityService propensity, CancellationToken ct) =>
        TypedResults.Ok(new PropensityModelsOutput(propensity.Scorer?.Version, propensity.People, await propensity.VersionsAsync(ct)));

    public static async Task<IResult> TrainPropensity(PropensityService propensity, CancellationToken ct)
    {
        var before = propensity.Scorer;
        var scorer = await propensity.TrainAsync(ct);
        if (scorer is null || ReferenceEquals(scorer, before)) return Problems.NotFound("Training data", "too little history for the propensity models (two windows of 7 days with purchases)");
        return TypedResults.Ok((await propensity.VersionsAsync(ct))[0]);
    }

    public static IResult Model(CustomerValueService clv) =>
        clv.Model is { } m ? TypedResults.Ok(Output(m)) : Problems.NotFound("Customer-value fit", "clv");

    public static async Task<IResult> Fit(CustomerValueService clv, CancellationToken ct) =>
        await clv.FitAsync(ct) is { } m ? TypedResults.Ok(Output(m)) : Problems.NotFound("Purchases", "no purchase in the store");

    private static ModelOutput Output(CustomerValueModel m) =>
        new(m.FittedAt, m.Customers, Output(m.Purchases), m.Spend is { } s ? Output(s) : null, m.MeanSpend, m.Check);

    private static FitOutput Output(ClvFit f) =>
        new(f.Model, f.Params, double.IsFinite(f.LogLikelihood) ? f.LogLikelihood : null, f.Converged, f.Reason);
}
