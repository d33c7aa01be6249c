import type { IncomingMessage } from 'node:http';
import {
  badRequest,
  contentTooLarge,
  OperationOutcomeError,
  unsupportedMediaType,
} from '@medplum/core';

/** Bodies larger than this are refused with 413; generous for test bundles. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

const JSON_MEDIA_TYPES = new Set([
  'application/fhir+json',
  'application/json',
  'application/json-patch+json',
]);

/**
 * Reads and parses a JSON request body. Returns undefined for an empty body. Throws an
 * OperationOutcomeError (415 for a non-JSON media type, 413 when too large, 400 for
 * malformed JSON) that the server turns into the response.
 */
export async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const mediaType = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      throw new OperationOutcomeError(
        contentTooLarge(`Request body exceeds ${MAX_BODY_BYTES} bytes`),
      );
    }
    chunks.push(buffer);
  }
  if (size === 0) {
    return undefined;
  }
  // A missing Content-Type is tolerated (curl -d without -H); a different one is not.
  if (mediaType && !JSON_MEDIA_TYPES.has(mediaType)) {
    throw new OperationOutcomeError(unsupportedMediaType);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (error) {
    throw new OperationOutcomeError(badRequest('Request body is not valid JSON'), { cause: error });
  }
}
