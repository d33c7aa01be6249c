import { createHash, hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  ConfigError,
  type ContentDiff,
  ErrorCode,
  PmsbridgeError,
  describeError,
  ensureWritableDirectory,
  isPmsbridgeError,
  type Clock,
  type Logger,
  type RecordOutcome,
  type ResourceCounts,
  type FinishRunContext,
  type ShardContext,
  type Sink,
  type SinkOpenContext,
  StateError,
  type SyncRecord,
  type TrackedItem,
  isoWeek,
} from '@pmsbridge/core';
import type { Location, Practitioner, PractitionerRole, Schedule, Slot } from '@medplum/fhirtypes';
import type { MappingOptions } from '@pmsbridge/fhir-mapping';
import { mapProviderRecord, ownerKey, type MappedResource } from '@pmsbridge/fhir-mapping';
import { CarryForward, type CarriedPublication } from './carry-forward.js';
import { ndjsonLines, readLocationId } from './ndjson-lines.js';
import { appendAll, diskFileWriter, replaceFileDurably, type FileWriter } from './durable-file.js';
import { restoreRunFiles } from './run-files.js';
import {
  distributedRunName,
  earliestStart,
  isSameShardSet,
  prepareShardDirectory,
  readFinishRecord,
  readShardResults,
  saveFinishRecord,
  saveShardResult,
  shardResultOf,
  shardRunId,
  type FinishRecord,
  type ShardFile,
} from './distributed-run.js';
import { filesOfDistributedRun } from './merged-shard-files.js';
import { isStagedFile, STAGED_SUFFIX } from './location-files.js';
import {
  DEFAULT_PROVIDER_GROUPS,
  groupPartOf,
  layoutOf,
  MAX_PROVIDER_GROUPS,
  providerGroupOf,
} from './provider-groups.js';
import type {
  FileMeta,
  IndexEntry,
  PreviousPublication,
  PublicationIndex,
} from './publication-index.js';
import { EarliestSlotEnds } from './slot-ends.js';
import {
  buildManifests,
  DIRECTORY_MANIFEST_FILE,
  MANIFEST_FILE,
  relativeOutputPath,
  type BulkPublishManifest,
  type ManifestOutput,
  type PublishedFile,
} from './publication-manifest.js';

export { MANIFEST_FILE, type BulkPublishManifest, type ManifestOutput, type PublicationIndex };
/** Sidecar index with each output file's content hash and last change, for `_since`. */
export const PUBLICATION_INDEX_FILE = '.publication-index.json';
/**
 * The state of the run being written, as of its last durable batch: what a checkpoint
 * would say. Renamed to {@link RUN_TO_PUBLISH_FILE} when the run completes.
 */
const RUN_IN_PROGRESS_FILE = '.run-in-progress.json';
/**
 * A run that completed but whose publication (carry-forward, manifest) has not been
 * written yet: the sync engine has already moved its checkpoint past it, so the next
 * `open` publishes it before anything else.
 */
const RUN_TO_PUBLISH_FILE = '.run-to-publish.json';

/**
 * How NDJSON files are split. `week` applies to Slot files (ISO week of the local date).
 * `provider-group` splits the files of Slot, Schedule, Practitioner and PractitionerRole by
 * a hash of the provider id (Location files by state), so that an incremental run rewrites
 * only the files of the providers it touched.
 */
export type SplitBy = 'none' | 'state' | 'week' | 'state-week' | 'provider-group';

/** Options of {@link BulkPublishSink}. */
export interface BulkPublishSinkOptions {
  /** Sink name for logs and checkpoints. Default `bulk-publish`. */
  name?: string;
  /** Directory that receives the manifest and the NDJSON files. */
  outputDir: string;
  /** Where the config sets `outputDir` (e.g. `sinks[1].options.outputDir`), for errors. */
  outputDirOption?: string;
  /** How files are split. Default `state-week`. */
  splitBy?: SplitBy;
  /**
   * With `splitBy: 'provider-group'`, how many groups providers are hashed into: Slot files
   * hold one group each, Schedule, Practitioner and PractitionerRole files 16 consecutive
   * groups. 1 to 10 000; default 1 600.
   */
  providerGroups?: number;
  /**
   * Also publish the directory resources of the HL7 SSL draft: PractitionerRole files and
   * the Practitioner files they reference, listed in a second manifest,
   * `directory/$bulk-publish`, with every other file. `$bulk-publish` lists only Location,
   * Schedule and Slot files either way (the 2021 specification's types). Default false.
   * When false, `mapping.scheduleActor` must be `location`.
   */
  includePractitionerRoles?: boolean;
  /**
   * Public base URL: makes the manifest's `request` and `output[].url` absolute, as SMART
   * Scheduling Links requires. Optional here for embedding: without it the manifest holds
   * relative URLs and is only servable through `servePublication`, which makes them
   * absolute. The plugin options require it.
   */
  baseUrl?: string;
  /** How resources are mapped. A bulk publication normally uses `scheduleActor: 'location'`. */
  mapping: MappingOptions;
  /**
   * Remembers what each provider published, between runs, so a write counts its lines as
   * created, updated or unchanged, and a deactivation as deleted only when the provider was
   * published. Without it every line counts as created. It affects counts only: a publication
   * is a snapshot, and every run writes every line.
   */
  contentDiff?: ContentDiff;
}

