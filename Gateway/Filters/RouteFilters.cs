using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Infrastructure.Gateway.Routing;
using Microsoft.AspNetCore.Http;

namespace Infrastructure.Gateway.Filters;

internal sealed class StripPrefixFilter(NamedArgs d, int parts) : GatewayFilter(d), IRequestPathTransform
{
    public void Apply(GatewayExchange exchange)
    {
        var path = exchange.Path.AsSpan();
        for (var i = 0; i < parts && !path.IsEmpty; i++)
        {
            var next = path[1..].IndexOf('/');
            path = next < 0 ? [] : path[(next + 1)..];
        }
        exchange.Path = path.IsEmpty ? "/" : path.ToString();
    }
}

internal sealed class PrefixPathFilter(NamedArgs d, string prefix) : GatewayFilter(d), IRequestPathTransform
{
    public void Apply(GatewayExchange exchange) => exchange.Path = prefix + exchange.Path;
}

/// <summary>Java's <c>replaceAll</c> on the path; <c>$\{name}</c> (Spring's YAML escape) means <c>${name}</c>.</summary>
internal sealed class RewritePathFilter(NamedArgs d, Regex regex, string replacement) : GatewayFilter(d), IRequestPathTransform
{
    public void Apply(GatewayExchange exchange)
    {
        var rewritten = regex.Replace(exchange.Path, replacement);
        exchange.Path = rewritten.Length == 0 ? "/" : rewritten;
    }
}

/// <summary>Sets the path from a template using the <c>{name}</c> variables the route's Path predicate captured.</summary>
internal sealed class SetPathFilter(NamedArgs d, string template) : GatewayFilter(d), IRequestPathTransform
{
    public void Apply(GatewayExchange exchange)
    {
        var vars = exchange.UriVariables;
        exchange.Path = Regex.Replace(template, @"\{([^}]+)}", m => vars.TryGetValue(m.Groups[1].Value, out var v) ? Uri.EscapeDataString(v) : m.Value);
    }
}

internal sealed class AddRequestParameterFilter(NamedArgs d, string name, UriVariableTemplate value) : GatewayFilter(d), IRequestPathTransform
{
    private readonly string _name = Uri.EscapeDataString(name) + "=";

    public void Apply(GatewayExchange exchange)
    {
        var pair = _name + Uri.EscapeDataString(value.Expand(exchange));
        exchange.Query = exchange.Query.Length <= 1 ? "?" + pair : exchange.Query + "&" + pair;
    }
}

internal sealed class RemoveRequestParameterFilter(NamedArgs d, string name) : GatewayFilter(d), IRequestPathTransform
{
    public void Apply(GatewayExchange exchange)
    {
        if (exchange.Query.Length <= 1)
        {
            return;
        }
        var kept = exchange.Query[1..].Split('&').Where(p =>
        {
            var eq = p.IndexOf('=', StringComparison.Ordinal);
            return !string.Equals(Uri.UnescapeDataString(eq < 0 ? p : p[..eq]), name, StringComparison.Ordinal);
        });
        var q = string.Join('&', kept);
        exchange.Query = q.Length == 0 ? "" : "?" + q;
    }
}

internal sealed class AddRequestHeaderFilter(NamedArgs d, string name, UriVariableTemplate value) : GatewayFilter(d), IRequestHeadersTransform
{
    public void Apply(GatewayExchange exchange, HttpRequestMessage request) => RequestHeaders.Add(request, name, value.ExpandForHeader(exchange));
}

internal sealed class SetRequestHeaderFilter(NamedArgs d, string name, UriVariableTemplate value) : GatewayFilter(d), IRequestHeadersTransform
{
    public void Apply(GatewayExchange exchange, HttpRequestMessage request)
    {
        RequestHeaders.Remove(request, name);
        RequestHeaders.Add(request, name, value.ExpandForHeader(exchange));
    }
}

internal sealed class RemoveRequestHeaderFilter(NamedArgs d, string name) : GatewayFilter(d), IRequestHeadersTransform
{
    public void Apply(GatewayExchange exchange, HttpRequestMessage request) => RequestHeaders.Remove(request, name);
}

internal sealed class MapRequestHeaderFilter(NamedArgs d, string from, string to) : GatewayFilter(d), IRequestHeadersTransform
{
    public void Apply(GatewayExchange exchange, HttpRequestMessage request)
    {
        var values = exchange.Context.Request.Headers[from];
        if (values.Count > 0)
        {
            request.Headers.TryAddWithoutValidation(to, (IEnumerable<string?>)values);
        }
    }
}

/// <summary>Sends the client's Host header upstream instead of the instance's host:port.</summary>
internal sealed class PreserveHostHeaderFilter(NamedArgs d) : GatewayFilter(d), IRequestHeadersTransform
{
    public void Apply(GatewayExchange exchange, HttpRequestMessage request) => request.Headers.Host = exchange.Context.Request.Host.Value;
}

internal sealed class SetRequestHostHeaderFilter(NamedArgs d, string host) : GatewayFilter(d), IRequestHeadersTransform
{
    public void Apply(GatewayExchange exchange, HttpRequestMessage request) => request.Headers.Host = host;
}

/// <summary>On a CircuitBreaker fallback route: tells the fallback why (Spring's header names).</summary>
internal sealed class FallbackHeadersFilter(NamedArgs d) : GatewayFilter(d), IRequestHeadersTransform
{
    public void Apply(GatewayExchange exchange, HttpRequestMessage request)
    {
        if (exchange.FallbackException is { } ex)
        {
            request.Headers.TryAddWithoutValidation("Execution-Exception-Type", ex.GetType().FullName);
            request.Headers.TryAddWithoutValidation("Execution-Exception-Message", ex.Message.ReplaceLineEndings(" "));
            var root = ex.GetBaseException();
            request.Headers.TryAddWithoutValidation("Root-Cause-Exception-Type", root.GetType().FullName);
            request.Headers.TryAddWithoutValidation("Root-Cause-Exception-Message", root.Message.ReplaceLineEndings(" "));
        }
    }
}

