import { describe, expect, it } from '@jest/globals';
import { cruise, type ICruiseResult, type IForbiddenRuleType } from 'dependency-cruiser';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The package boundaries that `npm run lint` enforces (.dependency-cruiser.js at the repository
 * root), applied to a fixture repository in which every rule has one violation and every allowed
 * kind of import appears once.
 */
const repoRoot = resolve(import.meta.dirname, '../../..');
const fixtureRoot = join(import.meta.dirname, 'fixtures/boundaries');

interface PackageEntry {
  dir: string;
  name: string;
  devDependencies: string[];
}

interface BoundaryConfig {
  readWorkspaces(root: string): PackageEntry[];
  boundaryRules(packages: PackageEntry[], testKits: string[]): IForbiddenRuleType[];
  cruiseOptions: Record<string, unknown>;
}

async function cruiseFixture(): Promise<ICruiseResult> {
  const config = (await import(
    pathToFileURL(join(repoRoot, '.dependency-cruiser.js')).href
  )) as BoundaryConfig;
  const packages = config.readWorkspaces(fixtureRoot);
  const forbidden = config.boundaryRules(packages, ['@fixture/sandbox', '@fixture/fhir-server']);
  const result = await cruise(
    packages.map((p) => p.dir),
    {
      ...config.cruiseOptions,
      baseDir: fixtureRoot,
      validate: true,
      ruleSet: { forbidden },
    },
  );
  if (typeof result.output === 'string') throw new Error('expected a cruise result object');
  return result.output;
}

describe('package boundaries', () => {
  it('reports each forbidden import of the fixture under its rule, and nothing else', async () => {
    const { summary } = await cruiseFixture();
    const violations = summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);

    expect(violations.sort()).toEqual(
      [
        'core-imports-no-other-package: core/src/index.js -> @fixture/adapter-alpha',
        'adapter-imports-no-other-adapter: adapters/alpha/src/index.js -> @fixture/adapter-beta',
        'adapter-imports-no-other-adapter: adapters/alpha/src/index.js -> adapters/beta/src/index.js',
        'no-relative-import-across-packages: adapters/alpha/src/index.js -> adapters/beta/src/index.js',
        'runtime-imports-no-test-kit: adapters/alpha/src/index.js -> @fixture/sandbox',
        'runtime-imports-no-test-helper: adapters/alpha/src/index.js -> adapters/alpha/src/clock.test-helper.js',
        'runtime-imports-no-test-helper: adapters/alpha/src/index.js -> @fixture/core/testing',
        'test-imports-undeclared-test-kit: adapters/alpha/src/alpha.test.js -> @fixture/fhir-server',
        'no-circular: adapters/alpha/src/cycle-one.js -> adapters/alpha/src/cycle-two.js',
        'contract-imports-no-package: adapters/gamma-contract/src/index.js -> @fixture/core',
      ].sort(),
    );
  });
});
