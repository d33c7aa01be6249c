import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Dispatcher } from 'undici';
import { call, tokenFor } from './api-test-client.js';
import { buildOpenApiDocument, type OpenApiNode } from './openapi.js';
import { startSandbox, type Sandbox } from './sandbox.js';

const doc = buildOpenApiDocument();
const schemas = (doc.components as { schemas: Record<string, OpenApiNode> }).schemas;

/** Resolves `$ref` and `allOf` into one node. */
function resolve(node: OpenApiNode): OpenApiNode {
  if (typeof node.$ref === 'string') {
    const target = schemas[node.$ref.split('/').at(-1) ?? ''];
    if (!target) throw new Error(`dangling ${node.$ref}`);
    return resolve(target);
  }
  if (Array.isArray(node.allOf)) {
    const parts = (node.allOf as OpenApiNode[]).map(resolve);
    return {
      type: 'object',
      required: parts.flatMap((p) => (p.required as string[] | undefined) ?? []),
      properties: Object.assign({}, ...parts.map((p) => p.properties ?? {})),
    };
  }
  return node;
}

/** Problems of `value` against the required properties and types of `schema`. */
function check(value: unknown, schema: OpenApiNode, path = '$'): string[] {
  const s = resolve(schema);
  if (s.type === 'object' || s.properties) {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return [`${path}: expected an object`];
    const record = value as Record<string, unknown>;
    const missing = ((s.required as string[] | undefined) ?? [])
      .filter((k) => !(k in record))
      .map((k) => `${path}.${k}: missing`);
    const nested = Object.entries((s.properties ?? {}) as Record<string, OpenApiNode>).flatMap(
      ([k, sub]) =>
        k in record && record[k] !== null ? check(record[k], sub, `${path}.${k}`) : [],
    );
    return [...missing, ...nested];
  }
  if (s.type === 'array') {
    if (!Array.isArray(value)) return [`${path}: expected an array`];
    return value.flatMap((item, i) => check(item, s.items as OpenApiNode, `${path}[${i}]`));
  }
  if (Array.isArray(s.enum) && !s.enum.includes(value))
    return [`${path}: ${String(value)} not in enum`];
  if (typeof s.type === 'string' && ['string', 'integer', 'boolean', 'number'].includes(s.type)) {
    const actual =
      s.type === 'integer' ? (Number.isInteger(value) ? 'integer' : typeof value) : typeof value;
    if (actual !== s.type) return [`${path}: expected ${s.type}, got ${typeof value}`];
  }
  return [];
}

describe('OpenAPI document', () => {
  let sandbox: Sandbox;
  let token: string;
  let hookId = 'WHK0';
  beforeAll(async () => {
    sandbox = await startSandbox({ providers: 30 });
    token = await tokenFor(sandbox);
  });
  afterAll(() => sandbox.close());

  it('is served at /openapi.json', async () => {
    const response = await call(`${sandbox.url}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual(JSON.parse(JSON.stringify(doc)));
  });

  /** Example requests per documented operation: [label, path, body, form?]. */
  const examples: Record<
    string,
    Array<{ path: string; body?: string; form?: boolean; auth?: boolean }>
  > = {
    'post /token': [
      { path: '/token', form: true, body: 'grant_type=client_credentials' },
      { path: '/token', form: true, body: '' },
    ],
    'get /provider/v2/providers': [
      { path: '?specialty=cardiology' },
      { path: '?per_page=0' },
      { path: '', auth: false },
    ],
    'get /provider/v2/providers/changes': [
      { path: '?since=2000-01-01T00:00:00Z' },
      { path: '?since=never' },
    ],
    'get /provider/v2/providers/{id}': [{ path: '/PRV0000000001' }, { path: '/PRV0000009999' }],
    'get /provider/v2/providers/{id}/locations': [
      { path: '/PRV0000000001/locations' },
      { path: '/PRV0000009999/locations' },
    ],
    'get /provider/v2/providers/{id}/schedule': [
      { path: '/PRV0000000001/schedule?start_date=2026-12-01&end_date=2026-12-10' },
      { path: '/PRV0000000001/schedule?start_date=2026-12-10&end_date=2026-12-01' },
    ],
    'post /provider/v2/webhooks': [
      {
        path: '',
        body: JSON.stringify({ url: 'https://pms.example.com/h', events: ['provider.updated'] }),
      },
      { path: '', body: '{}' },
    ],
    'get /provider/v2/webhooks': [{ path: '' }],
    'delete /provider/v2/webhooks/{id}': [{ path: '/{hook}' }, { path: '/WHKNOPE' }],
  };

  it('answers every documented operation with a documented status and body', async () => {
    const paths = doc.paths as Record<string, Record<string, OpenApiNode>>;
    const seen: string[] = [];
    for (const [template, operations] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const key = `${method} ${template}`;
        const cases = examples[key];
        if (!cases) throw new Error(`no example for ${key}`);
        seen.push(key);
        const base = template.startsWith('/token') ? '' : template.replace(/\/\{id\}.*$/, '');
        for (const example of cases) {
          const headers: Record<string, string> = {};
          if (example.form) {
            headers['content-type'] = 'application/x-www-form-urlencoded';
            headers.authorization = `Basic ${Buffer.from(`${sandbox.clientId}:${sandbox.clientSecret}`).toString('base64')}`;
          } else if (example.auth !== false) headers.authorization = `Bearer ${token}`;
          if (example.body && !example.form) headers['content-type'] = 'application/json';
          const path = `${base}${example.path.replace('{hook}', hookId)}`;
          const response = await call(`${sandbox.url}${path}`, {
            method: method.toUpperCase() as Dispatcher.HttpMethod,
            headers,
            body: example.body,
          });
          const documented = (operation.responses as Record<string, OpenApiNode>)[
            String(response.status)
          ];
          expect([key, path, response.status, documented !== undefined]).toEqual([
            key,
            path,
            response.status,
            true,
          ]);
          const schema = (
            documented?.content as Record<string, { schema: OpenApiNode }> | undefined
          )?.['application/json']?.schema;
          if (schema) expect([path, check(response.body, schema)]).toEqual([path, []]);
          else expect(response.text).toBe('');
          if (key === 'post /provider/v2/webhooks' && response.status === 201)
            hookId = (response.body as { id: string }).id;
        }
      }
    }
    expect(seen.sort()).toEqual(Object.keys(examples).sort());
  });

  it('finds what it is meant to find (the checker can fail)', () => {
    expect(
      check({ providers: [{ id: 'x' }] }, { $ref: '#/components/schemas/ProviderPage' }).length,
    ).toBeGreaterThan(0);
  });
});
