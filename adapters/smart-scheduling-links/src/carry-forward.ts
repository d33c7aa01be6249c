import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Practitioner, PractitionerRole, Schedule, Slot } from '@medplum/fhirtypes';
import { practitionerId } from '@pmsbridge/fhir-mapping';
import { appendAll, type FileWriter } from './durable-file.js';
import { publishLocationFiles, type LocationSource } from './location-files.js';
import {
  appendKeptLines,
  LineBuffers,
  readResourceHead,
  readSlotLine,
  type SlotLine,
} from './ndjson-lines.js';
import { groupRangeOfFile, isRangeTouched, providerGroupOf } from './provider-groups.js';
import type { FileMeta, IndexEntry, PreviousPublication, RunFiles } from './publication-index.js';
import { relativeOutputPath, type ManifestOutput } from './publication-manifest.js';
import { reuseFile } from './reused-file.js';
import { EarliestSlotEnds, holdsLongEndedSlots, type SlotEndMeta } from './slot-ends.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Previous files linked into a new run at a time. */
const REUSE_CONCURRENCY = 16;
/** Previous files carried forward into a new run at a time. */
const CARRY_CONCURRENCY = 4;
/** Output types of the directory resources, published only with `includePractitionerRoles`. */
const DIRECTORY_TYPES = new Set(['Practitioner', 'PractitionerRole']);

/** What an incremental run's publication needs to complete it from the previous one. */
export interface CarryForwardContext {
  writer: FileWriter;
  outputDir: string;
  /** The run's directory, `runs/<run id>`, relative to the output directory. */
  runDir: string;
  /** The run's files so far (its own lines), completed in place. */
  run: RunFiles;
  /** Providers the run wrote or withdrew. */
  providers: ReadonlySet<string>;
  /** When the run is published (epoch milliseconds): ended slots are dropped. */
  now: number;
  /** Whether directory resources are still published (else their files are dropped). */
  includeRoles: boolean;
  /**
   * With the `provider-group` layout, its number of groups and its layout as the index
   * records it: the previous files of the same layout that hold no touched provider are
   * reused as they are.
   */
  groups?: { count: number; layout: string };
}

/** What {@link CarryForward.run} did besides completing the run's files. */
export interface CarriedPublication {
  /** Index entries of the files reused as they are, by path. */
  reused: Map<string, IndexEntry>;
  /** SHA-256 of the files carried into, computed as they were written, by path. */
  hashes: Map<string, Hash>;
}

/** What a carry-forward keeps: lines of untouched providers whose slots have not ended. */
interface Horizon {
  now: number;
  /** The UTC date of `now` + 1 day, for the byte-level Slot check. */
  tomorrow: string;
  /** Practitioner ids of the providers this run touched. */
  practitioners: Set<string>;
}

/**
 * Completes an incremental run with the previous publication's lines of every provider it
 * did not touch. A file of the previous publication that holds none of the touched
 * providers is reused as it is (see {@link CarryForward.reusableFiles}); the others are
 * carried forward line by line; the Location files are written from the run's staged lines
 * and the previous ones (see `location-files.ts`). Every file is on disk, and the run's
 * directory flushed, when it returns.
 */
export class CarryForward {
  private readonly horizon: Horizon;
  private readonly hashes = new Map<string, Hash>();

  constructor(private readonly context: CarryForwardContext) {
    this.horizon = {
      now: context.now,
      tomorrow: new Date(context.now + DAY_MS).toISOString().slice(0, 10),
      practitioners: new Set([...context.providers].map(practitionerId)),
    };
  }

