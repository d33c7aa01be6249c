import type { Bundle } from '@medplum/fhirtypes';

/**
 * True when the request is a conditional update (`PUT {type}?...`) or a bundle posted to
 * the base that contains one.
 */
export function conditionalUpdateIn(method: string, fhirPath: string, body: unknown): boolean {
  if (method === 'PUT') return fhirPath.includes('?');
  if (method !== 'POST' || fhirPath.split('?')[0] !== '') return false;
  const bundle = body as Partial<Bundle> | undefined;
  if (bundle?.resourceType !== 'Bundle') return false;
  return (bundle.entry ?? []).some(
    (entry) => entry.request?.method === 'PUT' && (entry.request.url ?? '').includes('?'),
  );
}
