import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ErrorCode, PmsbridgeError, type ShardContext } from '@pmsbridge/core';
import { replaceFileDurably, type FileWriter } from './durable-file.js';
import { RunFilesMismatchError } from './run-files.js';

/*
 * The files of a distributed full run, all under `runs/distributed-<run>/` of the output
 * directory, which every process of the run derives from the run's id:
 *
 * - `shard-<id>/`: the NDJSON files of one shard, written by the process that runs it;
 * - `shard-<id>.json`: the shard's result, written when it completes (see {@link ShardResult});
 * - `finish.json`: how finishing the run goes (see {@link FinishRecord});
 * - the run's merged Location files, written when it is finished, and with the `provider-group`
 *   layout the run's files of every other name (see `merged-shard-files.ts`).
 */

/** Letters, digits, `_` and `-`: what a run or shard id may hold to be used as it is. */
const PLAIN_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * `id` as one path segment that is safe in a URL too: the id itself when it is plain (as the
 * coordinator's ids are), else `h.` and a hash of it. No plain id has a dot, so the two
 * kinds never collide.
 */
function pathSegmentOf(id: string): string {
  if (PLAIN_ID.test(id)) return id;
  return `h.${createHash('sha256').update(id).digest('hex').slice(0, 32)}`;
}

/** The directory of distributed run `run` under `runs/`: the same in every process. */
export function distributedRunName(run: string): string {
  return `distributed-${pathSegmentOf(run)}`;
}

/**
 * The run id a shard's files are written under (`runs/<it>/…`): a directory of its own in
 * the run's directory, so that no two shards write the same file.
 */
export function shardRunId(shard: ShardContext): string {
  return `${distributedRunName(shard.run)}/shard-${pathSegmentOf(shard.id)}`;
}

/** Path of a shard's result file, relative to the output directory. */
function shardResultFile(run: string, shard: string): string {
  return join('runs', distributedRunName(run), `shard-${pathSegmentOf(shard)}.json`);
}

/** One non-empty NDJSON file of a shard (or of the finished run). */
export interface ShardFile {
  type: string;
  states: string[];
  bytes: number;
  lines: number;
  /** For a Slot file, when its earliest slot ends (epoch milliseconds). */
  earliestEnd?: number;
}

/**
 * What a completed shard wrote, kept in `shard-<id>.json`: all that finishing the run needs
 * of it. Written atomically once the shard's files are on disk.
 */
export interface ShardResult {
  run: string;
  shard: string;
  /** When the shard started (its first open; a resume keeps it). */
  transactionTime: string;
  /** Every non-empty file, by path relative to the output directory. */
  files: Record<string, ShardFile>;
}

/** A shard's progress as the sink keeps it (the shape of its resume state). */
export interface ShardProgress {
  transactionTime: string;
  files: Readonly<Record<string, number>>;
  meta: Readonly<Record<string, { type: string; states: readonly string[]; earliestEnd?: number }>>;
  lines?: Readonly<Record<string, number>>;
}

/** The result of a shard from its progress: its non-empty files with their counts. */
export function shardResultOf(shard: ShardContext, progress: ShardProgress): ShardResult {
  const files: Record<string, ShardFile> = {};
  for (const [rel, bytes] of Object.entries(progress.files)) {
    const meta = progress.meta[rel];
    if (bytes === 0 || meta === undefined) continue;
    files[rel] = {
      type: meta.type,
      states: [...meta.states],
      bytes,
      lines: progress.lines?.[rel] ?? 0,
      ...(meta.earliestEnd === undefined ? {} : { earliestEnd: meta.earliestEnd }),
    };
  }
  return { run: shard.run, shard: shard.id, transactionTime: progress.transactionTime, files };
}

/**
 * Creates a shard's directory (and the run's, which other processes may be creating at the
 * same time) durably, and drops a result an earlier attempt at the shard left: the shard is
 * written again, and its result must describe the files as they will be.
 */
export async function prepareShardDirectory(
  writer: FileWriter,
  outputDir: string,
  shard: ShardContext,
): Promise<void> {
  await rm(join(outputDir, shardResultFile(shard.run, shard.id)), { force: true });
  const dir = join(outputDir, 'runs', shardRunId(shard));
  await mkdir(dir, { recursive: true });
  // Each entry is durable once its parent directory is flushed: the shard's, the run's and
  // `runs` (a removed result is too).
  await writer.syncDirectory(dirname(dir));
  await writer.syncDirectory(join(outputDir, 'runs'));
  await writer.syncDirectory(outputDir);
}

/** Records a completed shard's result in the run's directory, atomically and durably. */
export async function saveShardResult(
  writer: FileWriter,
  outputDir: string,
  result: ShardResult,
): Promise<void> {
  await replaceFileDurably(
    writer,
    join(outputDir, shardResultFile(result.run, result.shard)),
    JSON.stringify(result),
  );
}

/**
 * A distributed run cannot be published because shards that the run lists have no result
 * in the output directory. Code `PMS_PUBLICATION_DAMAGED`; `details.shards` names them.
 */
export class ShardResultsMissingError extends PmsbridgeError {
  constructor(run: string, shards: readonly string[], runDir: string) {
    super(
      ErrorCode.PublicationDamaged,
      `Distributed run ${run} cannot be published: shard${shards.length === 1 ? '' : 's'} ${shards.join(', ')} left no result in ${runDir} (a shard writes shard-<id>.json when it completes). The published manifest is unchanged. Check that every worker writes the same output directory (one machine, or a file system they share); if they do, the shard's files were lost: run the distributed sync again as a new run`,
      { details: { run, shards: [...shards] } },
    );
  }
}

/**
 * Reads the results of `shards` (in that order) and checks that each file they list holds
 * the bytes recorded. Throws {@link ShardResultsMissingError} naming every shard without a
 * result, or `RunFilesMismatchError` for a file that changed since.
 */
export async function readShardResults(
  outputDir: string,
  run: string,
  shards: readonly string[],
): Promise<ShardResult[]> {
  const results: ShardResult[] = [];
  const missing: string[] = [];
  for (const shard of shards) {
    const result = await readJsonFile<ShardResult>(join(outputDir, shardResultFile(run, shard)));
    if (result === undefined || result.run !== run || result.shard !== shard) missing.push(shard);
    else results.push(result);
  }
  if (missing.length > 0) {
    throw new ShardResultsMissingError(
      run,
      missing,
      join(outputDir, 'runs', distributedRunName(run)),
    );
  }
  const remedy = `so distributed run ${run} cannot be published. The published manifest is unchanged. Run the distributed sync again as a new run`;
  for (const result of results) {
    for (const [rel, file] of Object.entries(result.files)) {
      const size = await stat(join(outputDir, rel)).then(
        (info) => info.size,
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') throw new RunFilesMismatchError(rel, 'is missing', remedy);
          throw error;
        },
      );
      if (size !== file.bytes) {
        throw new RunFilesMismatchError(
          rel,
          `holds ${size} bytes where shard ${result.shard} recorded ${file.bytes}`,
          remedy,
        );
      }
    }
  }
  return results;
}

