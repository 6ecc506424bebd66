// npm oidc-provider configured like Auth.Server's lab-client: client_credentials, scope catalog.read,
// RS256 JWT access tokens for audience "catalog", 3600 s. Usage: node oidc-provider.mjs PORT
import Provider from 'oidc-provider';

const port = Number(process.argv[2] ?? 9100);
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'lab-client',
    client_secret: 'lab-secret',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'catalog.read',
  }],
  scopes: ['catalog.read'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'urn:catalog',
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'catalog.read',
        audience: 'catalog',
        accessTokenTTL: 3600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
});
provider.listen(port, '127.0.0.1', () => console.log(`oidc-provider listening on ${port}`));
