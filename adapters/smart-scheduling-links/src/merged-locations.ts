import { basename, join } from 'node:path';
import { replaceFileDurablyWith, type FileWriter } from './durable-file.js';
import type { ShardFile, ShardResult } from './distributed-run.js';
import { ndjsonLines, readLocationId } from './ndjson-lines.js';

/** Merged lines are written in blocks of about this size. */
const BLOCK_BYTES = 1 << 20;
const NEWLINE = Buffer.from('\n');

/**
 * Every file a distributed run publishes, by path relative to `outputDir`: each shard's
 * files but its Location files, in the order of `results`, and the run's merged Location
 * files (see {@link mergeLocationFiles}), which this writes.
 */
export async function filesOfDistributedRun(
  writer: FileWriter,
  outputDir: string,
  runName: string,
  results: readonly ShardResult[],
): Promise<Array<[string, ShardFile]>> {
  const locations = await mergeLocationFiles(writer, outputDir, runName, results);
  return [
    ...results.flatMap((result) =>
      Object.entries(result.files).filter(([, file]) => file.type !== 'Location'),
    ),
    ...Object.entries(locations),
  ];
}

/**
 * Writes the Location files of a distributed run into its directory (`runs/<runName>/`),
 * one per name the shards used (`Location-MA.ndjson`…). Each shard wrote the Locations of
 * its own providers, so a Location shared by providers of two shards is in both; here each
 * Location id is kept once, taken from the first shard that has it in the order of
 * `results` (the listing's): the lines a single run over the whole listing writes.
 *
 * Each file is replaced atomically, so doing it again after a crash writes the same bytes.
 * Returns the files written, by path relative to `outputDir`.
 */
export async function mergeLocationFiles(
  writer: FileWriter,
  outputDir: string,
  runName: string,
  results: readonly ShardResult[],
): Promise<Record<string, ShardFile>> {
  const sources = new Map<string, { rels: string[]; states: Set<string> }>();
  for (const result of results) {
    const files = Object.entries(result.files).sort(([a], [b]) => a.localeCompare(b));
    for (const [rel, file] of files) {
      if (file.type !== 'Location') continue;
      const target = `runs/${runName}/${basename(rel)}`;
      let source = sources.get(target);
      if (source === undefined) sources.set(target, (source = { rels: [], states: new Set() }));
      source.rels.push(rel);
      for (const state of file.states) source.states.add(state);
    }
  }
  const seen = new Set<string>();
  const merged: Record<string, ShardFile> = {};
  for (const [target, { rels, states }] of sources) {
    const file: ShardFile = { type: 'Location', states: [...states], bytes: 0, lines: 0 };
    await replaceFileDurablyWith(writer, join(outputDir, target), async (append) => {
      let block: Buffer[] = [];
      let blockBytes = 0;
      const flush = async () => {
        await append(Buffer.concat(block, blockBytes));
        file.bytes += blockBytes;
        block = [];
        blockBytes = 0;
      };
      for (const rel of rels) {
        for await (const line of ndjsonLines(join(outputDir, rel))) {
          const id = readLocationId(line);
          if (id !== undefined && seen.has(id)) continue;
          if (id !== undefined) seen.add(id);
          block.push(line, NEWLINE);
          blockBytes += line.length + 1;
          file.lines += 1;
          if (blockBytes >= BLOCK_BYTES) await flush();
        }
      }
      if (blockBytes > 0) await flush();
    });
    merged[target] = file;
  }
  return merged;
}
