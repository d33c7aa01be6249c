import type { Bundle, BundleLink } from '@medplum/fhirtypes';

/**
 * Completes a searchset Bundle from the memory repository the way a FHIR server would:
 * each entry gets its `fullUrl`, and the Bundle gets a `self` link and, when more matches
 * remain past this page, a `next` link (`_offset` paging). Pure; returns a new Bundle.
 *
 * @param bundle - the searchset as the router returned it
 * @param baseUrl - the server's base URL, without a trailing slash
 * @param requestPath - the request path relative to the base, with its query (`Slot?schedule=...`)
 */
export function addSearchsetLinks(bundle: Bundle, baseUrl: string, requestPath: string): Bundle {
  const selfUrl = new URL(`${baseUrl}/${requestPath}`);
  const link: BundleLink[] = [{ relation: 'self', url: selfUrl.toString() }];
  const next = nextPageUrl(bundle, selfUrl);
  if (next) {
    link.push({ relation: 'next', url: next });
  }
  return {
    ...bundle,
    link,
    entry: bundle.entry?.map((entry) =>
      entry.resource?.id && !entry.fullUrl
        ? { ...entry, fullUrl: `${baseUrl}/${entry.resource.resourceType}/${entry.resource.id}` }
        : entry,
    ),
  };
}

function nextPageUrl(bundle: Bundle, selfUrl: URL): string | undefined {
  const count = Number.parseInt(selfUrl.searchParams.get('_count') ?? '', 10);
  const offset = Number.parseInt(selfUrl.searchParams.get('_offset') ?? '0', 10) || 0;
  if (!(count > 0) || bundle.total === undefined || offset + count >= bundle.total) {
    return undefined;
  }
  const next = new URL(selfUrl);
  next.searchParams.set('_offset', String(offset + count));
  return next.toString();
}
