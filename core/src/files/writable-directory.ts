import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../errors/errors.js';

/** The `code` of a Node file-system error (`ENOENT`, `EACCES`, …), if it has one. */
function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether `path` exists (following links); other failures (EACCES, ENOTDIR) propagate. */
function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return false;
    throw error;
  }
}

/**
 * Creates the directory `path` and its missing parents, one level at a time, and throws the
 * file system's own error (`ENOENT`, `EACCES`, `EROFS`, `ENOTDIR`, `EEXIST` for a file) when
 * one cannot be made.
 *
 * Node's `mkdir(path, { recursive: true })` is not used on purpose: on Linux, under a
 * directory where nothing can be created (`/proc/x/y`), the kernel answers `ENOENT` for the
 * child and `EEXIST` for the parent, and Node's recursive walk retries the pair forever — a
 * synchronous call spinning at 100 % CPU that no signal handler can interrupt.
 */
export function createDirectory(path: string): void {
  const missing: string[] = [];
  let current = resolve(path);
  while (!exists(current)) {
    missing.push(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  if (missing.length === 0 && !statSync(current).isDirectory()) {
    throw Object.assign(new Error(`EEXIST: ${current} exists and is not a directory`), {
      code: 'EEXIST',
    });
  }
  for (const directory of missing.reverse()) {
    try {
      mkdirSync(directory);
    } catch (error) {
      // Another process made it meanwhile: fine if it is a directory.
      if (errnoOf(error) !== 'EEXIST' || !statSync(directory).isDirectory()) throw error;
    }
  }
}

/** Creates a file in `directory` and removes it again: the one sure test that it is writable. */
function probeWrite(directory: string): void {
  const probe = join(directory, `.pmsbridge-write-test-${process.pid}-${randomUUID()}`);
  closeSync(openSync(probe, 'wx'));
  unlinkSync(probe);
}

/**
 * Why files cannot be created in the existing `directory` (`EACCES`, `EROFS`, `ENOENT` under
 * `/proc`, …), or `undefined` when they can. Checked by creating and removing a file.
 */
export function whyNotWritable(directory: string): string | undefined {
  try {
    probeWrite(directory);
    return undefined;
  } catch (error) {
    return errnoOf(error) ?? (error instanceof Error ? error.message : String(error));
  }
}

/**
 * Makes sure `path` is a directory this process can create files in, creating it and its
 * parents if needed. For sinks and other plugins that write files: call it before the first
 * write (in `open`, unless the run is a dry run).
 *
 * @param path - The directory, absolute or relative to the working directory.
 * @param option - Where the config sets it, e.g. `sinks[1].options.outputDir`; the error
 *   names it so that the user knows what to change.
 * @throws ConfigError (`PMS_CONFIG_DIRECTORY_UNWRITABLE`) saying whether the directory could not be created or
 *   not be written, with the file system's reason (`EACCES`, `EROFS`, `ENOENT`, …).
 */
export function ensureWritableDirectory(path: string, option: string): void {
  const absolute = resolve(path);
  let step = 'created';
  try {
    createDirectory(absolute);
    step = 'written';
    probeWrite(absolute);
  } catch (error) {
    const reason = errnoOf(error) ?? (error instanceof Error ? error.message : String(error));
    throw new ConfigError(
      `${option}: the directory ${absolute} cannot be ${step} (${reason}); ` +
        `point ${option} at a directory this user can write, or fix its permissions`,
      {
        cause: error,
        code: 'PMS_CONFIG_DIRECTORY_UNWRITABLE',
        details: { option, path: absolute, reason },
      },
    );
  }
}
