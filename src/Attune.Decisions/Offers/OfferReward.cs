namespace Attune.Decisions.Offers;

/// <summary>
/// The offer point's reward: the margin kept, as a share of the cart's value at the decision. No purchase earns 0; a purchase
/// without an offer earns its margin; a purchase with one earns its margin minus the offer's cost. So a discount given to
/// someone who would have bought anyway costs its depth, and the learner learns uplift in margin, not conversion.
/// </summary>
public static class OfferReward
{
    public static double Of(bool purchased, double margin, double offerCost, double cartValue) =>
        !purchased || cartValue <= 0 ? 0 : Math.Clamp((margin - offerCost) / cartValue, 0, 1);
}
