// FranceConnect v2 stand-in for the test suite: a real OpenID Connect provider (panva/oidc-provider),
// loopback only. Never deploy this: any login/password is accepted and /__test/* lets anyone set claims.
//
//   PORT=0 ALG=ES256 node tests/oidc/fc-stub.mjs
//
// PORT  listening port on 127.0.0.1 (0, the default: the system picks a free one).
// ALG   ES256 (default) or RS256: how the ID token and the userinfo JWT are signed.
// CLIENT_SECRET_PORTAL, CLIENT_SECRET_OTHER  the two registered clients' secrets (client_secret_post).
// EXIT_ON_STDIN_EOF  when set, exit as soon as stdin closes (the parent died).
// When ready, prints one JSON line to stdout: {"issuer": "http://127.0.0.1:<port>"}.
//
// Per-account control (the login typed in the dev login form becomes `sub`):
//   POST /__test/account {"sub": "...", "claims": {...}, "acr": "eidas1" | null, "id_token": "none" | "HS256"}
//     claims   merged over DEFAULT_CLAIMS for that sub's next logins;
//     acr      what the login result (hence the ID token) carries; null leaves acr out; default eidas1;
//     id_token re-encode that sub's next ID tokens unsigned (alg "none") or HS256-signed with the client
//              secret, as a broken or hostile provider would (oidc-provider cannot issue either itself).
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const PORT = Number(process.env.PORT || 0);
const ALG = process.env.ALG || 'ES256';
if (!['ES256', 'RS256'].includes(ALG)) throw new Error(`ALG must be ES256 or RS256, not ${ALG}`);

const CLIENT_SECRETS = {
  portal: process.env.CLIENT_SECRET_PORTAL || 'portal-secret-portal-secret-portal-secret',
  // A second relying party at the same provider: its tokens carry aud=other.
  other: process.env.CLIENT_SECRET_OTHER || 'other-secret-other-secret-other-secret-xx',
};
const REDIRECT_URIS = (process.env.REDIRECT_URIS || 'http://testserver/oidc/callback/').split(',');
const POST_LOGOUT_REDIRECT_URIS = (
  process.env.POST_LOGOUT_REDIRECT_URIS || 'http://testserver/compte/franceconnect/deconnexion/'
).split(',');

const FC_CLAIMS = [
  'given_name', 'family_name', 'birthdate', 'birthplace', 'birthcountry', 'gender', 'preferred_username', 'email',
];
// FranceConnect's documented test identity (born in Paris 7e).
const DEFAULT_CLAIMS = {
  given_name: 'Angela Claire Louise',
  family_name: 'DUBOIS',
  birthdate: '1962-08-24',
  birthplace: '75107',
  birthcountry: '99100',
  gender: 'female',
  preferred_username: '',
  email: 'wossewodda-3728@yopmail.com',
};
const accounts = new Map(); // sub -> { claims, acr, id_token }
const account = (sub) => accounts.get(sub) || {};

const keyPair = ALG === 'ES256'
  ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
  : generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...keyPair.privateKey.export({ format: 'jwk' }), kid: `stub-${ALG.toLowerCase()}`, use: 'sig', alg: ALG };

const b64url = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function reencode(idToken, mode, secret) {
  // Both keep the real key's kid, as an attacker would, so the relying party gets past its key lookup by kid.
  const [, payload] = idToken.split('.');
  if (mode === 'none') return `${b64url({ alg: 'none', typ: 'JWT', kid: signingKey.kid })}.${payload}.`;
  // HS256 with the client secret: the classic algorithm-confusion shape.
  const signingInput = `${b64url({ alg: 'HS256', typ: 'JWT', kid: signingKey.kid })}.${payload}`;
  return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
}

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

const server = createServer();
server.listen(PORT, '127.0.0.1', () => {
  const ISSUER = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(ISSUER, {
    clients: Object.entries(CLIENT_SECRETS).map(([clientId, secret]) => ({
      client_id: clientId,
      client_secret: secret,
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: REDIRECT_URIS,
      post_logout_redirect_uris: POST_LOGOUT_REDIRECT_URIS,
      id_token_signed_response_alg: ALG,
      userinfo_signed_response_alg: ALG,
    })),
    jwks: { keys: [signingKey] },
    scopes: ['openid', ...FC_CLAIMS],
    claims: Object.fromEntries([['openid', ['sub']], ['acr', null], ...FC_CLAIMS.map((claim) => [claim, [claim]])]),
    acrValues: ['eidas1', 'eidas2', 'eidas3'],
    features: {
      devInteractions: { enabled: true },
      jwtUserinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    findAccount: async (ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ ...DEFAULT_CLAIMS, ...(account(sub).claims || {}), sub }),
    }),
    pkce: { required: () => false },
    // FranceConnect hands out no refresh tokens.
    issueRefreshToken: async () => false,
  });
  provider.proxy = false;

  // Like FranceConnect, put acr in the ID token: it only appears when the login result sets it.
  const finished = provider.interactionFinished.bind(provider);
  provider.interactionFinished = (req, res, result, options) => {
    if (result.login) {
      const { acr = 'eidas1' } = account(result.login.accountId);
      result = { ...result, login: { ...result.login, ...(acr === null ? {} : { acr }) } };
    }
    return finished(req, res, result, options);
  };

  provider.use(async (ctx, next) => {
    if (ctx.path === '/__test/account' && ctx.method === 'POST') {
      const { sub, ...settings } = await readJson(ctx.req);
      if (!sub) ctx.throw(400, 'sub is required');
      accounts.set(sub, settings);
      ctx.status = 204;
      return;
    }
    await next();
    if (ctx.path === '/token' && ctx.status === 200 && ctx.body?.id_token) {
      const { sub, aud } = JSON.parse(Buffer.from(ctx.body.id_token.split('.')[1], 'base64url'));
      const mode = account(sub).id_token;
      if (mode) ctx.body = { ...ctx.body, id_token: reencode(ctx.body.id_token, mode, CLIENT_SECRETS[aud]) };
    }
  });

  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer: ISSUER })}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
// Started with a pipe on stdin (as the tests do), exit when it closes: no orphan if pytest itself is killed.
if (process.env.EXIT_ON_STDIN_EOF) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}