/**
 * A provider's publication as one tracked item, keyed under the provider. The hash covers
 * what the lines are made from — the provider as delivered, each slot's fields and the
 * mapping options — rather than the lines themselves: the same input maps to the same lines,
 * and a slot's fields are a sixth of its FHIR line, which a run hashes for every provider.
 */
function trackedOf(
  record: Extract<SyncRecord, { kind: 'provider' }>,
  mappingFingerprint: string,
): TrackedItem {
  let text = `${mappingFingerprint}\n${JSON.stringify(record.provider)}`;
  for (const slot of record.slots) {
    text += `\n${slot.id}|${slot.date}|${slot.time}|${slot.durationMinutes}|${slot.available ? 1 : 0}|${slot.locationId}|${slot.visitType}`;
  }
  return {
    key: `${ownerKey(record.provider.id)}/publication`,
    hash: hash('sha1', text),
  };
}

/** What {@link BulkPublishSink.checkpointState} returns and `open({resumeState})` accepts. */
export interface BulkPublishResumeState {
  runId: string;
  transactionTime: string;
  /** Byte length of every file written so far, by path relative to the output dir. */
  files: Record<string, number>;
  meta: Record<string, FileMeta>;
  /** Providers this run wrote or withdrew (an incremental run carries the others forward). */
  providers: string[];
  /** Lines of every file so far, by path; kept by a shard of a distributed run only. */
  lines?: Record<string, number>;
}

/** A run's state together with its mode, as kept in the run marker files. */
interface RunMarker extends BulkPublishResumeState {
  mode: SinkOpenContext['mode'];
}

function isResumeState(value: unknown): value is BulkPublishResumeState {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.runId === 'string' && typeof v.files === 'object' && Array.isArray(v.providers);
}

function zeroCounts(): ResourceCounts {
  return { created: 0, updated: 0, unchanged: 0, deleted: 0 };
}

/**
 * Writes a SMART Scheduling Links `$bulk-publish` publication: NDJSON files of Location,
 * Schedule, Slot (and, opted in, Practitioner + PractitionerRole), split by state and/or
 * week or by provider group, written as records arrive (memory does not grow with the
 * number of slots), and manifests written atomically on a completed close: `$bulk-publish`
 * with the 2021 specification's types only, and `directory/$bulk-publish` with every type
 * when the directory resources are published.
 *
 * An incremental run publishes the previous publication's lines of the providers it did not
 * touch: with the provider-group layout, files holding none of its providers are reused as
 * they are (hard links), and only the others are rewritten.
 *
 * Durable and resumable: `write` returns only once every line of the batch is on disk
 * (all bytes written, the files and their directory flushed to disk), so the file
 * lengths `checkpointState()` records are on disk. A resumed `open` verifies each file
 * against them and cuts off what a failed write left after them; it never pads a file and
 * refuses to resume from files that do not hold what was recorded.
 *
 * Shardable: in a distributed full run each process writes one shard's files into the run's
 * directory, shared by every process, and {@link BulkPublishSink.finishRun} publishes them
 * all once every shard has completed.
 */
export class BulkPublishSink implements Sink {
  readonly name: string;
  /** Writes nothing during a dry run; counts what it would write. */
  readonly supportsDryRun = true;
  /**
   * Processes sharing the output directory may write the shards of one full run at the same
   * time (see {@link BulkPublishSink.finishRun}).
   */
  readonly shardable = true;
  private readonly splitBy: SplitBy;
  /** Groups of the `provider-group` layout. */
  private readonly groups: number;
  /** How files are split, as the publication index records it. */
  private readonly layout: string;
  private readonly includeRoles: boolean;
  private slotEnds = new EarliestSlotEnds();
  private state: BulkPublishResumeState | undefined;
  private readonly handles = new Map<string, FileHandle>();
  private locations = new Set<string>();
  private providers = new Set<string>();
  /** Files created since the run directory was last flushed. */
  private readonly created = new Set<string>();
  private dryRun = false;
  private mode: SinkOpenContext['mode'] = 'full';
  /** Set when this instance writes one shard of a distributed full run. */
  private shard: ShardContext | undefined;
  /** Set when a write failed: the files may hold bytes no checkpoint counts. */
  private failure: unknown;
  /** The mapping options as text: a change of them changes every provider's publication. */
  private readonly mappingFingerprint: string;

  /**
   * @param writer how bytes reach the files; tests inject one that fails like a full disk.
   */
  constructor(
    private readonly options: BulkPublishSinkOptions,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly writer: FileWriter = diskFileWriter,
  ) {
    this.name = options.name ?? 'bulk-publish';
    this.splitBy = options.splitBy ?? 'state-week';
    this.groups = options.providerGroups ?? DEFAULT_PROVIDER_GROUPS;
    if (!Number.isInteger(this.groups) || this.groups < 1 || this.groups > MAX_PROVIDER_GROUPS) {
      throw new ConfigError(
        `${this.name}: providerGroups must be a whole number from 1 to ${MAX_PROVIDER_GROUPS}, not ${this.groups}`,
      );
    }
    this.layout = layoutOf(this.splitBy, this.groups);
    this.includeRoles = options.includePractitionerRoles ?? false;
    const { unmappedSpecialties: _reporter, ...mapping } = options.mapping;
    this.mappingFingerprint = JSON.stringify([mapping, this.layout, this.includeRoles]);
    if (!this.includeRoles && options.mapping.scheduleActor === 'practitioner-role') {
      throw new ConfigError(
        `${this.name}: scheduleActor 'practitioner-role' needs includePractitionerRoles: true (every Schedule would point to an unpublished PractitionerRole); use scheduleActor 'location'`,
      );
    }
  }