internal sealed class AddResponseHeaderFilter(NamedArgs d, string name, UriVariableTemplate value) : GatewayFilter(d), IResponseTransform
{
    public void Apply(GatewayExchange exchange, HttpResponse response) => response.Headers.Append(name, value.ExpandForHeader(exchange));
}

internal sealed class SetResponseHeaderFilter(NamedArgs d, string name, UriVariableTemplate value) : GatewayFilter(d), IResponseTransform
{
    public void Apply(GatewayExchange exchange, HttpResponse response) => response.Headers[name] = value.ExpandForHeader(exchange);
}

internal sealed class RemoveResponseHeaderFilter(NamedArgs d, string name) : GatewayFilter(d), IResponseTransform
{
    public void Apply(GatewayExchange exchange, HttpResponse response) => response.Headers.Remove(name);
}

internal sealed class SetStatusFilter(NamedArgs d, int status) : GatewayFilter(d), IResponseTransform
{
    public void Apply(GatewayExchange exchange, HttpResponse response) => response.StatusCode = status;
}

internal sealed class RedirectToFilter(NamedArgs d, int status, string location) : GatewayFilter(d), IPreFilter
{
    public ValueTask<bool> InvokeAsync(GatewayExchange exchange)
    {
        var response = exchange.Context.Response;
        response.StatusCode = status;
        response.Headers.Location = location;
        return ValueTask.FromResult(false);
    }
}

/// <summary>Rejects requests whose Content-Length exceeds the limit with 413 and Spring's <c>errorMessage</c> header.</summary>
internal sealed class RequestSizeFilter(NamedArgs d, long maxSize) : GatewayFilter(d), IPreFilter
{
    public ValueTask<bool> InvokeAsync(GatewayExchange exchange)
    {
        var length = exchange.Context.Request.ContentLength;
        if (length is null || length <= maxSize)
        {
            return ValueTask.FromResult(true);
        }
        var response = exchange.Context.Response;
        response.StatusCode = StatusCodes.Status413PayloadTooLarge;
        response.Headers["errorMessage"] = string.Create(CultureInfo.InvariantCulture,
            $"Request size is larger than permissible limit. Request size is {DataSize.Format(length.Value)} where permissible limit is {DataSize.Format(maxSize)}");
        return ValueTask.FromResult(false);
    }
}

/// <summary>Spring's DataSize and Duration and HttpStatus argument syntaxes.</summary>
internal static class ArgParsers
{
    public static int Status(string text)
    {
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var code) && code is >= 100 and <= 599)
        {
            return code;
        }
        // Spring's HttpStatus enum names: NOT_FOUND, BAD_GATEWAY... (the one .NET lacks is spelled out).
        if (string.Equals(text, "I_AM_A_TEAPOT", StringComparison.OrdinalIgnoreCase))
        {
            return 418;
        }
        if (Enum.TryParse<HttpStatusCode>(text.Replace("_", "", StringComparison.Ordinal), ignoreCase: true, out var named) && !int.TryParse(text, out _))
        {
            return (int)named;
        }
        throw new RouteDefinitionException($"'{text}' is not an HTTP status (a code such as 404 or a name such as NOT_FOUND)");
    }

    /// <summary><c>10ms</c>, <c>2s</c>, <c>1m</c>, ISO-8601 <c>PT1S</c>, or a bare number of milliseconds.</summary>
    public static TimeSpan Duration(string text)
    {
        var s = text.Trim();
        if (s.StartsWith("PT", StringComparison.OrdinalIgnoreCase))
        {
            return System.Xml.XmlConvert.ToTimeSpan(s.ToUpperInvariant());
        }
        var (number, unit) = SplitUnit(s);
        var value = double.Parse(number, CultureInfo.InvariantCulture);
        return unit.ToUpperInvariant() switch
        {
            "" or "MS" => TimeSpan.FromMilliseconds(value),
            "S" => TimeSpan.FromSeconds(value),
            "M" => TimeSpan.FromMinutes(value),
            "H" => TimeSpan.FromHours(value),
            _ => throw new RouteDefinitionException($"'{text}' is not a duration such as 10ms, 2s or PT1S"),
        };
    }

    public static (string Number, string Unit) SplitUnit(string s)
    {
        var i = 0;
        while (i < s.Length && (char.IsDigit(s[i]) || s[i] == '.'))
        {
            i++;
        }
        if (i == 0)
        {
            throw new RouteDefinitionException($"'{s}' does not start with a number");
        }
        return (s[..i], s[i..].Trim());
    }
}

internal static class DataSize
{
    public static long Parse(string text)
    {
        var (number, unit) = ArgParsers.SplitUnit(text.Trim());
        var value = long.Parse(number, CultureInfo.InvariantCulture);
        return unit.ToUpperInvariant() switch
        {
            "" or "B" => value,
            "KB" => value * 1024,
            "MB" => value * 1024 * 1024,
            "GB" => value * 1024 * 1024 * 1024,
            _ => throw new RouteDefinitionException($"'{text}' is not a data size such as 5000000, 5MB or 512KB"),
        };
    }

    public static string Format(long bytes) => bytes >= 1024 * 1024
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024.0):0.0} MB")
        : bytes >= 1024 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KB") : string.Create(CultureInfo.InvariantCulture, $"{bytes} B");
}
