/** A JSON Schema / OpenAPI node, loosely typed. */
export type OpenApiNode = { [key: string]: unknown };

const ref = (name: string): OpenApiNode => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: OpenApiNode, description = 'OK'): OpenApiNode => ({
  description,
  content: { 'application/json': { schema } },
});
const error = (description: string): OpenApiNode => json(ref('Error'), description);
const str = { type: 'string' };
const bool = { type: 'boolean' };
const int = { type: 'integer' };
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
  schema: { type: 'string', pattern: '^PRV\\d{10}$' },
};
const fields = query('fields', str, 'Comma list of top-level fields; id is always returned');
const common = {
  '401': error(
    'Missing, unknown or expired token (WWW-Authenticate: Bearer error="invalid_token")',
  ),
  '403': error('Token lacks the scope (WWW-Authenticate: Bearer error="insufficient_scope")'),
  '429': error('Rate limited; see Retry-After'),
};

/** The OpenAPI 3.1 description of everything the sandbox serves (also at `/openapi.json`). */
export function buildOpenApiDocument(): OpenApiNode {
  return {
    openapi: '3.1.0',
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
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message', 'request_id'],
              properties: { code: str, message: str, request_id: str },
            },
          },
        },
        TokenResponse: {
          type: 'object',
          required: ['access_token', 'token_type', 'expires_in', 'scope'],
          properties: {
            access_token: str,
            token_type: { const: 'Bearer' },
            expires_in: int,
            scope: str,
          },
        },
        TokenError: {
          type: 'object',
          required: ['error', 'error_description'],
          properties: {
            error: {
              enum: [
                'invalid_request',
                'invalid_client',
                'unsupported_grant_type',
                'invalid_scope',
              ],
            },
            error_description: str,
          },
        },
        Location: {
          type: 'object',
          required: ['id', 'name', 'address', 'timezone'],
          properties: {
            id: { type: 'string', pattern: '^LOC\\d{10}$' },
            name: str,
            address: {
              type: 'object',
              required: ['line', 'city', 'state', 'postal_code', 'country'],
              properties: {
                line: { type: 'array', items: str },
                city: str,
                state: str,
                postal_code: str,
                country: str,
              },
            },
            timezone: str,
            phone: str,
            position: {
              type: 'object',
              required: ['latitude', 'longitude'],
              properties: { latitude: { type: 'number' }, longitude: { type: 'number' } },
            },
          },
        },
        Provider: {
          type: 'object',
          required: [
            'id',
            'npi',
            'name',
            'specialties',
            'accepting_new_patients',
            'status',
            'updated_at',
          ],
          properties: {
            id: { type: 'string', pattern: '^PRV\\d{10}$' },
            npi: { type: 'string', pattern: '^\\d{10}$' },
            name: {
              type: 'object',
              required: ['first', 'last'],
              properties: { first: str, last: str, title: str },
            },
            gender: { enum: ['male', 'female', 'other', 'unknown'] },
            specialties: { type: 'array', items: str },
            accepting_new_patients: bool,
            languages: { type: 'array', items: str },
            insurance_accepted: { type: 'array', items: str },
            locations: { type: 'array', items: ref('Location') },
            phone: str,
            status: { enum: ['active', 'inactive'] },
            updated_at: { type: 'string', format: 'date-time' },
          },
        },
        ProviderPage: {
          type: 'object',
          required: ['providers', 'page', 'per_page', 'total', 'has_next_page'],
          properties: {
            providers: { type: 'array', items: ref('Provider') },
            page: int,
            per_page: int,
            total: int,
            has_next_page: bool,
          },
        },
        Locations: {
          type: 'object',
          required: ['locations'],
          properties: { locations: { type: 'array', items: ref('Location') } },
        },
        Slot: {
          type: 'object',
          required: [
            'slot_id',
            'date',
            'time',
            'duration_minutes',
            'available',
            'location_id',
            'visit_type',
          ],
          properties: {
            slot_id: str,
            date: { type: 'string', format: 'date' },
            time: { type: 'string', pattern: '^\\d{2}:\\d{2}$' },
            duration_minutes: int,
            available: bool,
            location_id: str,
            visit_type: { enum: ['new_patient', 'follow_up', 'telehealth'] },
          },
        },
        Schedule: {
          type: 'object',
          required: ['provider_id', 'start_date', 'end_date', 'schedule'],
          properties: {
            provider_id: str,
            start_date: { type: 'string', format: 'date' },
            end_date: { type: 'string', format: 'date' },
            schedule: { type: 'array', items: ref('Slot') },
          },
        },
        Change: {
          type: 'object',
          required: ['type', 'provider_id', 'changed_at'],
          properties: {
            type: { enum: ['created', 'updated', 'deactivated'] },
            provider_id: str,
            changed_at: { type: 'string', format: 'date-time' },
            provider: ref('Provider'),
          },
        },
        ChangesPage: {
          type: 'object',
          required: ['changes', 'has_more', 'next_cursor', 'until'],
          properties: {
            changes: { type: 'array', items: ref('Change') },
            has_more: bool,
            next_cursor: str,
            until: { type: 'string', format: 'date-time' },
          },
        },
        WebhookInput: {
          type: 'object',
          required: ['url', 'events'],
          properties: {
            url: { type: 'string', format: 'uri' },
            events: {
              type: 'array',
              items: {
                enum: [
                  'schedule.updated',
                  'provider.created',
                  'provider.updated',
                  'provider.deactivated',
                ],
              },
            },
            provider_id: str,
          },
        },
        Webhook: {
          type: 'object',
          required: ['id', 'url', 'events', 'created_at'],
          properties: {
            id: { type: 'string', pattern: '^WHK' },
            url: str,
            events: { type: 'array', items: str },
            provider_id: str,
            secret: { type: 'string', pattern: '^whsec_' },
            created_at: { type: 'string', format: 'date-time' },
          },
        },
        WebhookCreated: {
          allOf: [ref('Webhook'), { type: 'object', required: ['secret'] }],
        },
        WebhookList: {
          type: 'object',
          required: ['webhooks'],
          properties: { webhooks: { type: 'array', items: ref('Webhook') } },
        },
      },
    },
    security: [{ oauth2: [] }, { mutualTLS: [] }],
    paths: {
      '/token': {
        post: {
          summary: 'OAuth 2.0 client credentials grant (form fields or HTTP Basic client auth)',
          security: [],
          requestBody: {
            required: true,
            content: {
              'application/x-www-form-urlencoded': {
                schema: {
                  type: 'object',
                  required: ['grant_type'],
                  properties: {
                    grant_type: { const: 'client_credentials' },
                    client_id: str,
                    client_secret: str,
                    scope: str,
                  },
                },
              },
            },
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
            query('start_date', { type: 'string', format: 'date' }, 'First day', true),
            query('end_date', { type: 'string', format: 'date' }, 'Last day', true),
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
  };
}