  /**
   * Starts a run, or resumes it from `resumeState`. With `shard` (full mode only), writes
   * one shard of a distributed run into the run's directory,
   * `runs/distributed-<run>/shard-<id>/`, and leaves the publication, its markers and other
   * runs alone.
   */
  async open(context: SinkOpenContext): Promise<void> {
    if (context.shard !== undefined && context.mode !== 'full') {
      throw new ConfigError(
        `${this.name}: shard ${context.shard.id} of run ${context.shard.run} was opened in ${context.mode} mode; a distributed run is a full run, so open its shards in full mode`,
      );
    }
    this.dryRun = context.dryRun;
    // A directory that cannot be created or written is a config error naming the option,
    // found before any work is done (a dry run writes nothing and needs none).
    if (!this.dryRun) {
      ensureWritableDirectory(this.options.outputDir, this.options.outputDirOption ?? 'outputDir');
    }
    this.mode = context.mode;
    this.failure = undefined;
    this.slotEnds = new EarliestSlotEnds();
    const resume = isResumeState(context.resumeState) ? context.resumeState : undefined;
    this.shard = context.shard;
    if (context.shard !== undefined) return this.openShard(context.shard, resume);
    if (!this.dryRun) await this.guard(() => this.publishUnpublishedRun());
    this.mode = context.mode;
    if (resume !== undefined) {
      this.state = structuredClone(resume);
      this.providers = new Set(this.state.providers);
      if (!this.dryRun) {
        await this.restoreFiles();
        await this.guard(() => this.saveRunMarker());
      }
      this.locations = await this.writtenLocationIds();
      this.logger.info('bulk publication resumed', {
        runId: this.state.runId,
        files: Object.keys(this.state.files).length,
      });
      return;
    }
    const transactionTime = this.clock.now().toISOString();
    const runsDir = join(this.options.outputDir, 'runs');
    const runId = await unusedRunId(runsDir, transactionTime.replace(/[-:.]/g, ''));
    this.state = { runId, transactionTime, files: {}, meta: {}, providers: [] };
    this.providers = new Set();
    this.locations = new Set();
    if (!this.dryRun) {
      await mkdir(join(runsDir, runId), { recursive: true });
      await this.writer.syncDirectory(runsDir);
      await this.writer.syncDirectory(this.options.outputDir);
      await this.guard(() => this.saveRunMarker());
    }
  }

  /**
   * Opens one shard of a distributed full run: its files go to a directory of its own in the
   * run's directory, emptied for a fresh start or cut back to the checkpoint for a resume,
   * as a single run's are.
   */
  private async openShard(
    shard: ShardContext,
    resume: BulkPublishResumeState | undefined,
  ): Promise<void> {
    const runId = shardRunId(shard);
    if (resume !== undefined && resume.runId !== runId) {
      throw new StateError(
        `${this.name}: the checkpoint given to resume shard ${shard.id} of distributed run ${shard.run} belongs to run ${resume.runId}; resume each shard from its own checkpoint`,
      );
    }
    this.state =
      resume === undefined
        ? {
            runId,
            transactionTime: this.clock.now().toISOString(),
            files: {},
            meta: {},
            providers: [],
            lines: {},
          }
        : { ...structuredClone(resume), lines: { ...resume.lines } };
    this.providers = new Set();
    this.locations = new Set();
    if (!this.dryRun) {
      await this.guard(() => prepareShardDirectory(this.writer, this.options.outputDir, shard));
      await this.restoreFiles(
        `so shard ${shard.id} of distributed run ${shard.run} cannot be resumed. The published manifest is unchanged. Run the distributed sync again as a new run`,
      );
    }
    if (resume !== undefined) this.locations = await this.writtenLocationIds();
    this.logger.info(
      resume === undefined ? 'bulk publication shard started' : 'bulk publication shard resumed',
      { run: shard.run, shard: shard.id, files: Object.keys(this.state.files).length },
    );
  }

  /** Cuts this run's files back to the resumed checkpoint, verifying each. */
  private async restoreFiles(remedy?: string): Promise<void> {
    const state = this.requireState();
    await restoreRunFiles(
      this.writer,
      this.options.outputDir,
      `runs/${state.runId}`,
      state.files,
      (rel) => state.meta[rel]?.type ?? 'unknown',
      remedy,
    );
  }

  /**
   * Publishes a run that completed but whose close failed (a full disk while carrying
   * forward or writing the manifest): the engine has moved its checkpoint past that run,
   * so without this its records would never be published.
   */
  private async publishUnpublishedRun(): Promise<void> {
    const marker = await this.readJson<RunMarker>(RUN_TO_PUBLISH_FILE);
    if (marker === undefined) return;
    if (await this.isPublished(marker)) {
      // Interrupted after its manifest was written: its files are the live publication, and
      // must not be cut back to the marker's lengths or carried forward from themselves.
      this.logger.info('finishing the clean-up of a completed run already published', {
        runId: marker.runId,
      });
      await this.dropRunToPublish(marker);
      return;
    }
    this.logger.warn('publishing a completed run whose publication was interrupted', {
      runId: marker.runId,
    });
    this.state = { ...marker };
    this.mode = marker.mode;
    this.providers = new Set(marker.providers);
    await this.restoreFiles(
      `so run ${marker.runId}, which completed, cannot be published. The published manifest is unchanged. Remove ${join(this.options.outputDir, RUN_TO_PUBLISH_FILE)} and run a full sync`,
    );
    await this.publish(marker);
    this.state = undefined;
  }

