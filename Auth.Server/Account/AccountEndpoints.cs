using System.Security.Claims;
using System.Text.Json;
using Infrastructure.Auth.Server.Configuration;
using Infrastructure.Auth.Server.Endpoints;
using Infrastructure.Auth.Server.Requests;
using Infrastructure.Auth.Server.Stores;
using Infrastructure.Auth.Server.Tokens;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Infrastructure.Auth.Server.Account;

/// <summary>The login, consent and logout pages: cookie sign-in, antiforgery-protected forms, local return URLs only.</summary>
internal static class AccountEndpoints
{
    public const string Scheme = "idsrv";
    public const string LoginPath = "/account/login";
    public const string ConsentPath = "/account/consent";
    public const string LogoutPath = "/account/logout";

    public static IEndpointRouteBuilder MapAccountPages(this IEndpointRouteBuilder app)
    {
        // A return URL that is not local is dropped here already, so the form never carries it back.
        app.MapGet(LoginPath, (HttpContext ctx, IAntiforgery af, string? returnUrl) => LoginPage(ctx, af, LocalUrl.IsLocal(returnUrl) ? returnUrl : null, null, null));
        app.MapPost(LoginPath, LoginAsync);
        app.MapGet(ConsentPath, ConsentPageAsync);
        app.MapPost(ConsentPath, ConsentAsync);
        app.MapPost(LogoutPath, LogoutAsync);
        return app;
    }

    private static IResult LoginPage(HttpContext ctx, IAntiforgery af, string? returnUrl, string? username, string? error, int status = 200)
    {
        var tokens = af.GetAndStoreTokens(ctx);
        var body = $"""
            <h1>Sign in</h1>
            {(error is null ? "" : $"<p class=\"error\">{Html.Encode(error)}</p>")}
            <form method="post" action="{LoginPath}">
              <input type="hidden" name="{Html.Encode(tokens.FormFieldName)}" value="{Html.Encode(tokens.RequestToken)}">
              <input type="hidden" name="returnUrl" value="{Html.Encode(returnUrl)}">
              <label>Username <input name="username" autocomplete="username" value="{Html.Encode(username)}" autofocus></label>
              <label>Password <input name="password" type="password" autocomplete="current-password"></label>
              <button type="submit">Sign in</button>
            </form>
            """;
        return Page("Sign in", body, status);
    }

    private static IResult Page(string title, string body, int status = 200) => new PageResult(title, body, status);

