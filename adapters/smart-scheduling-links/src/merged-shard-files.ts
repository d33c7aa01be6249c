import { createReadStream } from 'node:fs';
import { basename, join } from 'node:path';
import { replaceFileDurablyWith, type FileWriter } from './durable-file.js';
import type { ShardFile, ShardResult } from './distributed-run.js';
import { ndjsonLines, readLocationId } from './ndjson-lines.js';

/** Merged lines are written in blocks of about this size. */
const BLOCK_BYTES = 1 << 20;
const NEWLINE = Buffer.from('\n');

/**
 * Every file a distributed run publishes, by path relative to `outputDir`: the run's merged
 * Location files (see {@link mergeLocationFiles}), which this writes, and the shards' other
 * files — each shard's own, in the order of `results`, or with `mergeShardFiles` (the
 * `provider-group` layout, where every shard writes nearly every group's files) the run's
 * files of each name, which this writes too (see {@link concatenateShardFiles}).
 */
export async function filesOfDistributedRun(
  writer: FileWriter,
  outputDir: string,
  runName: string,
  results: readonly ShardResult[],
  mergeShardFiles = false,
): Promise<Array<[string, ShardFile]>> {
  const locations = await mergeLocationFiles(writer, outputDir, runName, results);
  const others = mergeShardFiles
    ? Object.entries(await concatenateShardFiles(writer, outputDir, runName, results))
    : results.flatMap((result) =>
        Object.entries(result.files).filter(([, file]) => file.type !== 'Location'),
      );
  return [...others, ...Object.entries(locations)];
}

/**
 * Writes, for each name the shards used for files other than Location files
 * (`Slot-g0042.ndjson`…), the run's file of that name (`runs/<runName>/Slot-g0042.ndjson`):
 * the shards' files one after the other, in the order of `results` (the listing's), which
 * are the lines a single run over the whole listing writes, in its order. Each file is
 * replaced atomically, so doing it again after a crash writes the same bytes. Returns the
 * files written, by path relative to `outputDir`.
 */
export async function concatenateShardFiles(
  writer: FileWriter,
  outputDir: string,
  runName: string,
  results: readonly ShardResult[],
): Promise<Record<string, ShardFile>> {
  const sources = new Map<string, Array<[string, ShardFile]>>();
  for (const result of results) {
    for (const [rel, file] of Object.entries(result.files)) {
      if (file.type === 'Location') continue;
      const target = `runs/${runName}/${basename(rel)}`;
      sources.set(target, [...(sources.get(target) ?? []), [rel, file]]);
    }
  }
  const merged: Record<string, ShardFile> = {};
  for (const [target, files] of [...sources].sort(([a], [b]) => a.localeCompare(b))) {
    const file: ShardFile = { type: files[0]?.[1].type ?? '', states: [], bytes: 0, lines: 0 };
    await replaceFileDurablyWith(writer, join(outputDir, target), async (append) => {
      for (const [rel] of files)
        for await (const chunk of createReadStream(join(outputDir, rel), {
          highWaterMark: BLOCK_BYTES,
        }))
          await append(chunk as Buffer);
    });
    for (const [, source] of files) {
      file.bytes += source.bytes;
      file.lines += source.lines;
      for (const state of source.states) if (!file.states.includes(state)) file.states.push(state);
      if (
        source.earliestEnd !== undefined &&
        (file.earliestEnd === undefined || source.earliestEnd < file.earliestEnd)
      )
        file.earliestEnd = source.earliestEnd;
    }
    merged[target] = file;
  }
  return merged;
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
