import type { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

/** The test-runner globals a contract suite is written against (jest's API). */
export interface TestGlobals {
  describe: typeof describe;
  it: typeof it;
  expect: typeof expect;
  beforeEach: typeof beforeEach;
  afterEach: typeof afterEach;
}

/**
 * The runner's `describe`, `it`, `expect`, `beforeEach` and `afterEach`, read from the
 * globals jest injects. Read when a suite is declared rather than imported, so the rest of
 * the kit loads in any runner (`@jest/globals` throws when imported outside jest).
 */
export function testGlobals(suite: string): TestGlobals {
  const found = globalThis as Partial<TestGlobals>;
  const { describe, it, expect, beforeEach, afterEach } = found;
  if (!describe || !it || !expect || !beforeEach || !afterEach)
    throw new Error(
      `${suite} needs the test globals describe, it, expect, beforeEach and afterEach: ` +
        'run it under jest (with injectGlobals, the default) or a runner that provides them',
    );
  return { describe, it, expect, beforeEach, afterEach };
}
