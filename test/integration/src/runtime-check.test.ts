/**
 * The committed launchers in front of every bin: on a Node too old for the project they
 * print one line naming the version needed, never a stack trace.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { delimiter, resolve } from 'node:path';

const repoRoot = resolve(import.meta.dirname, '../../..');
const launchers = [
  'core/bin/pmsbridge.js',
  'test/healthconnect-sandbox/bin/pmsbridge-sandbox.js',
  'test/fhir-server/bin/pmsbridge-fhir-server.js',
];

/** The machine's own `node`: the first on a PATH without node_modules/.bin. */
function systemNode(): { path: string; version: string } | undefined {
  const PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => !dir.includes('node_modules'))
    .join(delimiter);
  const found = spawnSync('sh', ['-c', 'command -v node'], { env: { PATH }, encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status !== 0 || path === '') return undefined;
  const version = execFileSync(path, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
  return { path, version };
}

function isOlderThan2216(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major < 22 || (major === 22 && minor < 16);
}

describe('the bin launchers', () => {
  it.each(launchers)('%s answers --help on the project Node', (launcher) => {
    const result = spawnSync(process.execPath, [launcher, '--help'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(`${result.stdout}${result.stderr}`).toMatch(/usage/i);
  });

  const old = systemNode();
  const onOldNode = old !== undefined && isOlderThan2216(old.version) ? it.each : it.skip.each;
  onOldNode(launchers)('%s names the Node version it needs on the system Node', (launcher) => {
    const result = spawnSync(old?.path ?? 'node', [launcher, '--help'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    const [first] = result.stderr.split('\n');
    expect(first).toMatch(/needs Node\.js 22\.16\.0 or later; this is Node\.js \d+/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
