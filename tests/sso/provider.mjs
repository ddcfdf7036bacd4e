// A real OpenID provider for dsr's sign-in tests: oidc-provider (node_modules, from `npm ci`) with one
// client (dsr), test accounts and a few switches a test flips. Started by tests/sso/provider.py:
//
//   node tests/sso/provider.mjs <config.json>
//
// The config file (written by provider.py) holds the issuer, the port, dsr's client registration and the
// accounts ({"<id>": {"email", "name", "groups", "amr", "acr", "groups_in_userinfo"}}). Only for tests;
// never for production.
//
// Test routes (only in this harness, on 127.0.0.1):
//   GET  /interaction/<uid>             the sign-in page: a form with one field, the account's id
//   POST /interaction/<uid>/login       account=<id>: signs in as that account (its amr/acr as the login's)
//   PUT  /test/accounts/<id>            JSON body: the account's claims from now on (groups, amr, ...)
//   POST /test/next-token               JSON body {"wrong_key": true} and/or {"clock_shift_seconds": -7200},
//                                       or {"unsigned": true} (an ID token with alg "none")
//                                       and/or {"claims": {...}}: the next token response's ID token is signed
//                                       with a key that is not in the JWKS (same kid), or made while the
//                                       provider's clock is shifted, or has these claims changed (re-signed
//                                       with the provider's own key)
//   POST /test/sign                     JSON body {"claims": {...}}: a JWT with these claims signed with the
//                                       provider's own key (a logout token with whatever a test needs)
//   GET  /test/backchannel              how many back-channel logout calls succeeded and failed
//
// TEST_PROVIDER_DEBUG=1 in the environment writes every ID token's claims to the provider's log (the test's
// tmp folder, provider.log). jose is oidc-provider's own dependency (node_modules/jose, from the lockfile).
import { readFileSync } from 'node:fs';

import { exportJWK, generateKeyPair, decodeProtectedHeader, decodeJwt, SignJWT } from 'jose';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = new Map(Object.entries(config.accounts));
const next = { wrongKey: false, clockShiftSeconds: 0, claims: null };
const backchannel = { success: 0, error: 0 };

async function signingKey(kid) {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' } };
}

const good = await signingKey('dsr-test-key');
// Same kid as the real key, so the client cannot tell by the header; its signature fails against the JWKS.
const rogue = await signingKey('dsr-test-key');

const realNow = Date.now;
let clockShiftMs = 0;
Date.now = () => realNow() + clockShiftMs;

const provider = new Provider(config.issuer, {
  clients: [{
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    backchannel_logout_session_required: false,
    ...config.client,
  }],
  jwks: { keys: [good.jwk] },
  cookies: { keys: ['dsr-test-provider-cookie-key'] },
  // The groups and amr travel with every sign-in, like Entra ID's groups claim; scope claims go into the ID
  // token. (amr under openid: as a standalone claim oidc-provider would send it only when asked for.)
  claims: {
    acr: null, auth_time: null, iss: null, sid: null,
    openid: ['sub', 'groups', 'amr'], email: ['email', 'email_verified'], profile: ['name'],
  },
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: false },
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  // oidc-provider refuses outgoing calls to loopback addresses (SSRF protection); dsr runs on 127.0.0.1
  // here, so the back-channel logout calls go out without that check. Only in this test harness.
  fetch: (url, { dispatcher, ...options }) => globalThis.fetch(url, options),
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // dsr is the school's own application: no consent screen, every requested scope granted.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      return ctx.oidc.provider.Grant.find(grantId);
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  async findAccount(ctx, id) {
    if (!accounts.has(id)) {
      return undefined;
    }
    return {
      accountId: id,
      // Read at every token: a changed account counts from the next sign-in on. An account with
      // "groups_in_userinfo" gets its groups from the userinfo endpoint only, not in the ID token.
      async claims(use) {
        const { email, name, groups, groups_in_userinfo: userinfoOnly } = accounts.get(id);
        return { sub: id, email, email_verified: true, name, ...(userinfoOnly && use === 'id_token' ? {} : { groups }) };
      },
    };
  },
});

