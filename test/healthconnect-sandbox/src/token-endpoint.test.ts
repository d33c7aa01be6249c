import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { call, getWith } from './api-test-client.js';
import { startSandbox, type Sandbox } from './sandbox.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('POST /token', () => {
  let sandbox: Sandbox;
  let clock = new Date('2026-06-01T12:00:00Z');
  beforeAll(async () => {
    sandbox = await startSandbox({
      providers: 50,
      tokenTtlSeconds: 600,
      now: () => clock,
      clients: [
        { clientId: 'app', clientSecret: 's3cret', scopes: ['provider:read', 'schedule:read'] },
        { clientId: 'hooks', clientSecret: 'h00ks', scopes: ['webhooks:manage'] },
      ],
    });
  });
  afterAll(() => sandbox.close());

  const post = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    call(sandbox.tokenUrl, {
      method: 'POST',
      headers: { ...FORM, ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  const basic = (id: string, secret: string) => ({
    authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
  });

  it('issues a token for form-field client credentials, as the guide sends them', async () => {
    const response = await post({
      grant_type: 'client_credentials',
      client_id: 'app',
      client_secret: 's3cret',
      scope: 'provider:read',
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 600,
      scope: 'provider:read',
    });
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['x-request-id']).toEqual(expect.any(String));
    expect(response.headers['x-ratelimit-limit']).toEqual(expect.any(String));
  });

  it('issues a token for HTTP Basic client auth, with all allowed scopes when none are asked', async () => {
    const response = await post({ grant_type: 'client_credentials' }, basic('app', 's3cret'));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ scope: 'provider:read schedule:read' });
  });

  it('answers invalid_request without grant_type or with two auth methods', async () => {
    expect((await post({ client_id: 'app', client_secret: 's3cret' })).body).toEqual({
      error: 'invalid_request',
      error_description: expect.any(String),
    });
    const both = await post(
      { grant_type: 'client_credentials', client_id: 'app', client_secret: 's3cret' },
      basic('app', 's3cret'),
    );
    expect(both.status).toBe(400);
    expect(both.body).toMatchObject({ error: 'invalid_request' });
  });

  it('answers invalid_client with 401, and WWW-Authenticate: Basic only when Basic was used', async () => {
    const form = await post({
      grant_type: 'client_credentials',
      client_id: 'app',
      client_secret: 'zz-guess-9f',
    });
    expect(form.status).toBe(401);
    expect(form.body).toMatchObject({ error: 'invalid_client' });
    expect(form.headers['www-authenticate']).toBeUndefined();
    expect(form.text).not.toContain('zz-guess-9f');
    const viaBasic = await post({ grant_type: 'client_credentials' }, basic('nobody', 'x'));
    expect(viaBasic.status).toBe(401);
    expect(viaBasic.headers['www-authenticate']).toMatch(/^Basic/);
    const missing = await post({ grant_type: 'client_credentials' });
    expect(missing.status).toBe(401);
  });

  it('answers unsupported_grant_type and invalid_scope', async () => {
    const grant = await post({ grant_type: 'password', client_id: 'app', client_secret: 's3cret' });
    expect(grant.status).toBe(400);
    expect(grant.body).toMatchObject({ error: 'unsupported_grant_type' });
    const scope = await post({
      grant_type: 'client_credentials',
      client_id: 'app',
      client_secret: 's3cret',
      scope: 'provider:read webhooks:manage',
    });
    expect(scope.status).toBe(400);
    expect(scope.body).toMatchObject({ error: 'invalid_scope' });
  });

  it('rejects a missing, unknown or expired bearer token with 401 invalid_token', async () => {
    const token = (
      (await post({ grant_type: 'client_credentials', client_id: 'app', client_secret: 's3cret' }))
        .body as {
        access_token: string;
      }
    ).access_token;
    expect((await getWith(sandbox, token, '/provider/v2/providers/PRV0000000001')).status).toBe(
      200,
    );
    for (const auth of [undefined, 'Bearer nope']) {
      const response = await call(
        `${sandbox.baseUrl}/providers`,
        auth ? { headers: { authorization: auth } } : {},
      );
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      expect(response.body).toMatchObject({
        error: { code: 'unauthorized', request_id: response.headers['x-request-id'] },
      });
    }
    clock = new Date(clock.getTime() + 601_000);
    const expired = await getWith(sandbox, token, '/provider/v2/providers/PRV0000000001');
    expect(expired.status).toBe(401);
    expect(expired.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  it('answers 403 insufficient_scope naming the scope each route needs', async () => {
    const hooksToken = (
      (await post({ grant_type: 'client_credentials' }, basic('hooks', 'h00ks'))).body as {
        access_token: string;
      }
    ).access_token;
    const appToken = (
      (
        await post({
          grant_type: 'client_credentials',
          client_id: 'app',
          client_secret: 's3cret',
          scope: 'provider:read',
        })
      ).body as { access_token: string }
    ).access_token;
    const cases: Array<[string, string, string]> = [
      [hooksToken, '/provider/v2/providers', 'provider:read'],
      [hooksToken, '/provider/v2/providers/changes', 'provider:read'],
      [
        appToken,
        '/provider/v2/providers/PRV0000000001/schedule?start_date=2026-12-01&end_date=2026-12-02',
        'schedule:read',
      ],
      [appToken, '/provider/v2/webhooks', 'webhooks:manage'],
    ];
    for (const [token, path, scope] of cases) {
      const response = await getWith(sandbox, token, path);
      expect(response.status).toBe(403);
      expect(response.headers['www-authenticate']).toBe(
        `Bearer error="insufficient_scope", scope="${scope}"`,
      );
      expect(response.body).toMatchObject({ error: { code: 'forbidden' } });
    }
  });
});
