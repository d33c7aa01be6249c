import { z } from 'zod';
import {
  AvailabilityPageSchema,
  AvailabilityQuerySchema,
  BookingRequestSchema,
  BookingSchema,
  DirectoryEntrySchema,
  DirectoryPageSchema,
  ProblemSchema,
  ProviderSearchQuerySchema,
} from './api-schemas.js';

/** What the document needs of a route. */
interface DescribedRoute {
  readonly method: string;
  readonly path: string;
  readonly scope: string;
}

const schema = (type: z.ZodType, io: 'input' | 'output' = 'output') =>
  z.toJSONSchema(type, { target: 'draft-2020-12', io, unrepresentable: 'any' });

/** Query parameters of an object schema, each with its JSON Schema. */
function queryParameters(type: z.ZodType) {
  const json = schema(type, 'input') as {
    properties?: Record<string, unknown>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    schema: property,
  }));
}

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});
const json = (description: string, ref: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } },
});
const idParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const common = {
  '400': problemResponse('The request does not validate; `errors` names each field'),
  '401': problemResponse('No valid API key'),
  '403': problemResponse('The API key lacks the scope'),
  '429': problemResponse('Rate limited; wait as Retry-After says'),
  '503': problemResponse('A system behind the API is unavailable; retry after Retry-After'),
};

/** Each operation's description, by `METHOD path`. */
const OPERATIONS: Record<string, Record<string, unknown>> = {
  'GET /v1/providers': {
    operationId: 'searchProviders',
    summary: 'Search the provider directory (results kept 5 minutes)',
    parameters: queryParameters(ProviderSearchQuerySchema),
    responses: {
      '200': json('A page of providers, each with its next free slot', 'DirectoryPage'),
      ...common,
    },
  },
  'GET /v1/providers/{id}': {
    operationId: 'getProvider',
    summary: 'One provider with its locations and next free slot',
    parameters: [idParameter],
    responses: {
      '200': json('The provider', 'DirectoryEntry'),
      '404': problemResponse('No such provider'),
      ...common,
    },
  },
  'GET /v1/availability': {
    operationId: 'findAvailability',
    summary: 'Free slots of the top matching providers, earliest first',
    parameters: queryParameters(AvailabilityQuerySchema),
    responses: { '200': json('A page of free slots', 'AvailabilityPage'), ...common },
  },
  'POST /v1/bookings': {
    operationId: 'book',
    summary: 'Book a slot, exactly once per Idempotency-Key',
    parameters: [
      {
        name: 'Idempotency-Key',
        in: 'header',
        required: true,
        schema: { type: 'string', maxLength: 255 },
      },
    ],
    requestBody: {
      required: true,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/BookingRequest' } } },
    },
    responses: {
      '201': json('Booked', 'Booking'),
      '200': json(
        'The original result of this Idempotency-Key (Idempotent-Replayed: true)',
        'Booking',
      ),
      '404': problemResponse('No such provider or slot'),
      '409': problemResponse('The slot is already booked (`booking` holds the refused booking)'),
      '413': problemResponse('The body is too large'),
      '415': problemResponse('The body is not JSON'),
      '422': problemResponse(
        'The Idempotency-Key was used for another request, or the partner rejected it',
      ),
      ...common,
    },
  },
  'GET /v1/bookings/{id}': {
    operationId: 'getBooking',
    summary: 'A booking (no patient data)',
    parameters: [idParameter],
    responses: {
      '200': json('The booking', 'Booking'),
      '404': problemResponse('No such booking'),
      ...common,
    },
  },
  'DELETE /v1/bookings/{id}': {
    operationId: 'cancelBooking',
    summary: 'Cancel a booking at the partner',
    parameters: [idParameter],
    responses: {
      '200': json('The cancelled booking', 'Booking'),
      '404': problemResponse('No such booking'),
      '409': problemResponse('The booking is not booked'),
      ...common,
    },
  },
};

/**
 * The OpenAPI 3.1 document of the routes: every operation with its scope, parameters and
 * responses, schemas generated from the same zod schemas the server validates with.
 */
export function buildOpenApi(routes: readonly DescribedRoute[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const operation = OPERATIONS[`${route.method} ${route.path}`];
    if (operation === undefined)
      throw new Error(`No OpenAPI description of ${route.method} ${route.path}`);
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, unknown>)[route.method.toLowerCase()] = {
      ...operation,
      security: [{ apiKey: [] }],
      'x-scope': route.scope,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'pmsbridge directory and booking API',
      version: '1',
      description:
        'Provider directory, availability and exactly-once booking. Send the API key as `Authorization: Bearer <key>`; keys have the scopes `read` and `book`.',
    },
    paths,
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
      schemas: {
        DirectoryPage: schema(DirectoryPageSchema),
        DirectoryEntry: schema(DirectoryEntrySchema),
        AvailabilityPage: schema(AvailabilityPageSchema),
        BookingRequest: schema(BookingRequestSchema, 'input'),
        Booking: schema(BookingSchema),
        Problem: schema(ProblemSchema),
      },
    },
  };
}
