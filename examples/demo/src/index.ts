#!/usr/bin/env node
import { runDemo, whereToLook, type DemoResult } from './demo.js';

export { runDemo, whereToLook, type DemoOptions, type DemoResult } from './demo.js';

/** Prints how to query the running FHIR server and waits for Ctrl-C. */
async function keepServing(result: DemoResult): Promise<void> {
  const fhir = result.fhirBaseUrl;
  process.stderr.write(
    [
      '',
      'The FHIR server and the sandbox keep running; query them, then press Ctrl-C:',
      `  curl -s '${fhir}/Practitioner?_summary=count'`,
      `  curl -s '${fhir}/Practitioner?identifier=https://healthconnect.io/fhir/sid/provider-id|PRV0000000001'`,
      `  curl -s '${fhir}/Slot?schedule=Schedule/PRV0000000001-LOC0000000001&_count=5'`,
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
}

/** `npm run demo` (add `-- --keep` to query the servers afterwards): 1 000 providers into ./output/demo. */
async function main(): Promise<void> {
  const started = Date.now();
  const result = await runDemo({
    outputDir: 'output/demo',
    providers: 1000,
    stream: process.stderr,
    beforeStop: process.argv.includes('--keep') ? keepServing : undefined,
  });
  process.stderr.write(
    `${whereToLook(result)}\n\nDemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`,
  );
}

if (
  process.argv[1] !== undefined &&
  import.meta.url === new URL(`file://${process.argv[1]}`).href
) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `demo failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  });
}
