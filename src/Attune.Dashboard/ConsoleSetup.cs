using Attune.Dashboard.Access;
using Attune.Dashboard.Components;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Radzen;

namespace Attune.Dashboard;

/// <summary>
/// The console inside the server process: server-side Blazor (Radzen components), a session cookie from an API key
/// (HttpOnly, SameSite=Strict; anti-forgery on every form), every page behind <see cref="ConsoleAccessRequirement"/>.
/// </summary>
public static class ConsoleSetup
{
    public const string CookieName = "attune.console";

    public static IServiceCollection AddAttuneConsole(this IServiceCollection services)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddRadzenComponents();
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(o =>
        {
            o.Cookie.Name = CookieName;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.LoginPath = "/signin";
            o.ExpireTimeSpan = TimeSpan.FromHours(12);
            o.SlidingExpiration = true;
            // A session lasts only as long as its key: revoked (or stripped of the role), the cookie is dropped at the next request.
            o.Events.OnValidatePrincipal = async context =>
            {
                var keys = context.HttpContext.RequestServices.GetRequiredService<IConsoleKeys>();
                if (context.Principal is { } user && keys.Configured
                    && !ConsoleUser.Holds(user, ConsoleRoles.Admin, keys) && !ConsoleUser.Holds(user, ConsoleRoles.Viewer, keys))
                {
                    context.RejectPrincipal();
                    await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
                }
            };
        });
        services.AddAuthorization(o => o.DefaultPolicy = new AuthorizationPolicyBuilder().AddRequirements(new ConsoleAccessRequirement()).Build());
        services.AddSingleton<IAuthorizationHandler, ConsoleAccessHandler>();
        services.AddCascadingAuthenticationState();
        services.AddSingleton<Figures.ConsoleFigures>();
        return services;
    }

    /// <summary>Authentication, anti-forgery, the console's static assets, its pages and sign-out. Call after the API's middleware.</summary>
    public static WebApplication UseAttuneConsole(this WebApplication app)
    {
        // The framework's and the packages' assets (blazor.web.js, Radzen's css and js) through the build's endpoint manifest;
        // a host without one (the tests' in-process server) serves the API and pages without them.
        string manifest = Path.Combine(AppContext.BaseDirectory, $"{app.Environment.ApplicationName}.staticwebassets.endpoints.json");
        if (File.Exists(manifest)) app.MapStaticAssets(manifest);
        else app.UseStaticFiles();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.MapPost("/signout", async (HttpContext context, IAntiforgery antiforgery) =>
        {
            await antiforgery.ValidateRequestAsync(context);
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.Redirect("/signin");
        }).ExcludeFromDescription();
        return app;
    }
}
