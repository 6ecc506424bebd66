using System.Globalization;
using Infrastructure.Samples.Shared.Composition;
using Infrastructure.Samples.WebBff.Sessions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;

namespace Infrastructure.Samples.WebBff.Api;

/// <summary>The web BFF's endpoints: login/logout/user for the page, and the composed APIs it calls.</summary>
internal static class BffEndpoints
{
    // Browsers cannot send a custom header cross-site without a CORS preflight we never allow: a cheap, strong CSRF guard for cookie-authenticated APIs.
    private const string CsrfHeader = "X-CSRF";

    public static IEndpointRouteBuilder MapBff(this IEndpointRouteBuilder app)
    {
        app.MapGet("/bff/login", (string? returnUrl) =>
            Results.Challenge(new AuthenticationProperties { RedirectUri = LocalOnly(returnUrl) }, [OpenIdConnectDefaults.AuthenticationScheme]));

        app.MapPost("/bff/logout", async (HttpContext ctx, RefreshTokenRevocation revocation) =>
        {
            if (!ctx.Request.Headers.ContainsKey(CsrfHeader))
            {
                return Results.Problem($"missing {CsrfHeader} header", statusCode: StatusCodes.Status400BadRequest);
            }
            await revocation.RevokeAsync(ctx);
            return Results.SignOut(new AuthenticationProperties { RedirectUri = "/" },
                [CookieAuthenticationDefaults.AuthenticationScheme, OpenIdConnectDefaults.AuthenticationScheme]);
        });

        app.MapGet("/bff/user", (HttpContext ctx) => ctx.User.Identity?.IsAuthenticated == true
            ? Results.Ok(new
            {
                sub = ctx.User.FindFirst("sub")?.Value,
                name = ctx.User.FindFirst("name")?.Value ?? ctx.User.FindFirst("sub")?.Value,
                servedBy = ServedBy(ctx),
                claims = ctx.User.Claims.Select(c => new { type = c.Type, value = c.Value }),
            })
            : Results.Unauthorized());

        var api = app.MapGroup("/api").RequireAuthorization().AddEndpointFilter(async (ctx, next) =>
            ctx.HttpContext.Request.Headers.ContainsKey(CsrfHeader)
                ? await next(ctx)
                : Results.Problem($"missing {CsrfHeader} header", statusCode: StatusCodes.Status400BadRequest));

        api.MapGet("/catalog", async (HttpContext ctx, GatewayClient gateway) =>
            Relay(await gateway.SendAsync(HttpMethod.Get, "catalog/api/products", await Token(ctx), null, ctx.RequestAborted)));

        api.MapPost("/orders", async (HttpContext ctx, GatewayClient gateway, System.Text.Json.JsonElement body) =>
            Relay(await gateway.SendAsync(HttpMethod.Post, "order/api/orders", await Token(ctx), body, ctx.RequestAborted)));

        api.MapGet("/order-page/{id:guid}", async (Guid id, HttpContext ctx, GatewayClient gateway) =>
        {
            var (order, products) = await OrderPageComposer.ComposeAsync(gateway, id, await Token(ctx), ctx.RequestAborted);
            if (!order.Ok)
            {
                return Relay(order);
            }
            return Results.Ok(new
            {
                order = order.Body,
                products = products.ToDictionary(
                    p => p.Key.ToString(CultureInfo.InvariantCulture),
                    p => p.Value.Ok ? OrderPageComposer.Prop(p.Value.Body, "product") : null),
                partial = products.Values.Any(p => !p.Ok),
                servedBy = ServedBy(ctx),
            });
        });
        return app;
    }

    private static Task<string?> Token(HttpContext ctx) => ctx.GetTokenAsync("access_token");

    private static IResult Relay(DownstreamResult r) =>
        r.Status == 0
            ? Results.Json(r.Body, statusCode: StatusCodes.Status502BadGateway)
            : Results.Json(r.Body, statusCode: (int)r.Status);

    private static string LocalOnly(string? returnUrl) =>
        returnUrl is { Length: > 0 } && returnUrl[0] == '/' && !returnUrl.StartsWith("//", StringComparison.Ordinal) && !returnUrl.StartsWith("/\\", StringComparison.Ordinal)
            ? returnUrl : "/";

    private static string ServedBy(HttpContext ctx) =>
        string.Create(CultureInfo.InvariantCulture, $"web-bff@{ctx.Connection.LocalIpAddress}:{ctx.Connection.LocalPort}");
}
