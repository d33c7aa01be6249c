import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AddressSchema,
  ChangesPageSchema,
  ErrorResponseSchema,
  LocationListSchema,
  LocationSchema,
  ProviderChangeSchema,
  ProviderPageSchema,
  ProviderSchema,
  ScheduleSchema,
  SlotSchema,
  TokenErrorResponseSchema,
  TokenRequestSchema,
  TokenResponseSchema,
  WebhookEventSchema,
  WebhookEventTypeSchema,
  WebhookListSchema,
  WebhookSubscriptionRequestSchema,
  WebhookSubscriptionSchema,
} from '@pmsbridge/healthconnect-contract';
import Ajv from 'ajv';
import type { Dispatcher } from 'undici';
import { z } from 'zod';
import { call, tokenFor } from './api-test-client.js';
import { buildOpenApiDocument, contractJsonSchema, type OpenApiNode } from './openapi.js';
import { startSandbox, type Sandbox } from './sandbox.js';

const doc = buildOpenApiDocument();
const schemas = (doc.components as { schemas: Record<string, OpenApiNode> }).schemas;

/** Components that are a contract schema as it is. */
const CONTRACT_COMPONENTS: Record<string, z.ZodType> = {
  Error: ErrorResponseSchema,
  TokenRequest: TokenRequestSchema,
  TokenResponse: TokenResponseSchema,
  TokenError: TokenErrorResponseSchema,
  Address: AddressSchema,
  Location: LocationSchema,
  Provider: ProviderSchema,
  Locations: LocationListSchema,
  Slot: SlotSchema,
  Change: ProviderChangeSchema,
  WebhookEventType: WebhookEventTypeSchema,
  WebhookInput: WebhookSubscriptionRequestSchema,
  Webhook: WebhookSubscriptionSchema,
  WebhookList: WebhookListSchema,
  WebhookEvent: WebhookEventSchema,
};

/** Components that are a contract envelope whose `unknown` entries have a contract type. */
const ENVELOPES: Array<[name: string, envelope: z.ZodObject, key: string, entry: z.ZodType]> = [
  ['ProviderPage', ProviderPageSchema, 'providers', ProviderSchema],
  ['Schedule', ScheduleSchema, 'schedule', SlotSchema],
  ['ChangesPage', ChangesPageSchema, 'changes', ProviderChangeSchema],
];

function componentNamed(ref: string): OpenApiNode {
  const target = schemas[ref.replace('#/components/schemas/', '')];
  if (!ref.startsWith('#/components/schemas/') || !target) throw new Error(`dangling ${ref}`);
  return target;
}

/** `node` with every `$ref` replaced by the component it points to. */
function inline(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(inline);
  if (typeof node !== 'object' || node === null) return node;
  const { $ref, ...rest } = node as OpenApiNode;
  const own = Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, inline(value)]));
  return typeof $ref === 'string' ? { ...(inline(componentNamed($ref)) as object), ...own } : own;
}

/** A copy of `node` whose objects admit no property they do not declare. */
function closed(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closed);
  if (typeof node !== 'object' || node === null) return node;
  const copy = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, closed(value)]));
  if ('properties' in copy && !('additionalProperties' in copy)) copy.additionalProperties = false;
  return copy;
}

/** Every `schema` of a request or response body of the document. */
function bodySchemas(): OpenApiNode[] {
  const operations = [doc.paths, doc.webhooks].flatMap((group) =>
    Object.values(group as Record<string, Record<string, OpenApiNode>>).flatMap(Object.values),
  );
  const bodies = operations.flatMap((operation) => [
    ...(operation.requestBody ? [operation.requestBody as OpenApiNode] : []),
    ...Object.values(operation.responses as Record<string, OpenApiNode>),
  ]);
  return bodies.flatMap((body) =>
    Object.values((body.content ?? {}) as Record<string, { schema: OpenApiNode }>).map(
      (media) => media.schema,
    ),
  );
}

const DOCUMENT_ID = 'https://sandbox.invalid/openapi.json';

/**
 * Checks values against the document's component schemas with ajv 6 (a dependency of eslint),
 * a JSON Schema validator that shares nothing with zod. It knows draft-07, which differs from
 * 2020-12 in nothing the components use: `strictKeywords` and its refusal of unknown formats
 * make sure of that, and `extendRefs` applies keywords beside a `$ref` as 2020-12 does.
 */
function validatorOf(components: OpenApiNode): (value: unknown, schema: OpenApiNode) => string[] {
  const ajv = new Ajv({ allErrors: true, strictKeywords: true, extendRefs: true, format: 'full' });
  // The document is no schema: `components` only holds the schemas the `$ref`s point into.
  ajv.addKeyword('components', { valid: true });
  ajv.addSchema({ $id: DOCUMENT_ID, components });
  return (value, schema) => {
    if (typeof schema.$ref !== 'string') throw new Error('a body schema that is not a $ref');
    const validate = ajv.getSchema(`${DOCUMENT_ID}${schema.$ref}`);
    if (!validate) throw new Error(`dangling ${schema.$ref}`);
    if (validate(value)) return [];
    return (validate.errors ?? []).map((e) => `${e.dataPath} ${e.message ?? e.keyword}`);
  };
}

