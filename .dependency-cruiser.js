/**
 * Package boundaries, checked by dependency-cruiser in `npm run lint` (so in CI).
 * docs/architecture.md says why they hold; test/integration/src/boundaries.test.ts shows each
 * rule catching a violation in a small fixture repository.
 *
 * Packages are found the way npm finds the workspaces, so a new adapter or plugin is covered
 * without editing this file. An import is matched in both of the forms dependency-cruiser can
 * report it: resolved into the package's folder (after a build: `core/dist/index.d.ts`) or, when
 * the package is not built, as the bare name it could not resolve (`@pmsbridge/core`).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Test kits: published packages for tests, the demo and the benchmarks; runtime code never
 * imports them. Known by package name, wherever they live.
 */
export const TEST_KITS = [
  '@pmsbridge/healthconnect-sandbox',
  '@pmsbridge/test-fhir-server',
  '@pmsbridge/test-hl7-peer',
  '@pmsbridge/test-postgres',
];

/**
 * Files that exist only for tests: the tests, their helpers, `testing/` folders and `fixtures/`,
 * and a package's `testing` subpath (`@pmsbridge/core/testing`) before it is built.
 */
const TEST_FILE =
  '(?:\\.test\\.[cm]?[jt]s$|\\.test-helper\\.[cm]?[jt]s$|/testing(?:/|$)|/fixtures/)';

/** Every workspace package below one of these folders is a package; `core` is the other one. */
const GROUPS = ['adapters', 'plugins', 'test', 'examples'];

/**
 * The workspace packages under `root`: folder (relative to `root`), name and the test kits and
 * other packages it declares as devDependencies.
 * @param {string} root
 */
export function readWorkspaces(root) {
  const dirs = [
    'core',
    ...GROUPS.flatMap((group) =>
      existsSync(join(root, group))
        ? readdirSync(join(root, group)).map((n) => `${group}/${n}`)
        : [],
    ),
  ].filter((dir) => existsSync(join(root, dir, 'package.json')));
  return dirs.map((dir) => {
    const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
    return {
      dir,
      name: manifest.name,
      devDependencies: Object.keys(manifest.devDependencies ?? {}),
    };
  });
}

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Matches nothing: what a pattern over no packages should match. */
const NOTHING = '(?!)';

/** A pattern for an import of any of `packages`, built or not. */
function importOf(packages) {
  if (packages.length === 0) return NOTHING;
  const names = packages.map((p) => escape(p.name)).join('|');
  const dirs = packages.map((p) => escape(p.dir)).join('|');
  return `^(?:(?:${names})(?:/|$)|(?:${dirs})/)`;
}

/** A pattern for the files of any of `packages`. */
const filesOf = (packages) =>
  packages.length === 0 ? NOTHING : `^(?:${packages.map((p) => escape(p.dir)).join('|')})/`;

/**
 * The forbidden-dependency rules for a repository with these workspace packages.
 * @param {ReturnType<typeof readWorkspaces>} packages
 * @param {string[]} testKits package names of the test kits
 */