  /** Whether `$bulk-publish` already names the files of the run `marker` describes. */
  private async isPublished(marker: RunMarker): Promise<boolean> {
    const manifest = await this.readJson<BulkPublishManifest>(MANIFEST_FILE);
    if (manifest?.transactionTime !== marker.transactionTime) return false;
    const runs = runsNamedBy(manifest.output);
    return runs.length === 1 && runs[0] === marker.runId;
  }

  /**
   * The last steps of a publication: the marker of the run to publish is removed, then the
   * files in which the run staged its Location lines (no longer needed once nothing can
   * publish the run again).
   */
  private async dropRunToPublish(marker: BulkPublishResumeState): Promise<void> {
    const outputDir = this.options.outputDir;
    await rm(join(outputDir, RUN_TO_PUBLISH_FILE), { force: true });
    await this.writer.syncDirectory(outputDir);
    for (const rel of Object.keys(marker.files))
      if (isStagedFile(rel)) await rm(join(outputDir, rel), { force: true });
  }

  /**
   * Records the run's durable state beside the files (see {@link RUN_IN_PROGRESS_FILE}). Not
   * for a shard: the marker belongs to the single run, and a shard's result is recorded when
   * it completes.
   */
  private async saveRunMarker(): Promise<void> {
    const state = this.checkpointState();
    if (state === undefined || this.shard !== undefined) return;
    const marker: RunMarker = { ...state, mode: this.mode };
    await replaceFileDurably(
      this.writer,
      join(this.options.outputDir, RUN_IN_PROGRESS_FILE),
      JSON.stringify(marker),
    );
  }

  /**
   * The Location ids already in this run's files. Read back from the files on resume rather
   * than kept in every checkpoint: a checkpoint is saved per batch, and the list grows with
   * the population.
   */
  private async writtenLocationIds(): Promise<Set<string>> {
    const state = this.requireState();
    const ids = new Set<string>();
    for (const [rel, meta] of Object.entries(state.meta)) {
      if (meta.type !== 'Location' || (state.files[rel] ?? 0) === 0) continue;
      for await (const line of ndjsonLines(join(this.options.outputDir, rel))) {
        const id = readLocationId(line);
        if (id !== undefined) ids.add(id);
      }
    }
    return ids;
  }

  /**
   * Fills each published provider's counts: its lines as created, updated or unchanged against
   * what it published before (one read for the batch), or all created without a content diff.
   */
  private async countChanges(
    published: ReadonlyArray<{
      outcome: RecordOutcome;
      item: TrackedItem;
      lines: Map<string, number>;
    }>,
  ): Promise<void> {
    const diff = this.options.contentDiff;
    const bucketOf = new Map<string, 'created' | 'updated' | 'unchanged'>();
    if (diff !== undefined) {
      const result = await diff.classify(published.map(({ item }) => item));
      for (const bucket of ['created', 'updated', 'unchanged'] as const)
        for (const item of result[bucket]) bucketOf.set(item.key, bucket);
    }
    for (const { outcome, item, lines } of published) {
      const bucket = bucketOf.get(item.key) ?? 'created';
      const counts: Record<string, ResourceCounts> = {};
      for (const [type, n] of lines) (counts[type] ??= zeroCounts())[bucket] += n;
      outcome.counts = counts;
    }
  }

  /**
   * Whether a provider that is no longer published was in an earlier publication (always
   * true in an incremental run without a content diff, as before). Adds its keys to `gone`.
   */
  private async wasPublished(providerId: string, gone: string[]): Promise<boolean> {
    const diff = this.options.contentDiff;
    if (diff === undefined) return this.mode === 'incremental';
    const { withdrawn, expired } = await diff.leave(ownerKey(providerId));
    gone.push(...withdrawn, ...expired);
    return withdrawn.length + expired.length > 0;
  }

  private requireState(): BulkPublishResumeState {
    if (this.state === undefined) throw new ConfigError(`${this.name}: write() before open()`);
    return this.state;
  }

  /**
   * The file a line goes to. An incremental run stages its Location lines (see
   * `location-files.ts`); a shard of a distributed run is a full run.
   */
  private fileFor(type: string, state: string, group: number, localDate?: string): string {
    const parts = [type];
    if (this.splitBy === 'provider-group') {
      parts.push(type === 'Location' ? state : groupPartOf(type, group, this.groups));
    } else {
      if (this.splitBy === 'state' || this.splitBy === 'state-week') parts.push(state);
      if (
        (this.splitBy === 'week' || this.splitBy === 'state-week') &&
        type === 'Slot' &&
        localDate !== undefined
      ) {
        parts.push(isoWeek(localDate));
      }
    }
    const staged = type === 'Location' && this.mode === 'incremental' && this.shard === undefined;
    return `runs/${this.requireState().runId}/${parts.join('-')}.ndjson${staged ? STAGED_SUFFIX : ''}`;
  }

