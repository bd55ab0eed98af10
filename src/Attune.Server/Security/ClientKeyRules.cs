using Attune.Api;
using Microsoft.AspNetCore.Http;

namespace Attune.Server.Security;

/// <summary>
/// What a key with only the <c>client</c> scope may do on the routes that let it in (events, identify, recommendations): act
/// for anonymous ids freely, and for a user id only with a user token for that id (<see cref="UserToken"/>). The token comes
/// from the record's or body's <c>userToken</c> field, else from the <c>X-Attune-User-Token</c> header (one per request: a
/// browser acts for one person). <see cref="For"/> is null when the request's key is not restricted (it holds the route's own
/// scope, or the server has no key).
/// </summary>
public sealed class ClientKeyRules
{
    public const string Header = "X-Attune-User-Token";
    public const string Field = "userToken";
    /// <summary>The <see cref="HttpContext.Items"/> key set by <see cref="ApiKeyMiddleware"/> when a client key passed on its client grant.</summary>
    public const string RestrictedItem = "attune.client-restricted";

    private readonly UserTokens _tokens;
    private readonly string? _headerToken;
    // The last pair checked: a batch from one browser repeats one user and one token.
    private string? _lastUser, _lastToken, _lastReason;

    private ClientKeyRules(UserTokens tokens, string? headerToken)
    {
        _tokens = tokens;
        _headerToken = headerToken;
    }

    /// <summary>The rules of this request, or null when its key is not restricted.</summary>
    public static ClientKeyRules? For(HttpContext context, UserTokens tokens)
    {
        if (!context.Items.ContainsKey(RestrictedItem)) return null;
        string? header = context.Request.Headers[Header];
        return new ClientKeyRules(tokens, string.IsNullOrEmpty(header) ? null : header.Trim());
    }

    /// <summary>Null when the request may act for <paramref name="userId"/> with <paramref name="token"/> (or the header's
    /// token when it is null), else why not, for an error on the <c>userToken</c> field.</summary>
    public string? Check(string userId, string? token)
    {
        token ??= _headerToken;
        if (token is null)
            return $"is required: a client key acts for a user id only with a user token the backend issued (the '{Field}' field or the {Header} header)";
        if (ReferenceEquals(userId, _lastUser) || userId == _lastUser)
        {
            if (token == _lastToken) return _lastReason;
        }
        string? reason = _tokens.Verify(token, userId) switch
        {
            UserTokenCheck.Valid => null,
            UserTokenCheck.Expired => "expired",
            UserTokenCheck.Malformed => "is not a user token (v1.EXPIRES.SIGNATURE)",
            _ => "is not valid for this userId (issued for another user, altered, or signed with a secret this server does not hold)",
        };
        (_lastUser, _lastToken, _lastReason) = (userId, token, reason);
        return reason;
    }

    /// <summary>The 403 answer of a single request (identify, recommendations) whose token failed, naming <c>userToken</c>.</summary>
    public static IResult Refusal(string reason) =>
        Problems.Result(StatusCodes.Status403Forbidden, "User token refused",
            $"{Field}: {reason}", new Dictionary<string, string[]> { [Field] = [reason] });
}