const documentProblems = validatorOf({ schemas });
/** The sandbox serves the contract, so it sends no property the contract does not declare. */
const strictProblems = validatorOf({ schemas: closed(schemas) });
const component = (name: string): OpenApiNode => ({ $ref: `#/components/schemas/${name}` });

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

  describe('component schemas, generated from the contract', () => {
    it('has one component per contract schema and typed envelope', () => {
      const expected = [
        ...Object.keys(CONTRACT_COMPONENTS),
        ...ENVELOPES.map(([name]) => name),
        'WebhookCreated',
      ];
      expect(Object.keys(schemas).sort()).toEqual(expected.sort());
    });

    it.each(Object.entries(CONTRACT_COMPONENTS))('%s is its contract schema', (name, schema) => {
      expect(inline(schemas[name])).toEqual(contractJsonSchema(schema));
    });

    it.each(ENVELOPES)(
      '%s is the contract envelope with typed entries',
      (name, envelope, key, entry) => {
        const generated = inline(schemas[name]) as { properties: Record<string, OpenApiNode> };
        expect(generated.properties[key]).toEqual({
          type: 'array',
          items: contractJsonSchema(entry),
        });
        const asInContract = {
          ...generated,
          properties: { ...generated.properties, [key]: { type: 'array', items: {} } },
        };
        expect(asInContract).toEqual(contractJsonSchema(envelope));
      },
    );

    it('WebhookCreated is a subscription that carries its secret', () => {
      const created = inline(schemas.WebhookCreated) as OpenApiNode;
      const subscription = contractJsonSchema(WebhookSubscriptionSchema);
      expect(created.properties).toEqual(subscription.properties);
      expect(created.required).toEqual([...(subscription.required as string[]), 'secret']);
    });

    it('refers to components by $ref rather than copying them', () => {
      expect(schemas.Provider?.properties).toMatchObject({
        locations: { type: 'array', items: component('Location') },
      });
      expect(schemas.ChangesPage?.properties).toMatchObject({
        changes: { type: 'array', items: component('Change') },
      });
    });

    it('gives every request and response body as a $ref to a component', () => {
      const bodies = bodySchemas();
      expect(bodies.length).toBeGreaterThan(20);
      for (const schema of bodies) {
        expect(Object.keys(schema)).toEqual(['$ref']);
        expect(() => componentNamed(schema.$ref as string)).not.toThrow();
      }
    });

    it('states the dialect zod generates once, instead of in each component', () => {
      expect(z.toJSONSchema(ProviderSchema).$schema).toBe(doc.jsonSchemaDialect);
      for (const schema of Object.values(schemas)) {
        expect(schema).not.toHaveProperty('$schema');
        expect(schema).not.toHaveProperty('$id');
      }
    });

    it("keeps zod's own string formats out, and the pattern that states them", () => {
      const secret = (schemas.Webhook?.properties as Record<string, OpenApiNode>).secret;
      expect(secret).toEqual({ type: 'string', pattern: '^whsec_.*' });
    });

    it('compiles with a strict JSON Schema validator', () => {
      for (const name of Object.keys(schemas))
        expect(() => documentProblems(null, component(name))).not.toThrow();
    });
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
    const bodiesChecked: string[] = [];
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
          if (schema) {
            expect([path, strictProblems(response.body, schema)]).toEqual([path, []]);
            bodiesChecked.push(schema.$ref as string);
          } else expect(response.text).toBe('');
          if (key === 'post /provider/v2/webhooks' && response.status === 201)
            hookId = (response.body as { id: string }).id;
        }
      }
    }
    expect(seen.sort()).toEqual(Object.keys(examples).sort());
    expect(new Set(bodiesChecked)).toEqual(
      new Set(
        [
          'Error',
          'TokenResponse',
          'TokenError',
          'ProviderPage',
          'ChangesPage',
          'Provider',
          'Locations',
          'Schedule',
          'WebhookCreated',
          'WebhookList',
        ].map((name) => component(name).$ref),
      ),
    );
  });

  it('sends webhook events the document describes', async () => {
    let deliver: (body: string) => void = () => undefined;
    const delivered = new Promise<string>((resolve) => (deliver = resolve));
    const receiver: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        res.writeHead(204).end();
        deliver(Buffer.concat(chunks).toString('utf8'));
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = receiver.address() as AddressInfo;
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const created = await call(`${sandbox.baseUrl}/webhooks`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          url: `http://127.0.0.1:${port}/h`,
          events: ['schedule.updated'],
          provider_id: 'PRV0000000001',
        }),
      });
      expect(created.status).toBe(201);
      const schedule = await call(
        `${sandbox.baseUrl}/providers/PRV0000000001/schedule?start_date=2026-12-01&end_date=2026-12-10`,
        { headers },
      );
      const slots = (schedule.body as { schedule: Array<{ slot_id: string; available: boolean }> })
        .schedule;
      const open = slots.find((slot) => slot.available);
      if (!open) throw new Error('no open slot to book');
      sandbox.admin.bookSlot('PRV0000000001', open.slot_id);
      const event: unknown = JSON.parse(await delivered);
      expect(event).toMatchObject({ type: 'schedule.updated' });
      expect(strictProblems(event, component('WebhookEvent'))).toEqual([]);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  describe('the validator the tests use', () => {
    it('finds a body that breaks the document', () => {
      expect(documentProblems({ providers: [{ id: 'x' }] }, component('ProviderPage'))).not.toEqual(
        [],
      );
      expect(
        documentProblems({ type: 'moved', provider_id: 'PRV0000000001' }, component('Change')),
      ).not.toEqual([]);
    });

    it('lets the document accept unknown fields, and the strict check refuse them', () => {
      const error = { error: { code: 'not_found', message: 'No provider', request_id: 'req_1' } };
      const withExtra = { ...error, hint: 'unknown to the contract' };
      expect(documentProblems(withExtra, component('Error'))).toEqual([]);
      expect(strictProblems(error, component('Error'))).toEqual([]);
      expect(strictProblems(withExtra, component('Error'))).not.toEqual([]);
    });
  });
});
