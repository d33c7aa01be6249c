import { z } from 'zod';
import {
  AddressSchema,
  ChangesPageSchema,
  ErrorResponseSchema,
  LocationListSchema,
  LocationSchema,
  ProviderChangeSchema,
  ProviderIdSchema,
  ProviderPageSchema,
  ProviderSchema,
  ScheduleSchema,
  ScheduleWindowSchema,
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

/** A JSON Schema / OpenAPI node, loosely typed. */
export type OpenApiNode = { [key: string]: unknown };

/** The dialect of the component schemas: zod's default target, and OpenAPI 3.1's. */
const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/**
 * The contract's envelope with typed entries. The contract holds `unknown` entries on purpose
 * (the client checks them one by one and sets bad ones aside); the document names their type.
 */
function withTypedEntries(envelope: z.ZodObject, entries: z.ZodRawShape): z.ZodObject {
  const typed = envelope.extend(entries);
  const meta = envelope.meta();
  return meta ? typed.meta(meta) : typed;
}

/**
 * The document's component schemas by name: the contract's schemas, and its envelopes with
 * typed entries. Every request and response body of the document refers to one of them.
 */
const COMPONENT_SCHEMAS = {
  Error: ErrorResponseSchema,
  TokenRequest: TokenRequestSchema,
  TokenResponse: TokenResponseSchema,
  TokenError: TokenErrorResponseSchema,
  Address: AddressSchema,
  Location: LocationSchema,
  Provider: ProviderSchema,
  ProviderPage: withTypedEntries(ProviderPageSchema, { providers: z.array(ProviderSchema) }),
  Locations: LocationListSchema,
  Slot: SlotSchema,
  Schedule: withTypedEntries(ScheduleSchema, { schedule: z.array(SlotSchema) }),
  Change: ProviderChangeSchema,
  ChangesPage: withTypedEntries(ChangesPageSchema, { changes: z.array(ProviderChangeSchema) }),
  WebhookEventType: WebhookEventTypeSchema,
  WebhookInput: WebhookSubscriptionRequestSchema,
  Webhook: WebhookSubscriptionSchema,
  WebhookCreated: WebhookSubscriptionSchema.required({ secret: true }).describe(
    'A new webhook subscription, with the secret that signs its deliveries.',
  ),
  WebhookList: WebhookListSchema,
  WebhookEvent: WebhookEventSchema,
} satisfies Record<string, z.ZodType>;

type ComponentName = keyof typeof COMPONENT_SCHEMAS;

/** `format` values JSON Schema 2020-12 and OpenAPI 3.1 define. */
const STANDARD_FORMATS = new Set(
  [
    'date-time date time duration email idn-email hostname idn-hostname ipv4 ipv6 uuid regex',
    'uri uri-reference iri iri-reference uri-template json-pointer relative-json-pointer',
    'int32 int64 float double password',
  ].flatMap((line) => line.split(' ')),
);

/**
 * zod names some string checks with formats of its own (`startsWith` becomes
 * `format: "starts_with"`) and states them as a `pattern` as well. Validators either reject
 * unknown formats or ignore them, so only the `pattern` is kept.
 */
function dropNonStandardFormat({ jsonSchema }: { jsonSchema: z.core.JSONSchema.BaseSchema }) {
  if (typeof jsonSchema.format === 'string' && !STANDARD_FORMATS.has(jsonSchema.format))
    delete jsonSchema.format;
}

/**
 * The contract's schemas parse what arrives on the wire, so the wire format is their input
 * side. It also keeps objects open to fields the contract does not know, as the client reads them.
 */
const CONVERSION = { io: 'input', override: dropNonStandardFormat } as const;

/**
 * Without `$schema` (the document states the dialect once) and `$id` (zod sets it to the
 * component's `$ref`, a fragment, which JSON Schema does not allow in an `$id`).
 */
function withoutSchemaKeywords(schema: z.core.JSONSchema.BaseSchema): OpenApiNode {
  const { $schema: _dialect, $id: _id, ...rest } = schema;
  return rest;
}

/** The JSON Schema of a contract schema, converted the way the document converts it. */
export function contractJsonSchema(schema: z.ZodType): OpenApiNode {
  return withoutSchemaKeywords(z.toJSONSchema(schema, CONVERSION));
}

const componentUri = (name: string): string => `#/components/schemas/${name}`;

/** Every component schema, generated; a component used inside another is a `$ref` to it. */
function componentSchemas(): Record<string, OpenApiNode> {
  const registry = z.registry<{ id: string }>();
  for (const [name, schema] of Object.entries(COMPONENT_SCHEMAS))
    registry.add(schema, { id: name });
  const { schemas } = z.toJSONSchema(registry, { ...CONVERSION, uri: componentUri });
  // A cycle through a schema with no component name would land in zod's `__shared` defs, which
  // no `$ref` of the document can reach.
  if ('__shared' in schemas) throw new Error('a shared schema without a component name');
  return Object.fromEntries(
    Object.entries(schemas).map(([name, schema]) => [name, withoutSchemaKeywords(schema)]),
  );
}

const ref = (name: ComponentName): OpenApiNode => ({ $ref: componentUri(name) });
const json = (schema: OpenApiNode, description = 'OK'): OpenApiNode => ({
  description,
  content: { 'application/json': { schema } },
});
const error = (description: string): OpenApiNode => json(ref('Error'), description);
const str = { type: 'string' };
const query = (
  name: string,
  schema: OpenApiNode,
  description: string,
  required = false,
): OpenApiNode => ({
  name,
  in: 'query',
  required,
  schema,
  description,
});
const idParam = {
  name: 'id',
  in: 'path',
  required: true,
  schema: contractJsonSchema(ProviderIdSchema),
};
// The contract's `end_date >= start_date` refinement has no JSON Schema form: the description says it.
const dateParam = (name: 'start_date' | 'end_date', description: string): OpenApiNode =>
  query(name, contractJsonSchema(ScheduleWindowSchema.shape[name]), description, true);
const fields = query('fields', str, 'Comma list of top-level fields; id is always returned');
const common = {
  '401': error(
    'Missing, unknown or expired token (WWW-Authenticate: Bearer error="invalid_token")',
  ),
  '403': error('Token lacks the scope (WWW-Authenticate: Bearer error="insufficient_scope")'),
  '429': error('Rate limited; see Retry-After'),
};

/**
 * The OpenAPI 3.1 description of everything the sandbox serves (also at `/openapi.json`).
 * Routes, parameters and responses are written here; every body schema is generated from
 * `@pmsbridge/healthconnect-contract`.
 */
export function buildOpenApiDocument(): OpenApiNode {
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: JSON_SCHEMA_DIALECT,
    info: {
      title: 'HealthConnect Provider API v2 (pmsbridge sandbox)',
      version: '2.0.0',
      description:
        'Local emulator of the HealthConnect Provider API v2. Every response carries X-Request-Id and X-RateLimit-Limit/Remaining/Reset.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        oauth2: {
          type: 'oauth2',
          flows: {
            clientCredentials: {
              tokenUrl: '/token',
              scopes: {
                'provider:read': 'Read providers',
                'schedule:read': 'Read schedules',
                'schedule:write': 'Write schedules',
                'webhooks:manage': 'Manage webhooks',
              },
            },
          },
        },
        mutualTLS: { type: 'mutualTLS' },
      },
      schemas: componentSchemas(),
    },
    security: [{ oauth2: [] }, { mutualTLS: [] }],
    paths: {
      '/token': {
        post: {
          summary: 'OAuth 2.0 client credentials grant (form fields or HTTP Basic client auth)',
          security: [],
          requestBody: {
            required: true,
            content: { 'application/x-www-form-urlencoded': { schema: ref('TokenRequest') } },
          },
          responses: {
            '200': json(ref('TokenResponse')),
            '400': json(
              ref('TokenError'),
              'invalid_request, unsupported_grant_type or invalid_scope',
            ),
            '401': json(ref('TokenError'), 'invalid_client'),
            '429': error('Rate limited'),
          },
        },
      },
      '/provider/v2/providers': {
        get: {
          summary: 'Search providers, ordered by id',
          security: [{ oauth2: ['provider:read'] }, { mutualTLS: [] }],
          parameters: [
            query('specialty', str, 'Specialty slug'),
            query('location', str, '"City, ST"'),
            query(
              'accepting_new_patients',
              { enum: ['true', 'false', 'True', 'False', '1', '0'] },
              'Boolean',
            ),
            query('insurance', str, 'Insurance slug'),
            query('name', str, 'Case-insensitive substring of first or last name'),
            query('npi', str, 'Exact NPI'),
            query('page', { type: 'integer', minimum: 1, default: 1 }, '1-based page'),
            query(
              'per_page',
              { type: 'integer', minimum: 1, maximum: 100, default: 20 },
              'Page size',
            ),
            fields,
          ],
          responses: {
            '200': json(ref('ProviderPage')),
            '400': error('Invalid parameter'),
            ...common,
          },
        },
      },
      '/provider/v2/providers/changes': {
        get: {
          summary: 'Changes after `since`, oldest first, at most 500 per page',
          security: [{ oauth2: ['provider:read'] }, { mutualTLS: [] }],
          parameters: [
            query(
              'since',
              { type: 'string', format: 'date-time' },
              'RFC 3339 instant (default: the beginning)',
            ),
            query('cursor', str, 'next_cursor of a previous page'),
          ],
          responses: {
            '200': json(ref('ChangesPage')),
            '400': error('Invalid since or cursor'),
            ...common,
          },
        },
      },
      '/provider/v2/providers/{id}': {
        get: {
          summary: 'One provider',
          security: [{ oauth2: ['provider:read'] }, { mutualTLS: [] }],
          parameters: [idParam, fields],
          responses: { '200': json(ref('Provider')), '404': error('No such provider'), ...common },
        },
      },
      '/provider/v2/providers/{id}/locations': {
        get: {
          summary: "A provider's locations",
          security: [{ oauth2: ['provider:read'] }, { mutualTLS: [] }],
          parameters: [idParam],
          responses: { '200': json(ref('Locations')), '404': error('No such provider'), ...common },
        },
      },
      '/provider/v2/providers/{id}/schedule': {
        get: {
          summary: 'Slots between two local dates (inclusive, at most 31 days)',
          security: [{ oauth2: ['schedule:read'] }, { mutualTLS: [] }],
          parameters: [
            idParam,
            dateParam('start_date', 'First day'),
            dateParam('end_date', 'Last day, not before start_date'),
          ],
          responses: {
            '200': json(ref('Schedule')),
            '400': error('Missing or invalid dates, end before start, or more than 31 days'),
            '404': error('No such provider'),
            ...common,
          },
        },
      },
      '/provider/v2/webhooks': {
        post: {
          summary: 'Subscribe to events',
          security: [{ oauth2: ['webhooks:manage'] }, { mutualTLS: [] }],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: ref('WebhookInput') } },
          },
          responses: {
            '201': json(ref('WebhookCreated'), 'Created'),
            '400': error('Invalid subscription'),
            ...common,
          },
        },
        get: {
          summary: 'List subscriptions (without secrets)',
          security: [{ oauth2: ['webhooks:manage'] }, { mutualTLS: [] }],
          responses: { '200': json(ref('WebhookList')), ...common },
        },
      },
      '/provider/v2/webhooks/{id}': {
        delete: {
          summary: 'Unsubscribe',
          security: [{ oauth2: ['webhooks:manage'] }, { mutualTLS: [] }],
          parameters: [{ name: 'id', in: 'path', required: true, schema: str }],
          responses: {
            '204': { description: 'Deleted' },
            '404': error('No such webhook'),
            ...common,
          },
        },
      },
    },
    webhooks: {
      event: {
        post: {
          summary:
            'An event, POSTed to each matching subscription URL and signed the Standard Webhooks way (webhook-id, webhook-timestamp, webhook-signature)',
          security: [],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: ref('WebhookEvent') } },
          },
          responses: { '2XX': { description: 'Received; any other answer is retried later' } },
        },
      },
    },
  };
}
