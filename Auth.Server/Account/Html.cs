using System.Text.Encodings.Web;

namespace Infrastructure.Auth.Server.Account;

/// <summary>Minimal HTML pages (login, consent, logout, errors), everything encoded.</summary>
internal static class Html
{
    public static string Encode(string? value) => HtmlEncoder.Default.Encode(value ?? "");

    public static string Page(string title, string body) =>
        $$"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>{{Encode(title)}} - Auth.Server</title>
        <style>body{font-family:sans-serif;max-width:28rem;margin:3rem auto}label{display:block;margin:.5rem 0}.error{color:#b00}</style>
        </head><body>{{body}}</body></html>
        """;
}
