using System.Security.Claims;
using System.Text.Json;
using Infrastructure.Auth.Server.Configuration;
using Infrastructure.Auth.Server.Keys;
using Infrastructure.Auth.Server.Stores;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Infrastructure.Auth.Server.Tokens;

/// <summary>What was granted to whom, the input of token creation.</summary>
internal sealed record TokenRequest(ClientOptions Client, AuthorizationData Authorization, UserRecord? User, string? FamilyId);

/// <summary>Tokens of one successful token request.</summary>
internal sealed record IssuedTokens(string AccessToken, int ExpiresIn, IReadOnlyList<string> Scopes, string? RefreshToken, string? IdToken);

/// <summary>A validated access token (JWT or reference): its claims as the JWT payload would hold them.</summary>
internal sealed record ValidatedAccessToken(IReadOnlyDictionary<string, JsonElement> Payload, string ClientId, IReadOnlyList<string> Scopes, IReadOnlyList<string> Audiences, string? SubjectId);

/// <summary>Creates access, identity and refresh tokens; validates this server's own access tokens.</summary>
internal sealed class TokenService(
    KeyManager keys,
    IResourceStore resources,
    IPersistedGrantStore grants,
    IOptions<AuthOptions> options,
    TimeProvider time)
{
    public const string AccessTokenType = "at+jwt";

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public async Task<IssuedTokens> IssueAsync(string issuer, TokenRequest request, bool includeIdToken, string? nonce, string? code, CancellationToken ct)
    {
        var (client, auth) = (request.Client, request.Authorization);
        var now = time.GetUtcNow();
        var ring = await keys.GetKeyRingAsync(ct);
        var res = await resources.GetResourcesAsync(ct);

        var payload = AccessTokenPayload(issuer, request, res, now);
        string accessToken;
        if (client.AccessTokenType == Configuration.AccessTokenType.Reference)
        {
            accessToken = Handles.Create();
            await grants.StoreAsync(new PersistedGrant
            {
                Key = Handles.Key(accessToken, GrantKinds.ReferenceToken),
                Type = GrantKinds.ReferenceToken,
                ClientId = client.ClientId,
                SubjectId = auth.SubjectId,
                SessionId = auth.SessionId,
                FamilyId = request.FamilyId,
                CreationTime = now,
                Expiration = now.AddSeconds(client.AccessTokenLifetime),
                Data = JsonSerializer.Serialize(payload),
            }, ct);
        }
        else
        {
            accessToken = Handler.CreateToken(new SecurityTokenDescriptor
            {
                Claims = payload,
                TokenType = AccessTokenType,
                SigningCredentials = ring.Signing.Credentials,
            });
            if (auth.SubjectId is not null)
            {
                // A JWT cannot be recalled from the APIs that check it themselves, but this server's own answer about it
                // (introspection, userinfo, the admin API) can follow its family: a replayed code or a reused or revoked
                // refresh token removes the family, this record with it, and the token is then inactive here (RFC 6749 §4.1.2).
                await grants.StoreAsync(new PersistedGrant
                {
                    Key = Handles.Key((string)payload[JwtRegisteredClaimNames.Jti], GrantKinds.JwtAccessToken),
                    Type = GrantKinds.JwtAccessToken,
                    ClientId = client.ClientId,
                    SubjectId = auth.SubjectId,
                    SessionId = auth.SessionId,
                    FamilyId = request.FamilyId,
                    CreationTime = now,
                    Expiration = now.AddSeconds(client.AccessTokenLifetime),
                    Data = "{}",
                }, ct);
            }
        }

        string? refreshToken = null;
        if (auth.SubjectId is not null && auth.Scopes.Contains(OidcConstants.OfflineAccess) && client.AllowOfflineAccess)
        {
            refreshToken = await CreateRefreshTokenAsync(client, auth, request.FamilyId ?? Handles.Create(), now, ct);
        }

        string? idToken = null;
        if (includeIdToken && auth.SubjectId is not null && auth.Scopes.Contains(OidcConstants.OpenId))
        {
            idToken = CreateIdToken(issuer, request, res, ring, now, nonce, accessToken, code);
        }
        return new IssuedTokens(accessToken, client.AccessTokenLifetime, auth.Scopes, refreshToken, idToken);
    }

    public async Task<string> CreateRefreshTokenAsync(ClientOptions client, AuthorizationData auth, string familyId, DateTimeOffset now, CancellationToken ct)
    {
        var handle = Handles.Create();
        await grants.StoreAsync(new PersistedGrant
        {
            Key = Handles.Key(handle, GrantKinds.RefreshToken),
            Type = GrantKinds.RefreshToken,
            ClientId = client.ClientId,
            SubjectId = auth.SubjectId,
            SessionId = auth.SessionId,
            FamilyId = familyId,
            CreationTime = now,
            Expiration = now.AddSeconds(client.AbsoluteRefreshTokenLifetime),
            Data = JsonSerializer.Serialize(new RefreshTokenData { Authorization = auth }),
        }, ct);
        return handle;
    }

    private Dictionary<string, object> AccessTokenPayload(string issuer, TokenRequest request, ResourceSet res, DateTimeOffset now)
    {
        var (client, auth) = (request.Client, request.Authorization);
        var iat = now.ToUnixTimeSeconds();
        var payload = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            [JwtRegisteredClaimNames.Iss] = issuer,
            [JwtRegisteredClaimNames.Iat] = iat,
            [JwtRegisteredClaimNames.Nbf] = iat,
            [JwtRegisteredClaimNames.Exp] = iat + client.AccessTokenLifetime,
            ["client_id"] = client.ClientId,
            [JwtRegisteredClaimNames.Jti] = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
        };
        var audiences = res.AudiencesFor(auth.Scopes);
        if (audiences.Count == 1)
        {
            payload[JwtRegisteredClaimNames.Aud] = audiences[0];
        }
        else if (audiences.Count > 1)
        {
            payload[JwtRegisteredClaimNames.Aud] = audiences;
        }
        payload["scope"] = options.Value.EmitScopesAsSpaceDelimitedStringInJwt ? string.Join(' ', auth.Scopes) : auth.Scopes;
        if (auth.SubjectId is not null)
        {
            payload[JwtRegisteredClaimNames.Sub] = auth.SubjectId;
            if (auth.AuthTime is { } authTime)
            {
                payload[JwtRegisteredClaimNames.AuthTime] = authTime;
            }
            payload["idp"] = "local";
            if (auth.Amr.Count > 0)
            {
                payload[JwtRegisteredClaimNames.Amr] = auth.Amr;
            }
            if (auth.SessionId is not null)
            {
                payload[JwtRegisteredClaimNames.Sid] = auth.SessionId;
            }
            if (request.User is { } user)
            {
                // User claims that the granted API scopes and resources ask for.
                var wanted = res.ApiScopes.Where(s => auth.Scopes.Contains(s.Name)).SelectMany(s => s.UserClaims)
                    .Concat(res.ApiResources.Where(r => audiences.Contains(r.Name)).SelectMany(r => r.UserClaims));
                foreach (var type in wanted.Distinct(StringComparer.Ordinal))
                {
                    if (user.Claims.TryGetValue(type, out var value) && !payload.ContainsKey(type))
                    {
                        payload[type] = value;
                    }
                }
            }
        }
        return payload;
    }

    private string CreateIdToken(string issuer, TokenRequest request, ResourceSet res, KeyRing ring, DateTimeOffset now, string? nonce, string accessToken, string? code)
    {
        var (client, auth) = (request.Client, request.Authorization);
        var iat = now.ToUnixTimeSeconds();
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            [JwtRegisteredClaimNames.Iss] = issuer,
            [JwtRegisteredClaimNames.Aud] = client.ClientId,
            [JwtRegisteredClaimNames.Sub] = auth.SubjectId!,
            [JwtRegisteredClaimNames.Iat] = iat,
            [JwtRegisteredClaimNames.Nbf] = iat,
            [JwtRegisteredClaimNames.Exp] = iat + client.IdentityTokenLifetime,
            ["idp"] = "local",
            [JwtRegisteredClaimNames.AtHash] = Handles.LeftHalfHash(accessToken),
        };
        if (auth.AuthTime is { } authTime)
        {
            claims[JwtRegisteredClaimNames.AuthTime] = authTime;
        }
        if (auth.Amr.Count > 0)
        {
            claims[JwtRegisteredClaimNames.Amr] = auth.Amr;
        }
        if (auth.SessionId is not null)
        {
            claims[JwtRegisteredClaimNames.Sid] = auth.SessionId;
        }
        if (nonce is not null)
        {
            claims[JwtRegisteredClaimNames.Nonce] = nonce;
        }
        if (code is not null)
        {
            claims[JwtRegisteredClaimNames.CHash] = Handles.LeftHalfHash(code);
        }
        if (client.AlwaysIncludeUserClaimsInIdToken && request.User is { } user)
        {
            foreach (var (type, value) in UserClaimsFor(user, auth.Scopes, res))
            {
                claims.TryAdd(type, value);
            }
        }
        return Handler.CreateToken(new SecurityTokenDescriptor { Claims = claims, SigningCredentials = ring.Signing.Credentials });
    }

    /// <summary>The user's claims that the granted identity scopes release (userinfo, ID token).</summary>
    public static IEnumerable<(string Type, string Value)> UserClaimsFor(UserRecord user, IEnumerable<string> scopes, ResourceSet res)
    {
        var types = scopes.Select(res.FindIdentityResource).Where(r => r is not null).SelectMany(r => r!.UserClaims).ToHashSet(StringComparer.Ordinal);
        return user.Claims.Where(c => types.Contains(c.Key) && c.Key != JwtRegisteredClaimNames.Sub).Select(c => (c.Key, c.Value));
    }

    /// <summary>Validates an access token issued here: a signed at+jwt (alg and kid checked against JWKS), or a live reference handle.</summary>
    public async Task<ValidatedAccessToken?> ValidateAccessTokenAsync(string issuer, string token, CancellationToken ct)
    {
        if (!token.Contains('.', StringComparison.Ordinal))
        {
            var grant = await grants.GetAsync(Handles.Key(token, GrantKinds.ReferenceToken), ct);
            if (grant is null || grant.Expiration <= time.GetUtcNow())
            {
                return null;
            }
            var payload = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(grant.Data)!;
            return FromPayload(payload);
        }
        var ring = await keys.GetKeyRingAsync(ct);
        if (TryReadKid(token) is { Length: > 0 } kid && ring.Published.All(k => k.Id != kid))
        {
            // Another replica may have rotated; re-read the store (rate-limited) before calling the kid unknown.
            ring = await keys.RefreshForUnknownKeyAsync(ct);
        }
        var result = await Handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidateAudience = false,
            IssuerSigningKeys = ring.Published.Select(k => k.Key),
            ValidTypes = [AccessTokenType],
            ValidAlgorithms = [ring.Signing.Stored.Algorithm],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            TryAllIssuerSigningKeys = false,
            ClockSkew = TimeSpan.FromSeconds(30),
            LifetimeValidator = (nbf, exp, _, _) => exp is { } e && e > time.GetUtcNow().UtcDateTime.AddSeconds(-30),
        });
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            return null;
        }
        // A user's token is live only while its record is (IssueAsync): its family may have been revoked since.
        if (jwt.TryGetPayloadValue<string>(JwtRegisteredClaimNames.Sub, out _)
            && (!jwt.TryGetPayloadValue<string>(JwtRegisteredClaimNames.Jti, out var jti)
                || await grants.GetAsync(Handles.Key(jti, GrantKinds.JwtAccessToken), ct) is null))
        {
            return null;
        }
        var json = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Base64UrlEncoder.Decode(jwt.EncodedPayload))!;
        return FromPayload(json);
    }

    /// <summary>Validates an id_token_hint: our signature and issuer; expiry is ignored (OIDC RP-initiated logout).</summary>
    public async Task<JsonWebToken?> ValidateIdTokenHintAsync(string issuer, string token, CancellationToken ct)
    {
        var ring = await keys.GetKeyRingAsync(ct);
        var result = await Handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidateAudience = false,
            ValidateLifetime = false,
            IssuerSigningKeys = ring.Published.Select(k => k.Key),
            ValidAlgorithms = [ring.Signing.Stored.Algorithm],
            RequireSignedTokens = true,
            TryAllIssuerSigningKeys = false,
        });
        return result.IsValid ? result.SecurityToken as JsonWebToken : null;
    }

    private static string? TryReadKid(string token)
    {
        try
        {
            return Handler.CanReadToken(token) ? new JsonWebToken(token).Kid : null;
        }
        catch (ArgumentException)
        {
            // Not a well-formed JWT; validation below rejects it.
            return null;
        }
    }

    private static ValidatedAccessToken FromPayload(Dictionary<string, JsonElement> payload)
    {
        static IReadOnlyList<string> Strings(JsonElement? e, bool splitSpaces) => e switch
        {
            { ValueKind: JsonValueKind.Array } a => a.EnumerateArray().Select(x => x.GetString() ?? "").ToList(),
            { ValueKind: JsonValueKind.String } s => splitSpaces ? s.GetString()!.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [s.GetString()!],
            _ => [],
        };
        JsonElement? Get(string name) => payload.TryGetValue(name, out var v) ? v : null;
        return new ValidatedAccessToken(
            payload,
            Get("client_id")?.GetString() ?? "",
            Strings(Get("scope"), splitSpaces: true),
            Strings(Get(JwtRegisteredClaimNames.Aud), splitSpaces: false),
            Get(JwtRegisteredClaimNames.Sub)?.GetString());
    }

    /// <summary>A principal for cookie sign-in.</summary>
    public static ClaimsPrincipal LoginPrincipal(UserRecord user, string sessionId, DateTimeOffset authTime) =>
        new(new ClaimsIdentity(
            [
                new Claim(JwtRegisteredClaimNames.Sub, user.SubjectId),
                new Claim("name", user.Claims.GetValueOrDefault("name") ?? user.Username),
                new Claim(JwtRegisteredClaimNames.AuthTime, authTime.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new Claim(JwtRegisteredClaimNames.Sid, sessionId),
                new Claim("amr", "pwd"),
            ],
            "idsrv", "name", "role"));
}
