/**
 * One jest run over every package. Packages import each other by name; the mapper points
 * those names at the TypeScript sources so tests never need a prior build.
 * @type {import('jest').Config}
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const workspaceDirs = [
  'core',
  ...['adapters', 'plugins', 'test', 'examples'].flatMap((group) =>
    existsSync(group) ? readdirSync(group).map((name) => join(group, name)) : [],
  ),
].filter((dir) => existsSync(join(dir, 'package.json')));

const packageMapper = Object.fromEntries(
  workspaceDirs.map((dir) => {
    const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    return [`^${name.replace('/', '\\/')}$`, `<rootDir>/${dir}/src/index.ts`];
  }),
);

// `@pmsbridge/<package>/testing` → that package's `src/testing/index.ts`.
const testingMapper = Object.fromEntries(
  workspaceDirs
    .filter((dir) => existsSync(join(dir, 'src', 'testing', 'index.ts')))
    .map((dir) => {
      const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      return [`^${name.replace('/', '\\/')}\\/testing$`, `<rootDir>/${dir}/src/testing/index.ts`];
    }),
);

export default {
  testEnvironment: 'node',
  roots: workspaceDirs.map((dir) => `<rootDir>/${dir}/src`),
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^@pmsbridge/core/http$': '<rootDir>/core/src/http/index.ts',
    ...testingMapper,
    ...packageMapper,
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.base.json' }],
  },
  // A safety net, not a speed check: integration tests spawn processes on a 2-core machine.
  testTimeout: 60000,
};