/** Whether two lists hold the same shards, in any order. */
export function isSameShardSet(a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(a);
  return set.size === new Set(b).size && b.every((shard) => set.has(shard));
}

/** When the earliest shard started: the run's transaction time, as a single run's start. */
export function earliestStart(results: readonly ShardResult[]): string | undefined {
  return results.map((result) => result.transactionTime).sort()[0];
}

/**
 * How finishing a distributed run goes, kept in the run's directory as `finish.json`. It is
 * written before the manifest is replaced, so that a call after a crash publishes the same
 * thing and keeps the same runs, and marked `published` once everything is done, so that a
 * later call changes nothing.
 */
export interface FinishRecord {
  /** The run's shards, in the order their Location lines are merged. */
  shards: string[];
  transactionTime: string;
  /** Run directories the manifests named before this run's: clients may still read them. */
  keep: string[];
  published: boolean;
}

function finishRecordPath(outputDir: string, run: string): string {
  return join(outputDir, 'runs', distributedRunName(run), 'finish.json');
}

/** The run's {@link FinishRecord}, if finishing it has begun. */
export function readFinishRecord(
  outputDir: string,
  run: string,
): Promise<FinishRecord | undefined> {
  return readJsonFile<FinishRecord>(finishRecordPath(outputDir, run));
}

/** Writes the run's {@link FinishRecord} atomically and durably. */
export async function saveFinishRecord(
  writer: FileWriter,
  outputDir: string,
  run: string,
  record: FinishRecord,
): Promise<void> {
  await replaceFileDurably(writer, finishRecordPath(outputDir, run), JSON.stringify(record));
}

async function readJsonFile<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