  /** Lines of one provider record, grouped by file. */
  private linesOf(resources: readonly MappedResource[], providerId: string): Map<string, string[]> {
    const group = this.splitBy === 'provider-group' ? providerGroupOf(providerId, this.groups) : 0;
    const stateOfLocation = new Map<string, string>();
    const stateOfSchedule = new Map<string, string>();
    const files = new Map<string, string[]>();
    /** The state of the provider's first location (Locations come first, in its order). */
    let providerState: string | undefined;
    const push = (file: string, type: string, state: string, line: string): FileMeta => {
      let lines = files.get(file);
      if (lines === undefined) files.set(file, (lines = []));
      lines.push(line);
      const meta = this.requireState().meta;
      const entry = (meta[file] ??= { type, states: [] });
      if (!entry.states.includes(state)) entry.states.push(state);
      return entry;
    };
    for (const { type, resource } of resources) {
      if (type === 'Location') {
        const location = resource as Location;
        const state = location.address?.state ?? 'XX';
        stateOfLocation.set(`Location/${location.id}`, state);
        providerState ??= state;
        if (this.locations.has(location.id ?? '')) continue;
        this.locations.add(location.id ?? '');
        push(this.fileFor('Location', state, group), 'Location', state, JSON.stringify(location));
      } else if (type === 'Practitioner' && this.includeRoles) {
        // Published with the roles so that every PractitionerRole.practitioner resolves.
        const state = providerState ?? 'XX';
        push(
          this.fileFor('Practitioner', state, group),
          'Practitioner',
          state,
          JSON.stringify(resource as Practitioner),
        );
      } else if (type === 'PractitionerRole' && this.includeRoles) {
        const role = resource as PractitionerRole;
        const state = stateOfLocation.get(role.location?.[0]?.reference ?? '') ?? 'XX';
        push(
          this.fileFor('PractitionerRole', state, group),
          'PractitionerRole',
          state,
          JSON.stringify(role),
        );
      } else if (type === 'Schedule') {
        const schedule = resource as Schedule;
        const locationRef =
          schedule.actor.find((a) => a.reference?.startsWith('Location/'))?.reference ?? '';
        const state = stateOfLocation.get(locationRef) ?? 'XX';
        stateOfSchedule.set(`Schedule/${schedule.id}`, state);
        push(this.fileFor('Schedule', state, group), 'Schedule', state, JSON.stringify(schedule));
      } else if (type === 'Slot') {
        const slot = resource as Slot;
        // SMART Scheduling Links allows only free and busy.
        if (slot.status !== 'free' && slot.status !== 'busy') continue;
        const state = stateOfSchedule.get(slot.schedule.reference ?? '') ?? 'XX';
        const file = this.fileFor('Slot', state, group, slot.start.slice(0, 10));
        const meta = push(file, 'Slot', state, JSON.stringify(slot));
        this.slotEnds.note(file, meta, slot.end.slice(0, 10), () => Date.parse(slot.end));
      }
    }
    return files;
  }

  async write(batch: readonly SyncRecord[], signal: AbortSignal): Promise<RecordOutcome[]> {
    const state = this.requireState();
    if (this.failure !== undefined) throw this.writeError(this.failure);
    const outcomes: RecordOutcome[] = [];
    const pending = new Map<string, string[]>();
    /** Per published provider: its outcome, its tracked item and its line count per type. */
    const published: Array<{
      outcome: RecordOutcome;
      item: TrackedItem;
      lines: Map<string, number>;
    }> = [];
    const gone: string[] = [];
    for (const record of batch) {
      const key = record.kind === 'provider' ? record.provider.id : record.providerId;
      this.providers.add(key);
      if (record.kind === 'deactivation' || record.provider.status !== 'active') {
        // Not carried forward: the provider and its slots disappear from the publication.
        const withdrawn = await this.wasPublished(key, gone);
        outcomes.push({
          key,
          ok: true,
          counts: {
            Provider: { ...zeroCounts(), deleted: withdrawn ? 1 : 0, unchanged: withdrawn ? 0 : 1 },
          },
        });
        continue;
      }
      try {
        const files = this.linesOf(
          mapProviderRecord(record, this.options.mapping).resources,
          record.provider.id,
        );
        const lines = new Map<string, number>();
        for (const [file, fileLines] of files) {
          const type = state.meta[file]?.type ?? 'unknown';
          lines.set(type, (lines.get(type) ?? 0) + fileLines.length);
          const all = pending.get(file);
          if (all === undefined) pending.set(file, fileLines);
          else all.push(...fileLines);
        }
        const outcome: RecordOutcome = { key, ok: true, counts: {} };
        outcomes.push(outcome);
        published.push({ outcome, item: trackedOf(record, this.mappingFingerprint), lines });
      } catch (error) {
        outcomes.push({ key, ok: false, error: describeError(error) });
      }
    }
    await this.countChanges(published);
    signal.throwIfAborted();
    const blocks = [...pending].map(([file, lines]) => ({
      file,
      data: Buffer.from(lines.join('\n') + '\n'),
    }));
    if (!this.dryRun) {
      await this.writeDurably(blocks);
      // Only once the lines are on disk: a failed write must not be remembered as published.
      if (this.options.contentDiff !== undefined) {
        const diff = this.options.contentDiff;
        await this.guard(() =>
          diff.record(
            published.map(({ item }) => item),
            gone,
          ),
        );
      }
    }
    for (const { file, data } of blocks) state.files[file] = (state.files[file] ?? 0) + data.length;
    if (state.lines !== undefined)
      for (const [file, lines] of pending)
        state.lines[file] = (state.lines[file] ?? 0) + lines.length;
    if (!this.dryRun) await this.guard(() => this.saveRunMarker());
    return outcomes;
  }

