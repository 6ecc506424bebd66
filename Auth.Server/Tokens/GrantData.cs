namespace Infrastructure.Auth.Server.Tokens;

/// <summary>Who authorized what, carried from the authorize endpoint through codes and refresh tokens.</summary>
internal sealed record AuthorizationData
{
    public required string ClientId { get; init; }

    public string? SubjectId { get; init; }

    public string? SessionId { get; init; }

    public long? AuthTime { get; init; }

    public IReadOnlyList<string> Amr { get; init; } = [];

    public required IReadOnlyList<string> Scopes { get; init; }
}

/// <summary>An authorization code's stored content.</summary>
internal sealed record AuthorizationCodeData
{
    public required AuthorizationData Authorization { get; init; }

    public required string RedirectUri { get; init; }

    public string? CodeChallenge { get; init; }

    public string? CodeChallengeMethod { get; init; }

    public string? Nonce { get; init; }
}

/// <summary>A refresh token's stored content.</summary>
internal sealed record RefreshTokenData
{
    public required AuthorizationData Authorization { get; init; }
}

/// <summary>Remembered (or one-time) consent: the scopes a user granted a client.</summary>
internal sealed record ConsentData
{
    public required IReadOnlyList<string> Scopes { get; init; }

    /// <summary>False when the user denied.</summary>
    public bool Granted { get; init; } = true;
}