provider.on('backchannel.success', () => { backchannel.success += 1; });
provider.on('backchannel.error', (ctx, err) => {
  backchannel.error += 1;
  console.error(`back-channel logout failed: ${err.message} ${err.cause?.message ?? ''}`);
});
provider.on('server_error', (ctx, err) => console.error(err));

async function readBody(ctx) {
  const chunks = [];
  for await (const chunk of ctx.req) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function page(title, body) {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;
}

provider.use(async (ctx, nextMiddleware) => {
  const interaction = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (interaction) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== interaction[1]) {
      ctx.throw(400, 'interaction mismatch');
    }
    if (ctx.method === 'GET' && !interaction[2]) {
      ctx.type = 'html';
      ctx.body = page('Sign in', `<form method="post" action="/interaction/${details.uid}/login">
        <label>Account <input name="account"></label><button type="submit">Sign in</button></form>`);
      return;
    }
    if (ctx.method === 'POST' && interaction[2]) {
      const accountId = new URLSearchParams(await readBody(ctx)).get('account');
      if (!accounts.has(accountId)) {
        ctx.status = 400;
        ctx.type = 'html';
        ctx.body = page('Unknown account', '<p>No such account.</p>');
        return;
      }
      const { amr, acr } = accounts.get(accountId);
      const login = { accountId, ...(amr ? { amr } : {}), ...(acr ? { acr } : {}) };
      const returnTo = await provider.interactionResult(ctx.req, ctx.res, { login }, { mergeWithLastSubmission: false });
      ctx.status = 303;
      ctx.redirect(returnTo);
      return;
    }
    ctx.throw(405);
  }

  const account = ctx.path.match(/^\/test\/accounts\/([^/]+)$/);
  if (account && ctx.method === 'PUT') {
    accounts.set(account[1], JSON.parse(await readBody(ctx)));
    ctx.status = 204;
    return;
  }
  if (ctx.path === '/test/next-token' && ctx.method === 'POST') {
    const body = JSON.parse(await readBody(ctx));
    next.wrongKey = Boolean(body.wrong_key);
    next.unsigned = Boolean(body.unsigned);
    next.clockShiftSeconds = Number(body.clock_shift_seconds || 0);
    next.claims = body.claims || null;
    ctx.status = 204;
    return;
  }
  if (ctx.path === '/test/sign' && ctx.method === 'POST') {
    const { claims } = JSON.parse(await readBody(ctx));
    ctx.body = {
      jwt: await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: good.jwk.kid, typ: 'logout+jwt' })
        .sign(good.privateKey),
    };
    return;
  }
  if (ctx.path === '/test/backchannel' && ctx.method === 'GET') {
    ctx.body = backchannel;
    return;
  }

  if (ctx.path !== '/token') {
    await nextMiddleware();
    return;
  }
  // The token endpoint, with this request's switches (used once).
  const { wrongKey, unsigned, clockShiftSeconds, claims: changed } = next;
  next.wrongKey = false;
  next.unsigned = false;
  next.clockShiftSeconds = 0;
  next.claims = null;
  clockShiftMs = clockShiftSeconds * 1000;
  try {
    await nextMiddleware();
  } finally {
    clockShiftMs = 0;
  }
  if (process.env.TEST_PROVIDER_DEBUG && ctx.body && ctx.body.id_token) {
    console.log(JSON.stringify(decodeJwt(ctx.body.id_token)));  // the ID token's claims, into provider.log
  }
  if ((wrongKey || changed) && ctx.status === 200 && ctx.body && ctx.body.id_token) {
    const header = decodeProtectedHeader(ctx.body.id_token);
    const claims = { ...decodeJwt(ctx.body.id_token), ...(changed || {}) };
    const key = wrongKey ? rogue.privateKey : good.privateKey;
    ctx.body = { ...ctx.body, id_token: await new SignJWT(claims).setProtectedHeader(header).sign(key) };
  }
  if (unsigned && ctx.status === 200 && ctx.body && ctx.body.id_token) {
    // An unsecured JWT (RFC 7519 §6: alg "none", no signature) with the real token's claims.
    const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const id_token = `${part({ alg: 'none', typ: 'JWT' })}.${part(decodeJwt(ctx.body.id_token))}.`;
    ctx.body = { ...ctx.body, id_token };
  }
});

const server = provider.listen(config.port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${config.issuer}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));  // a test provider: nothing to finish
}
