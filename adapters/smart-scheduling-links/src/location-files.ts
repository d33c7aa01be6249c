import { rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { replaceFileDurablyWith, type FileWriter } from './durable-file.js';
import { appendLines, ndjsonLines, readLocationId } from './ndjson-lines.js';
import { reuseFile } from './reused-file.js';

/*
 * The Location files of an incremental run. Locations are shared by providers, so their
 * files are not split by provider: a run that touches a hundred providers touches the
 * Location file of nearly every state, although their Locations rarely change. The run
 * therefore writes its Location lines to staged files (`Location-MA.ndjson.staged`), and at
 * publication compares them with the published ones: a Location file none of whose
 * Locations changed, appeared or moved is reused as it is; the others are rewritten.
 */

/** Suffix of the files an incremental run stages its Location lines in. */
export const STAGED_SUFFIX = '.staged';

/** Whether a run's file holds staged lines rather than lines to publish. */
export function isStagedFile(rel: string): boolean {
  return rel.endsWith(STAGED_SUFFIX);
}

/** A file of Location lines: a run's staged file, or a file of the previous publication. */
export interface LocationSource {
  /** Path relative to the output directory. */
  rel: string;
  states: readonly string[];
}

/** A Location file of the publication, once {@link publishLocationFiles} has written it. */
export interface PublishedLocationFile {
  /** Path relative to the output directory, in the run's directory. */
  rel: string;
  bytes: number;
  states: string[];
  /** The previous publication's file it is, when reused as it is. */
  reusedFrom?: string;
}

/** A staged file's published name: `…/Location-MA.ndjson.staged` → `Location-MA.ndjson`. */
function publishedName(rel: string): string {
  const name = basename(rel);
  return isStagedFile(name) ? name.slice(0, -STAGED_SUFFIX.length) : name;
}

/** The run's Location lines by id, and the file each goes to. */
async function freshLocations(
  outputDir: string,
  staged: readonly LocationSource[],
): Promise<Map<string, { line: Buffer; name: string }>> {
  const fresh = new Map<string, { line: Buffer; name: string }>();
  for (const source of staged) {
    for await (const line of ndjsonLines(join(outputDir, source.rel))) {
      const id = readLocationId(line);
      if (id !== undefined && !fresh.has(id))
        fresh.set(id, { line: Buffer.from(line), name: publishedName(source.rel) });
    }
  }
  return fresh;
}

/**
 * The file names whose content changes: a previous file holding a Location the run wrote
 * differently or into another file, a file the run adds a Location to, and any file that
 * cannot be reused as one file (several previous files of that name, or lines the run did
 * not stage).
 */
async function changedNames(
  outputDir: string,
  staged: readonly LocationSource[],
  previousByName: ReadonlyMap<string, readonly LocationSource[]>,
  fresh: ReadonlyMap<string, { line: Buffer; name: string }>,
): Promise<Set<string>> {
  const changed = new Set<string>();
  const unchanged = new Set<string>();
  for (const source of staged)
    if (!isStagedFile(source.rel)) changed.add(publishedName(source.rel));
  for (const [name, sources] of previousByName) {
    if (sources.length > 1) changed.add(name);
    for (const source of sources) {
      for await (const line of ndjsonLines(join(outputDir, source.rel))) {
        const id = readLocationId(line);
        const written = id === undefined ? undefined : fresh.get(id);
        if (id === undefined || written === undefined) continue;
        if (written.name === name && written.line.equals(line)) unchanged.add(id);
        else changed.add(name);
      }
    }
  }
  for (const [id, { name }] of fresh) if (!unchanged.has(id)) changed.add(name);
  return changed;
}

/**
 * Writes the Location files of an incremental run into `runDir` (`runs/<run id>`) from its
 * `staged` files and the `previous` publication's Location files, each under its published
 * name: a file whose Locations are all unchanged is the previous file itself (a hard link,
 * see {@link reuseFile}); any other holds the run's lines, then the previous lines of the
 * Locations the run did not write, each Location once. Each file is written atomically, so
 * doing this again after a crash writes the same files.
 */
export async function publishLocationFiles(
  writer: FileWriter,
  outputDir: string,
  runDir: string,
  staged: readonly LocationSource[],
  previous: readonly LocationSource[],
): Promise<PublishedLocationFile[]> {
  const fresh = await freshLocations(outputDir, staged);
  const previousByName = new Map<string, LocationSource[]>();
  for (const source of previous) {
    const name = basename(source.rel);
    previousByName.set(name, [...(previousByName.get(name) ?? []), source]);
  }
  const changed = await changedNames(outputDir, staged, previousByName, fresh);
  const names = new Set([...staged.map((s) => publishedName(s.rel)), ...previousByName.keys()]);
  const published: PublishedLocationFile[] = [];
  /** Previous Locations already written, so that each is published once. */
  const carried = new Set<string>();
  for (const name of [...names].sort()) {
    const target = `${runDir}/${name}`;
    const sources = previousByName.get(name) ?? [];
    const own = staged.filter((source) => publishedName(source.rel) === name);
    const states = [...new Set([...sources, ...own].flatMap((source) => source.states))];
    const [only] = sources;
    if (!changed.has(name) && only !== undefined && sources.length === 1) {
      await reuseFile(writer, join(outputDir, only.rel), join(outputDir, target));
      const { size } = await stat(join(outputDir, target));
      published.push({ rel: target, bytes: size, states: [...only.states], reusedFrom: only.rel });
      continue;
    }
    let bytes = 0;
    await replaceFileDurablyWith(writer, join(outputDir, target), async (append) => {
      for (const source of own)
        bytes += (await appendLines(ndjsonLines(join(outputDir, source.rel)), append)).bytes;
      for (const source of sources) {
        const lines = keptLines(join(outputDir, source.rel), (id) => {
          if (fresh.has(id) || carried.has(id)) return false;
          carried.add(id);
          return true;
        });
        bytes += (await appendLines(lines, append)).bytes;
      }
    });
    if (bytes > 0) published.push({ rel: target, bytes, states });
    else await rm(join(outputDir, target), { force: true });
  }
  return published;
}

/** The lines of a Location file that `keep` keeps (lines without a readable id are kept). */
async function* keptLines(path: string, keep: (id: string) => boolean): AsyncGenerator<Buffer> {
  for await (const line of ndjsonLines(path)) {
    if (line.length === 0) continue;
    const id = readLocationId(line);
    if (id === undefined || keep(id)) yield line;
  }
}