    private static async Task<IResult> LoginAsync(HttpContext ctx, IAntiforgery af, UserLogin login, TimeProvider time)
    {
        if (await ReadValidFormAsync(ctx, af) is not { } form)
        {
            return Page("Error", "<h1>Invalid request</h1><p>The form expired or did not come from this site. Go back and try again.</p>", 400);
        }
        var returnUrl = form["returnUrl"].ToString();
        var (outcome, user) = await login.CheckAsync(ctx, form["username"], form["password"], ctx.RequestAborted);
        if (outcome == LoginOutcome.Throttled)
        {
            ctx.Response.Headers.RetryAfter = ((int)Math.Ceiling(login.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return LoginPage(ctx, af, returnUrl, form["username"], "Too many failed sign-ins for this username. Try again later.", StatusCodes.Status429TooManyRequests);
        }
        if (outcome != LoginOutcome.Success)
        {
            var message = outcome == LoginOutcome.LockedOut ? "This account is locked after too many failed attempts. Try again later." : "Invalid username or password.";
            return LoginPage(ctx, af, returnUrl, form["username"], message, StatusCodes.Status200OK);
        }
        var principal = TokenService.LoginPrincipal(user!, Handles.Create()[..16], time.GetUtcNow());
        await ctx.SignInAsync(Scheme, principal);
        // IdentityServer4's quickstart UI throws on a non-local return URL; the user is signed in, so home is the kinder answer.
        return Results.LocalRedirect(LocalUrl.IsLocal(returnUrl) ? returnUrl : "/");
    }

    private static async Task<IResult> ConsentPageAsync(HttpContext ctx, IAntiforgery af, IClientStore clients, IResourceStore resourceStore, string? returnUrl)
    {
        var request = await ReadConsentRequestAsync(ctx, clients, returnUrl);
        if (request is null)
        {
            return Page("Error", "<h1>Invalid consent request</h1>", 400);
        }
        if (!(await ctx.AuthenticateAsync(Scheme)).Succeeded)
        {
            return Results.Redirect(LoginPath + QueryString.Create("returnUrl", returnUrl!));
        }
        var (client, scopes) = request.Value;
        var resources = await resourceStore.GetResourcesAsync(ctx.RequestAborted);
        var tokens = af.GetAndStoreTokens(ctx);
        var items = string.Concat(scopes.Select(s =>
            $"<li>{Html.Encode(resources.FindApiScope(s)?.DisplayName ?? resources.FindIdentityResource(s)?.DisplayName ?? s)} <code>{Html.Encode(s)}</code></li>"));
        var body = $"""
            <h1>{Html.Encode(client.ClientName ?? client.ClientId)} is requesting your permission</h1>
            <ul>{items}</ul>
            <form method="post" action="{ConsentPath}">
              <input type="hidden" name="{Html.Encode(tokens.FormFieldName)}" value="{Html.Encode(tokens.RequestToken)}">
              <input type="hidden" name="returnUrl" value="{Html.Encode(returnUrl)}">
              {(client.AllowRememberConsent ? "<label><input type=\"checkbox\" name=\"remember\" value=\"true\"> Remember my decision</label>" : "")}
              <button type="submit" name="button" value="yes">Yes, allow</button>
              <button type="submit" name="button" value="no">No, do not allow</button>
            </form>
            """;
        return Page("Consent", body);
    }

    private static async Task<IResult> ConsentAsync(HttpContext ctx, IAntiforgery af, IClientStore clients, IPersistedGrantStore grants, TimeProvider time)
    {
        if (await ReadValidFormAsync(ctx, af) is not { } form)
        {
            return Page("Error", "<h1>Invalid request</h1><p>The form expired or did not come from this site.</p>", 400);
        }
        var login = await ctx.AuthenticateAsync(Scheme);
        if (!login.Succeeded)
        {
            return Results.Redirect(LoginPath);
        }
        var returnUrl = form["returnUrl"].ToString();
        var request = await ReadConsentRequestAsync(ctx, clients, returnUrl);
        if (request is null)
        {
            return Page("Error", "<h1>Invalid consent request</h1>", 400);
        }
        var (client, scopes) = request.Value;
        var subject = login.Principal!.FindFirstValue(JwtRegisteredClaimNames.Sub)!;
        var granted = form["button"] == "yes";
        var now = time.GetUtcNow();
        var decision = new ConsentData { Scopes = scopes, Granted = granted };
        await grants.StoreAsync(new PersistedGrant
        {
            Key = ConsentKeys.Decision(subject, client.ClientId),
            Type = GrantKinds.ConsentDecision,
            ClientId = client.ClientId,
            SubjectId = subject,
            CreationTime = now,
            Expiration = now.AddMinutes(5),
            Data = JsonSerializer.Serialize(decision),
        }, ctx.RequestAborted);
        if (granted && client.AllowRememberConsent && form["remember"] == "true")
        {
            await grants.StoreAsync(new PersistedGrant
            {
                Key = ConsentKeys.Remembered(subject, client.ClientId),
                Type = GrantKinds.UserConsent,
                ClientId = client.ClientId,
                SubjectId = subject,
                CreationTime = now,
                Expiration = client.ConsentLifetime is { } seconds ? now.AddSeconds(seconds) : null,
                Data = JsonSerializer.Serialize(decision),
            }, ctx.RequestAborted);
        }
        return Results.LocalRedirect(returnUrl!);
    }

    private static async Task<IResult> LogoutAsync(HttpContext ctx, IAntiforgery af)
    {
        if (await ReadValidFormAsync(ctx, af) is null)
        {
            return Page("Error", "<h1>Invalid request</h1>", 400);
        }
        await ctx.SignOutAsync(Scheme);
        return Page("Signed out", "<h1>You are now signed out</h1>");
    }

    /// <summary>The logout confirmation (end session without a valid id_token_hint, so a cross-site GET cannot sign the user out).</summary>
    public static IResult LogoutConfirmation(HttpContext ctx, IAntiforgery af)
    {
        var tokens = af.GetAndStoreTokens(ctx);
        return Page("Sign out", $"""
            <h1>Sign out?</h1>
            <form method="post" action="{LogoutPath}">
              <input type="hidden" name="{Html.Encode(tokens.FormFieldName)}" value="{Html.Encode(tokens.RequestToken)}">
              <button type="submit">Yes, sign me out</button>
            </form>
            """);
    }

    public static IResult SignedOut() => Page("Signed out", "<h1>You are now signed out</h1>");

    /// <summary>The posted form when it can be read (<see cref="RequestForm"/>) and carries this browser's antiforgery token, else null.</summary>
    private static async Task<IFormCollection?> ReadValidFormAsync(HttpContext ctx, IAntiforgery af)
    {
        if ((await RequestForm.ReadAsync(ctx)).Form is not { } form)
        {
            return null;
        }
        try
        {
            // Antiforgery reads Request.Form, which is the form read above.
            await af.ValidateRequestAsync(ctx);
            return form;
        }
        catch (AntiforgeryValidationException)
        {
            return null;
        }
    }

    /// <summary>The client and scopes of the authorize request the return URL points at.</summary>
    private static async Task<(ClientOptions Client, IReadOnlyList<string> Scopes)?> ReadConsentRequestAsync(HttpContext ctx, IClientStore clients, string? returnUrl)
    {
        if (!LocalUrl.IsLocal(returnUrl) || !returnUrl!.StartsWith(AuthorizeEndpoint.Path + "?", StringComparison.Ordinal))
        {
            return null;
        }
        var query = QueryHelpers.ParseQuery(returnUrl[returnUrl.IndexOf('?', StringComparison.Ordinal)..]);
        var client = await clients.FindClientAsync(query["client_id"].ToString(), ctx.RequestAborted);
        if (client is null)
        {
            return null;
        }
        var scopes = ScopeValidator.Parse(query["scope"]).Where(s => s == OidcConstants.OfflineAccess ? client.AllowOfflineAccess : client.AllowedScopes.Contains(s)).ToList();
        return (client, scopes);
    }

    /// <summary>An HTML page that may not be framed (clickjacking) nor cached.</summary>
    private sealed class PageResult(string title, string body, int status) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = "text/html; charset=utf-8";
            context.Response.Headers.XFrameOptions = "DENY";
            context.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";
            context.Response.Headers.CacheControl = "no-store";
            return context.Response.WriteAsync(Html.Page(title, body));
        }
    }
}
