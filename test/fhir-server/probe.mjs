import { request } from 'undici';
import { startFhirServer } from './dist/index.js';
const s = await startFhirServer();
const NPI = 'http://hl7.org/fhir/sid/us-npi';
for (const [n, cond] of [
  [9, true],
  [8, true],
  [51, false],
  [50, false],
]) {
  const entries = Array.from({ length: n }, (_, i) => ({
    resource: { resourceType: 'Practitioner', identifier: [{ system: NPI, value: 't' + i }] },
    request: cond
      ? { method: 'PUT', url: `Practitioner?identifier=${NPI}|t${i}` }
      : { method: 'POST', url: 'Practitioner' },
  }));
  const r = await request(s.baseUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json' },
    body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: entries }),
  });
  const b = await r.body.json();
  console.log(n, cond, r.statusCode, b.issue?.[0]?.details?.text ?? '');
}
await s.close();
