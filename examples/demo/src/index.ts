#!/usr/bin/env node
import 'reflect-metadata';
import { runDemo, whereToLook } from './demo.js';

export { runDemo, whereToLook, type DemoOptions, type DemoResult } from './demo.js';

/** `npm run demo`: 1 000 providers into ./output/demo. */
async function main(): Promise<void> {
  const started = Date.now();
  const result = await runDemo({
    outputDir: 'output/demo',
    providers: 1000,
    stream: process.stderr,
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