export function boundaryRules(packages, testKits = TEST_KITS) {
  const isKit = (p) => testKits.includes(p.name);
  const core = packages.filter((p) => p.dir === 'core');
  const kits = packages.filter(isKit);
  // Shared libraries under adapters/ that are not adapters (not `@pmsbridge/adapter-*`): wire
  // contracts (`*-contract`: one external API's formats, shared by its adapter and its test
  // kit; they import no workspace package) and mappings such as `@pmsbridge/fhir-mapping`
  // (pure; shared by the adapters that deliver what they map).
  const libraries = packages.filter(
    (p) => p.dir.startsWith('adapters/') && !/(?:^|\/)adapter-/.test(p.name) && !isKit(p),
  );
  const contracts = libraries.filter((p) => p.name.endsWith('-contract'));
  // Adapters and plugins: the packages that ship runtime code besides core.
  const components = packages.filter((p) => /^(?:adapters|plugins)\//.test(p.dir) && !isKit(p));
  const runtime = [...core, ...components];
  return [
    {
      name: 'core-imports-no-other-package',
      comment: 'Core depends on no adapter, plugin, example or test package; they depend on core.',
      severity: 'error',
      from: { path: filesOf(core) },
      to: { path: importOf(packages.filter((p) => p.dir !== 'core')) },
    },
    {
      name: 'adapter-imports-no-other-adapter',
      comment:
        'An adapter or plugin imports core, shared libraries (wire contracts, mappings) and its ' +
        'own files, never another adapter, plugin, example or test package (its tests may use ' +
        'test kits: see the kit rules).',
      severity: 'error',
      from: { path: '^((?:adapters|plugins)/[^/]+)/', pathNot: filesOf(kits) },
      to: {
        path: importOf(
          packages.filter((p) => p.dir !== 'core' && !isKit(p) && !libraries.includes(p)),
        ),
        pathNot: '^$1/',
      },
    },
    ...contracts.map((contract) => ({
      name: 'contract-imports-no-package',
      comment: 'A wire contract is schemas alone: it imports no other workspace package.',
      severity: 'error',
      from: { path: filesOf([contract]) },
      to: { path: importOf(packages.filter((p) => p !== contract)) },
    })),
    {
      name: 'runtime-imports-no-test-kit',
      comment: 'Runtime code of core, adapters and plugins never imports a test kit.',
      severity: 'error',
      from: { path: filesOf(runtime), pathNot: TEST_FILE },
      to: { path: importOf(kits) },
    },
    {
      name: 'runtime-imports-no-test-helper',
      comment:
        'Runtime code never imports a test, a test helper (*.test-helper.ts), a testing/ ' +
        'folder (such as @pmsbridge/core/testing) or a fixture.',
      severity: 'error',
      from: { path: filesOf(runtime), pathNot: TEST_FILE },
      to: { path: TEST_FILE },
    },
    // A package's tests use the kits it declares as devDependencies, and no other.
    ...components.flatMap((p) => {
      const undeclared = kits.filter((kit) => !p.devDependencies.includes(kit.name));
      return undeclared.length === 0
        ? []
        : [
            {
              name: 'test-imports-undeclared-test-kit',
              comment: `${p.name} tests use only the test kits in its devDependencies.`,
              severity: 'error',
              from: { path: filesOf([p]) },
              to: { path: importOf(undeclared) },
            },
          ];
    }),
    {
      name: 'no-relative-import-across-packages',
      comment: 'Another package is imported by its name (its public entry point), not by path.',
      severity: 'error',
      from: { path: '^(core|(?:adapters|plugins|test|examples)/[^/]+)/' },
      to: { path: filesOf(packages), pathNot: '^$1/', dependencyTypes: ['local'] },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles within a package (type-only imports included).',
      severity: 'error',
      from: { path: filesOf(packages) },
      to: { circular: true },
    },
  ];
}

/** Options shared by `npm run lint` and the boundaries test. */
export const cruiseOptions = {
  // Other packages are checked where they are cruised, not through their build output.
  doNotFollow: { path: ['node_modules', '/dist/'] },
  // Type-only imports couple packages as surely as value imports do.
  tsPreCompilationDeps: true,
  enhancedResolveOptions: {
    exportsFields: ['exports'],
    conditionNames: ['import', 'require', 'node', 'default', 'types'],
    mainFields: ['main', 'types', 'typings'],
  },
  skipAnalysisNotInRules: true,
};

export default {
  forbidden: boundaryRules(readWorkspaces(fileURLToPath(new URL('.', import.meta.url)))),
  options: {
    ...cruiseOptions,
    // Breaks every rule on purpose; the boundaries test cruises it as a repository of its own.
    exclude: { path: '^test/integration/src/fixtures/boundaries/' },
  },
};
