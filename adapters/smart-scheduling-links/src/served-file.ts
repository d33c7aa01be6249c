import { constants, type Stats } from 'node:fs';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** A regular file opened for serving, with the stats of what was opened. */
export interface ServedFile {
  handle: FileHandle;
  info: Stats;
}

/** Errors that mean "no such servable file" (answer 404); any other is a server fault. */
const NOT_FOUND_CODES = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'EISDIR', 'ENAMETOOLONG']);

async function orUndefined<T>(promise: Promise<T>): Promise<T | undefined> {
  try {
    return await promise;
  } catch (error) {
    if (NOT_FOUND_CODES.has((error as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw error;
  }
}

/** Whether `path` is `root` itself or below it (both absolute, symlinks resolved). */
function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * Opens the regular file that a decoded URL path names under `root`, or returns
 * `undefined` (answer 404) when there is none or it is not allowed: a path that leaves
 * `root` lexically (`..`), or whose real path — every symlink, of a file or of a directory
 * on the way, resolved — is not inside the real path of `root`, or anything but a regular
 * file. Symlinks that stay inside `root` are followed.
 *
 * The real path is opened with `O_NOFOLLOW` and checked again with `fstat`, so a file
 * swapped for a symlink or a directory after the check is refused rather than served.
 */
export async function openServedFile(
  root: string,
  urlPath: string,
): Promise<ServedFile | undefined> {
  const realRoot = await orUndefined(realpath(root));
  if (realRoot === undefined) return undefined;
  const candidate = resolve(realRoot, `.${sep}${urlPath}`);
  if (candidate === realRoot || !isInside(realRoot, candidate)) return undefined;
  const real = await orUndefined(realpath(candidate));
  if (real === undefined || real === realRoot || !isInside(realRoot, real)) return undefined;
  const handle = await orUndefined(open(real, constants.O_RDONLY | constants.O_NOFOLLOW));
  if (handle === undefined) return undefined;
  try {
    const info = await handle.stat();
    if (info.isFile()) return { handle, info };
  } catch (error) {
    await handle.close();
    throw error;
  }
  await handle.close();
  return undefined;
}