  async run(previous: PreviousPublication): Promise<CarriedPublication> {
    const { runDir, includeRoles } = this.context;
    const isReusable = this.reusableFiles(previous);
    const reusable: Array<{ rel: string; target: string; meta: FileMeta; entry: IndexEntry }> = [];
    /** The files to carry forward line by line, by the file of this run they go to. */
    const carried = new Map<string, Array<{ rel: string; output: ManifestOutput }>>();
    const locations: LocationSource[] = [];
    for (const output of previous.outputs) {
      const rel = relativeOutputPath(output.url);
      if (rel === undefined || rel.startsWith(`${runDir}/`)) continue;
      if (!includeRoles && DIRECTORY_TYPES.has(output.type)) continue;
      const states = output.extension?.state ?? [];
      if (output.type === 'Location') {
        locations.push({ rel, states });
        continue;
      }
      const target = `${runDir}/${basename(rel)}`;
      const entry = previous.entries.get(rel);
      if (entry !== undefined && isReusable(output.type, target, entry)) {
        reusable.push({ rel, target, meta: { type: output.type, states: [...states] }, entry });
      } else {
        carried.set(target, [...(carried.get(target) ?? []), { rel, output }]);
      }
    }
    const reused = new Map<string, IndexEntry>();
    // Each file is its own round trips to the disk (a link, or a read, a write and a flush):
    // several at a time keep the disk busy while a carried file is filtered.
    await forEachConcurrently(reusable, REUSE_CONCURRENCY, async ({ rel, target, meta, entry }) => {
      await this.reuse(rel, target, meta, entry);
      reused.set(target, entry);
    });
    // The files of one target (shards of a distributed run) one after the other, in order;
    // each carry at a time has its own buffers, reused from file to file.
    const idle = Array.from({ length: CARRY_CONCURRENCY }, () => new LineBuffers());
    await forEachConcurrently([...carried], CARRY_CONCURRENCY, async ([target, sources]) => {
      const buffers = idle.pop() ?? new LineBuffers();
      try {
        for (const { rel, output } of sources) await this.carryInto(rel, output, target, buffers);
      } finally {
        idle.push(buffers);
      }
    });
    await this.publishLocations(locations, previous, reused);
    await this.context.writer.syncDirectory(join(this.context.outputDir, runDir));
    return { reused, hashes: this.hashes };
  }

  /**
   * Which files of the previous publication this run may reuse as they are: with the
   * `provider-group` layout, written with the same groups, a file none of whose groups
   * holds a provider this run wrote or withdrew, that this run wrote nothing to, and —
   * for a Slot file — whose earliest slot did not end more than a day ago (see
   * `slot-ends.ts`). Other layouts reuse nothing: every file may hold a touched provider.
   */
  private reusableFiles(
    previous: PreviousPublication,
  ): (type: string, target: string, entry: IndexEntry) => boolean {
    const { groups, providers, run, now } = this.context;
    if (groups === undefined || previous.layout !== groups.layout) return () => false;
    const touched = new Set([...providers].map((id) => providerGroupOf(id, groups.count)));
    const names = new Map<string, number>();
    for (const output of previous.outputs) {
      const name = output.url.split('/').pop() ?? '';
      names.set(name, (names.get(name) ?? 0) + 1);
    }
    return (type, target, entry) => {
      const name = basename(target);
      const range = groupRangeOfFile(name);
      return (
        run.files[target] === undefined &&
        names.get(name) === 1 &&
        range !== undefined &&
        !isRangeTouched(range, touched) &&
        !(type === 'Slot' && holdsLongEndedSlots(entry.earliestSlotEnd, now))
      );
    };
  }

  /** Puts the previous publication's file `rel` in this run as `target`, as it is. */
  private async reuse(
    rel: string,
    target: string,
    meta: FileMeta,
    entry: IndexEntry,
  ): Promise<void> {
    const { writer, outputDir, run } = this.context;
    await reuseFile(writer, join(outputDir, rel), join(outputDir, target));
    run.files[target] = (await stat(join(outputDir, target))).size;
    run.meta[target] = {
      ...meta,
      ...(entry.earliestSlotEnd === undefined
        ? {}
        : { earliestEnd: Date.parse(entry.earliestSlotEnd) }),
    };
  }

  /** Carries the previous publication's file `rel` forward into `target` (see {@link carryFile}). */
  private async carryInto(
    rel: string,
    output: ManifestOutput,
    target: string,
    buffers: LineBuffers,
  ): Promise<void> {
    const carried = await this.carryFile(rel, target, buffers);
    if (carried === undefined) return;
    const meta = (this.context.run.meta[target] ??= { type: output.type, states: [] });
    for (const s of output.extension?.state ?? [])
      if (!meta.states.includes(s)) meta.states.push(s);
    if (
      carried.earliestEnd !== undefined &&
      (meta.earliestEnd === undefined || carried.earliestEnd < meta.earliestEnd)
    )
      meta.earliestEnd = carried.earliestEnd;
  }

