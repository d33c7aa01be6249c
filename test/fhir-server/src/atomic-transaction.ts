import { badRequest, isOk, normalizeOperationOutcome, OperationOutcomeError } from '@medplum/core';
import type { FhirRequest, FhirResponse, FhirRouter } from '@medplum/fhir-router';
import type { Bundle } from '@medplum/fhirtypes';
import type { TransactionalMemoryRepository } from './transactional-memory-repository.js';

/** True when the request posts a `transaction` Bundle to the base URL. */
export function isTransactionRequest(request: FhirRequest): boolean {
  const body = request.body as Partial<Bundle> | undefined;
  return (
    request.method === 'POST' &&
    request.url.split('?')[0] === '' &&
    body?.resourceType === 'Bundle' &&
    body.type === 'transaction'
  );
}

/**
 * Runs a transaction Bundle all-or-nothing. The router's own transaction mode carries
 * medplum's production limits (at most 50 updates, and at most 8 entries once any is
 * conditional), which a test server has no reason to impose; so the bundle runs through the
 * router's batch processing, which resolves `urn:uuid:` references and orders entries the
 * same way, inside a repository transaction. The first failing entry rolls everything back,
 * and its OperationOutcome (and status) becomes the response.
 */
export async function runAtomicTransaction(
  router: FhirRouter,
  repository: TransactionalMemoryRepository,
  request: FhirRequest,
): Promise<FhirResponse> {
  try {
    return await repository.withTransaction(async () => {
      const response = await router.handleRequest(
        { ...request, config: { ...request.config, transactions: false } },
        repository,
      );
      const [outcome, bundle] = response;
      if (!isOk(outcome)) {
        throw new OperationOutcomeError(outcome);
      }
      const failed = (bundle as Bundle | undefined)?.entry?.find(
        (entry) => !entry.response?.status?.startsWith('2'),
      );
      if (failed) {
        throw new OperationOutcomeError(
          failed.response?.outcome ?? badRequest(`Entry failed with ${failed.response?.status}`),
        );
      }
      return response;
    });
  } catch (error) {
    return [normalizeOperationOutcome(error)];
  }
}
