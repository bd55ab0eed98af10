using Attune.Predictions.Clv;
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
            .WithSummary("What a person is expected to do: purchases and spend over the next 90 days and the probability they are still a customer")
            .WithDescription("From the shop's last customer-value fit (BG/NBD and Gamma-Gamma, refitted daily) and the person's own purchases " +
                "up to now. ?anonymous=true looks the id up as an anonymous id. clv is null (with a reason) before the first fit or without a purchase.")
            .WithMetadata(new RequiredScope(Scope.Serve))
            .Produces<PredictionsOutput>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        var admin = app.MapGroup("/v1/predictions").WithTags("Predictions").WithMetadata(new RequiredScope(Scope.Admin));
        admin.MapGet("/clv", Model)
            .WithName("GetCustomerValueModel")
            .WithSummary("The customer-value fit: BG/NBD and Gamma-Gamma parameters (days), log-likelihood, convergence, buyers, time")
            .Produces<ModelOutput>()
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

    public sealed record PredictionsOutput(string Id, bool Anonymous, ClvOutput? Clv, string? Reason);

    public sealed record FitOutput(string Model, IReadOnlyDictionary<string, double> Params, double? LogLikelihood, bool Converged, string? Reason);

    /// <param name="Check">How a fit on all but the last 30 days foresaw them: expected and actual purchase days of those
    /// buyers, the mean absolute error per buyer and that of always predicting their mean (lower than it = the model helps).</param>
    public sealed record ModelOutput(DateTimeOffset FittedAt, int Buyers, FitOutput Purchases, FitOutput? Spend, double MeanSpend,
        Attune.Predictions.Clv.HoldoutCheck? Check);

    public static async Task<IResult> Get(string id, string? anonymous, AttuneServices s, CustomerValueService clv, CancellationToken ct)
    {
        if (RecordReader.CheckId(id) is { } bad) return Problems.BadField("id", bad);
        if (anonymous is not (null or "true" or "false")) return Problems.BadField("anonymous", "must be true or false");
        bool visitor = anonymous == "true";
        if (await s.Store.GetProfileAsync(id, visitor, ct) is null) return Problems.NotFound("Profile", id);
        if (clv.Model is not { } model) return TypedResults.Ok(new PredictionsOutput(id, visitor, null, "no customer-value fit yet (nobody has bought, or the first fit is running)"));
        var forecast = await clv.ForecastAsync(id, visitor, ct);
        return TypedResults.Ok(forecast is { } f
            ? new PredictionsOutput(id, visitor, new ClvOutput(f.ExpectedPurchases, f.ExpectedValue, f.ProbabilityAlive, f.ExpectedSpendPerPurchase, model.FittedAt), null)
            : new PredictionsOutput(id, visitor, null, "no purchase yet: the models forecast customers from their first purchase"));
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