  /**
   * Appends the still-published lines of `rel` to `target`, durably. Lines are filtered as
   * bytes and copied in large blocks (see {@link appendKeptLines}): a publication holds
   * millions of slots, and decoding, parsing or writing each line on its own would dominate
   * an incremental run. The target's SHA-256 is computed on the way, so that the index need
   * not read the file back. Returns the earliest end of the Slots kept, or `undefined` when
   * no line was kept.
   */
  private async carryFile(
    rel: string,
    target: string,
    buffers: LineBuffers,
  ): Promise<SlotEndMeta | undefined> {
    const { writer, outputDir, run } = this.context;
    const path = join(outputDir, target);
    const ends: SlotEndMeta = {};
    const slotEnds = new EarliestSlotEnds();
    let handle: FileHandle | undefined;
    let hash = this.hashes.get(target);
    const append = async (block: Buffer): Promise<void> => {
      if (hash === undefined) {
        hash = await hashOfPrefix(path, run.files[target] ?? 0);
        this.hashes.set(target, hash);
      }
      handle ??= await open(path, 'a');
      await appendAll(writer, handle, block);
      run.files[target] = (run.files[target] ?? 0) + block.length;
      hash.update(block);
    };
    const keep = (data: Buffer, start: number, end: number): boolean => {
      const slot = readSlotLine(data, start, end);
      if (slot === undefined) {
        const head = readResourceHead(data, start, end);
        return head !== undefined && head.type !== 'Slot'
          ? this.isOwnerKept(head.type, head.id)
          : this.isStillPublished(data.toString('utf8', start, end));
      }
      if (!this.isSlotKept(slot)) return false;
      slotEnds.note(target, ends, slot.endDate, slot.endMs);
      return true;
    };
    try {
      await appendKeptLines(join(outputDir, rel), keep, append, buffers);
      if (handle !== undefined) await writer.sync(handle);
    } finally {
      await handle?.close();
    }
    return handle === undefined ? undefined : ends;
  }

  /**
   * Whether a carried line that this sink did not write in its usual shape (type, then id)
   * stays published: the line is parsed.
   */
  private isStillPublished(line: string): boolean {
    const resource = JSON.parse(line) as Practitioner | PractitionerRole | Schedule | Slot;
    if (resource.resourceType !== 'Slot')
      return this.isOwnerKept(resource.resourceType, resource.id ?? '');
    return (
      !this.context.providers.has(ownerOfKey(resource.schedule.reference) ?? '') &&
      Date.parse(resource.end) > this.horizon.now
    );
  }

  /**
   * Whether a carried Practitioner, PractitionerRole or Schedule stays published: whether
   * this run left its provider untouched.
   */
  private isOwnerKept(type: string, id: string): boolean {
    // A Practitioner's id is the provider's own id (no location part to strip).
    if (type === 'Practitioner') return !this.horizon.practitioners.has(id);
    return !this.context.providers.has(ownerOfKey(id) ?? '');
  }

  /**
   * Decides from the raw bytes of a Slot line as this sink writes it (type, schedule
   * reference and end in a known shape): dropped when its provider was touched by this run
   * or when it has ended.
   */
  private isSlotKept(slot: SlotLine): boolean {
    if (this.context.providers.has(slot.owner)) return false;
    // Slots ending after tomorrow (UTC) are still open whatever their offset: skip the parse.
    if (slot.endDate > this.horizon.tomorrow) return true;
    return slot.endMs() > this.horizon.now;
  }

  /**
   * Writes the run's Location files from its staged lines and the previous publication's
   * Location files (see `location-files.ts`), adding those reused as they are to `reused`.
   */
  private async publishLocations(
    previousFiles: readonly LocationSource[],
    previous: PreviousPublication,
    reused: Map<string, IndexEntry>,
  ): Promise<void> {
    const { writer, outputDir, runDir, run } = this.context;
    const staged = Object.entries(run.meta)
      .filter(([rel, meta]) => meta.type === 'Location' && (run.files[rel] ?? 0) > 0)
      .map(([rel, meta]) => ({ rel, states: meta.states }));
    const published = await publishLocationFiles(writer, outputDir, runDir, staged, previousFiles);
    for (const file of published) {
      run.files[file.rel] = file.bytes;
      run.meta[file.rel] = { type: 'Location', states: file.states };
      const entry =
        file.reusedFrom === undefined ? undefined : previous.entries.get(file.reusedFrom);
      if (entry !== undefined) reused.set(file.rel, entry);
    }
  }
}

/** `Schedule/PRV0000000001-LOC0000000002` → `PRV0000000001`. */
function ownerOfKey(id: string | undefined): string | undefined {
  return id?.split('/').pop()?.split('-')[0];
}

/** A SHA-256 fed with the first `length` bytes of `path` (none when it is 0). */
async function hashOfPrefix(path: string, length: number): Promise<Hash> {
  const hash = createHash('sha256');
  if (length === 0) return hash;
  for await (const chunk of createReadStream(path, { start: 0, end: length - 1 }))
    hash.update(chunk as Buffer);
  return hash;
}

/**
 * Runs `task` on every item, at most `limit` at a time. After a failure no item is started;
 * rejects with the first failure once the tasks under way have settled (none is left
 * running behind the caller's back).
 */
async function forEachConcurrently<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { reason: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++] as T;
      await task(item).catch((reason: unknown) => {
        failure ??= { reason };
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.reason;
}