  /**
   * Appends each block to its file and returns once all of them are on disk: every byte
   * written (short writes continued), each file flushed, and the run directory flushed
   * when a file was created. Only then may a checkpoint count them.
   */
  private async writeDurably(blocks: ReadonlyArray<{ file: string; data: Buffer }>) {
    await this.guard(async () => {
      // Files are written in parallel (each write is a thread-pool round trip); every write
      // is awaited before the batch fails, so none lands after the caller was told.
      const results = await Promise.allSettled(
        blocks.map(async ({ file, data }) => {
          const handle = await this.handleFor(file);
          await appendAll(this.writer, handle, data);
          await this.writer.sync(handle);
        }),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      if (this.created.size > 0) {
        this.created.clear();
        await this.writer.syncDirectory(
          join(this.options.outputDir, 'runs', this.requireState().runId),
        );
      }
    });
  }

  /** Runs a write step; a failure marks the sink failed (its files hold uncounted bytes). */
  private async guard(step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (error) {
      this.failure = error;
      throw this.writeError(error);
    }
  }

  /** The error a failed write is reported with: what happened and what to do. */
  private writeError(cause: unknown): PmsbridgeError {
    if (isPmsbridgeError(cause)) return cause;
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const what =
      code === 'ENOSPC' || code === 'EDQUOT'
        ? `the disk holding ${this.options.outputDir} is full (${code})`
        : `writing to ${this.options.outputDir} failed (${code ?? describeError(cause).message})`;
    return new PmsbridgeError(
      code === 'ENOSPC' || code === 'EDQUOT'
        ? ErrorCode.PublicationDiskFull
        : ErrorCode.PublicationWriteFailed,
      `${this.name}: ${what}. Nothing was published; fix the cause and run the sync again: it resumes from the last checkpoint, whose lines are on disk`,
      { cause },
    );
  }

  private async handleFor(file: string): Promise<FileHandle> {
    let handle = this.handles.get(file);
    if (handle === undefined) {
      handle = await open(join(this.options.outputDir, file), 'a');
      this.handles.set(file, handle);
      this.created.add(file);
    }
    return handle;
  }

  checkpointState(): BulkPublishResumeState | undefined {
    if (this.state === undefined) return undefined;
    return {
      ...this.state,
      files: { ...this.state.files },
      meta: structuredClone(this.state.meta),
      providers: this.mode === 'incremental' ? [...this.providers] : [],
      ...(this.state.lines === undefined ? {} : { lines: { ...this.state.lines } }),
    };
  }

  async close(context: { completed: boolean }): Promise<void> {
    this.options.mapping.unmappedSpecialties?.endRun?.();
    for (const handle of this.handles.values()) await handle.close();
    this.handles.clear();
    this.created.clear();
    if (!context.completed || this.dryRun || this.state === undefined) return;
    if (this.failure !== undefined) throw this.writeError(this.failure);
    if (this.shard !== undefined) return this.completeShard(this.shard, this.state);
    // From here the engine no longer holds this run's checkpoint: the marker does, until
    // the publication is written (a rename needs no free space).
    const outputDir = this.options.outputDir;
    await rename(join(outputDir, RUN_IN_PROGRESS_FILE), join(outputDir, RUN_TO_PUBLISH_FILE));
    await this.writer.syncDirectory(outputDir);
    const marker = { ...this.state, files: { ...this.state.files }, mode: this.mode };
    await this.guard(() => this.publish(marker));
    this.state = undefined;
  }

  /**
   * Records a completed shard's result (`shard-<id>.json` in the run's directory). Its files
   * are already on disk: every batch was flushed before it was acknowledged.
   */
  private async completeShard(shard: ShardContext, state: BulkPublishResumeState): Promise<void> {
    const result = shardResultOf(shard, state);
    await this.guard(() => saveShardResult(this.writer, this.options.outputDir, result));
    this.logger.info('bulk publication shard written', {
      run: shard.run,
      shard: shard.id,
      files: Object.keys(result.files).length,
    });
    this.state = undefined;
  }

  /**
   * The final step of a distributed full run, once every shard has completed: publishes the
   * run as a completed single run is published — the index, `$bulk-publish` (and
   * `directory/$bulk-publish`) over every shard's files, each Location once, and the removal
   * of runs no manifest names — durably and atomically. Call it on a sink that is not open.
   *
   * Throws `PMS_PUBLICATION_DAMAGED`, publishing nothing, when a shard left no result (it
   * names the shards) or a file changed since its shard completed. Idempotent: once the run
   * is published a call changes nothing, and a call after one that failed half-way finishes
   * the job.
   */
  async finishRun(context: FinishRunContext): Promise<void> {
    const { run, signal } = context;
    const outputDir = this.options.outputDir;
    const runName = distributedRunName(run);
    const record = await readFinishRecord(outputDir, run);
    if (record !== undefined && !isSameShardSet(record.shards, context.shards)) {
      throw new StateError(
        `${this.name}: distributed run ${run} is being finished with shards ${record.shards.join(', ')}, not ${context.shards.join(', ')}; finish it with the same shards`,
      );
    }
    if (record?.published === true) {
      this.logger.info('distributed run already published', { run });
      return;
    }
    // The recorded order: a call after a crash merges the Location lines in the same order.
    const shards = record?.shards ?? [...context.shards];
    const results = await readShardResults(outputDir, run, shards);
    signal.throwIfAborted();
    // A completed single run left unpublished goes first, as the next open would publish it.
    await this.guard(() => this.publishUnpublishedRun());
    const finish: FinishRecord = record ?? {
      shards,
      transactionTime: earliestStart(results) ?? this.clock.now().toISOString(),
      keep: runsNamedBy(await this.previousOutputs()),
      published: false,
    };
    // With the provider-group layout every shard writes nearly every group's files: they are
    // merged into one file per group, or the manifest would list shards × groups files.
    const mergeShardFiles = this.splitBy === 'provider-group';
    try {
      await this.guard(async () => {
        if (record === undefined) await saveFinishRecord(this.writer, outputDir, run, finish);
        signal.throwIfAborted();
        const files = await filesOfDistributedRun(
          this.writer,
          outputDir,
          runName,
          results,
          mergeShardFiles,
        );
        this.state = publicationState(runName, finish.transactionTime, files);
        await this.writeManifest((await this.previousPublication()).entries, {
          reused: new Map(),
          hashes: new Map(),
        });
        await this.removeRunsBut([runName, ...finish.keep]);
        await saveFinishRecord(this.writer, outputDir, run, { ...finish, published: true });
      });
    } finally {
      this.state = undefined;
    }
    // Merged, the shards' files are named by no manifest; once the run is marked published
    // nothing reads them again.
    if (mergeShardFiles)
      for (const id of shards)
        await rm(join(outputDir, 'runs', shardRunId({ run, id })), {
          recursive: true,
          force: true,
        });
    this.logger.info('distributed run published', { run, shards: shards.length });
  }

  /**
   * Publishes the run: carries the previous publication forward (incremental runs), writes
   * the index and the manifest, removes runs no manifest names, and drops the marker
   * (`marker`: what it holds, the run's state when it completed).
   */
  private async publish(marker: BulkPublishResumeState): Promise<void> {
    const previous = await this.previousPublication();
    const carried: CarriedPublication =
      this.mode === 'incremental'
        ? await this.carryForward(previous)
        : { reused: new Map(), hashes: new Map() };
    await this.writeManifest(previous.entries, carried);
    await this.removeOldRuns(previous.outputs);
    await this.dropRunToPublish(marker);
  }

  /** The outputs the current manifests list (each file once), before this run replaces them. */
  private async previousOutputs(): Promise<ManifestOutput[]> {
    const outputs = new Map<string, ManifestOutput>();
    for (const file of [MANIFEST_FILE, DIRECTORY_MANIFEST_FILE]) {
      const manifest = await this.readJson<BulkPublishManifest>(file);
      for (const output of manifest?.output ?? []) {
        const rel = relativeOutputPath(output.url);
        if (rel !== undefined) outputs.set(rel, output);
      }
    }
    return [...outputs.values()];
  }

  /** The current publication: its outputs and what its index says of each file. */
  private async previousPublication(): Promise<PreviousPublication> {
    const index = await this.readJson<PublicationIndex>(PUBLICATION_INDEX_FILE);
    const entries = new Map<string, IndexEntry>();
    for (const [url, entry] of Object.entries(index?.files ?? {}))
      entries.set(relativeOutputPath(url) ?? url, entry);
    return { outputs: await this.previousOutputs(), entries, layout: index?.layout };
  }

  /** Completes an incremental run from the previous publication (see `carry-forward.ts`). */
  private carryForward(previous: PreviousPublication): Promise<CarriedPublication> {
    const state = this.requireState();
    return new CarryForward({
      writer: this.writer,
      outputDir: this.options.outputDir,
      runDir: `runs/${state.runId}`,
      run: state,
      providers: this.providers,
      now: this.clock.now().getTime(),
      includeRoles: this.includeRoles,
      ...(this.splitBy === 'provider-group'
        ? { groups: { count: this.groups, layout: this.layout } }
        : {}),
    }).run(previous);
  }

  private async readJson<T>(file: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(join(this.options.outputDir, file), 'utf8')) as T;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /**
   * Writes the index, then the manifests: `directory/$bulk-publish` when directory
   * resources are published (else a stale one is removed), and `$bulk-publish` last.
   * `previous` holds the previous index's entries by path; `carried`, what an incremental
   * run's carry-forward knows of its files.
   */
  private async writeManifest(
    previous: ReadonlyMap<string, IndexEntry>,
    carried: CarriedPublication,
  ): Promise<void> {
    const state = this.requireState();
    const files: PublishedFile[] = Object.entries(state.files)
      .filter(([rel, bytes]) => bytes > 0 && state.meta[rel] !== undefined && !isStagedFile(rel))
      .map(([rel]) => ({
        rel,
        type: state.meta[rel]?.type ?? '',
        states: state.meta[rel]?.states ?? [],
      }));
    const manifests = buildManifests(files, {
      transactionTime: state.transactionTime,
      baseUrl: this.options.baseUrl,
      withDirectory: this.includeRoles,
    });
    const all = manifests.directory ?? manifests.specification;
    // The index first: a manifest never names a file the index does not know.
    const index = await this.indexOf(all, previous, carried);
    await this.replace(PUBLICATION_INDEX_FILE, JSON.stringify(index));
    const directoryPath = join(this.options.outputDir, DIRECTORY_MANIFEST_FILE);
    if (manifests.directory !== undefined) {
      await mkdir(dirname(directoryPath), { recursive: true });
      await this.replace(DIRECTORY_MANIFEST_FILE, JSON.stringify(manifests.directory, null, 2));
    } else {
      await rm(directoryPath, { force: true });
    }
    await this.replace(MANIFEST_FILE, JSON.stringify(manifests.specification, null, 2));
    this.logger.info('bulk publication written', {
      runId: state.runId,
      files: all.output.length,
      reused: carried.reused.size,
      directoryManifest: manifests.directory !== undefined,
    });
  }

  private replace(file: string, text: string): Promise<void> {
    return replaceFileDurably(this.writer, join(this.options.outputDir, file), text);
  }

  /**
   * Each listed file's hash, and when its content last changed. A reused file keeps its
   * entry, unread. Another file is hashed; its last change is kept from the previous index's
   * file of the same path in its run (`Slot-MA.ndjson`, `shard-0/Slot-MA.ndjson`) when the
   * content is the same.
   */
  private async indexOf(
    manifest: BulkPublishManifest,
    previousEntries: ReadonlyMap<string, IndexEntry>,
    { reused, hashes }: CarriedPublication,
  ): Promise<PublicationIndex> {
    const state = this.requireState();
    const previous = new Map<string, IndexEntry>();
    for (const [rel, entry] of previousEntries)
      if (!previous.has(pathInRun(rel))) previous.set(pathInRun(rel), entry);
    const index: PublicationIndex = {
      transactionTime: state.transactionTime,
      layout: this.layout,
      files: {},
    };
    for (const { url } of manifest.output) {
      const rel = relativeOutputPath(url) ?? url;
      const earliestEnd = state.meta[rel]?.earliestEnd;
      const slots =
        earliestEnd === undefined ? {} : { earliestSlotEnd: new Date(earliestEnd).toISOString() };
      const known = reused.get(rel);
      if (known !== undefined) {
        index.files[url] = { sha256: known.sha256, modified: known.modified, ...slots };
        continue;
      }
      const sha256 =
        hashes.get(rel)?.digest('hex') ?? (await hashFile(join(this.options.outputDir, rel)));
      const before = previous.get(pathInRun(rel));
      index.files[url] = {
        sha256,
        modified: before?.sha256 === sha256 ? before.modified : state.transactionTime,
        ...slots,
      };
    }
    return index;
  }

  /**
   * Removes every run directory but this run's and those the previous manifest names
   * (clients may still be reading it). A run that failed is not resumable once another
   * completed (the engine resumes an interrupted run before starting a new one).
   */
  private async removeOldRuns(previous: readonly ManifestOutput[]): Promise<void> {
    await this.removeRunsBut([this.requireState().runId, ...runsNamedBy(previous)]);
  }

  /** Removes every run directory but those named. */
  private async removeRunsBut(runs: readonly string[]): Promise<void> {
    const runsDir = join(this.options.outputDir, 'runs');
    const keep = new Set(runs);
    for (const run of await readdir(runsDir)) {
      if (!keep.has(run)) await rm(join(runsDir, run), { recursive: true, force: true });
    }
  }
}

/**
 * A file's path inside its run directory (`…/runs/<run>/shard-0/Slot.ndjson` →
 * `shard-0/Slot.ndjson`): what makes two runs' files "the same file" in the index.
 */
function pathInRun(url: string): string {
  const rel = relativeOutputPath(url);
  return rel === undefined ? (url.split('/').pop() ?? url) : rel.split('/').slice(2).join('/');
}

/** The run directories of `outputs` (`runs/<run>/…`), each once. */
function runsNamedBy(outputs: readonly ManifestOutput[]): string[] {
  const runs = new Set<string>();
  for (const output of outputs) {
    const run = relativeOutputPath(output.url)?.split('/')[1];
    if (run !== undefined) runs.add(run);
  }
  return [...runs];
}

/** The state a distributed run is published from: its files, by path. */
function publicationState(
  runId: string,
  transactionTime: string,
  files: ReadonlyArray<readonly [string, ShardFile]>,
): BulkPublishResumeState {
  const state: BulkPublishResumeState = {
    runId,
    transactionTime,
    files: {},
    meta: {},
    providers: [],
  };
  for (const [rel, file] of files) {
    state.files[rel] = file.bytes;
    state.meta[rel] = {
      type: file.type,
      states: [...file.states],
      ...(file.earliestEnd === undefined ? {} : { earliestEnd: file.earliestEnd }),
    };
  }
  return state;
}

/**
 * `base`, or `base-2`, `base-3`… when a run of that id exists (a run published at the next
 * `open` may carry the same clock reading as the run that follows it).
 */
async function unusedRunId(runsDir: string, base: string): Promise<string> {
  const taken = new Set(
    await readdir(runsDir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    }),
  );
  let runId = base;
  for (let n = 2; taken.has(runId); n++) runId = `${base}-${n}`;
  return runId;
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}
