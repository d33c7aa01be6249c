import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ContentDiff,
  ErrorCode,
  PmsbridgeError,
  describeError,
  ensureWritableDirectory,
  type Clock,
  type DeactivationRecord,
  type Logger,
  type ProviderRecord,
  type RecordOutcome,
  type ResourceCounts,
  type Sink,
  type SinkOpenContext,
  type SyncRecord,
  type TrackedItem,
} from '@pmsbridge/core';
import { headerRow, type Column } from '../codec/column-map.js';
import { UTF8_BOM, encodeRows, type CsvEncoding } from '../codec/csv-encoding.js';
import type { CellOptions } from '../codec/row-encoder.js';
import { TABLES, type TableName } from '../codec/tables.js';
import { replaceFileDurably, sizeOf, syncDirectory } from '../transport/durable-file.js';
import { CARRY_ORDER, carryTable, keyIndex, type CarryPlan } from './carry-forward.js';
import { RunFiles, type FileLengths } from './run-files.js';
import {
  emptyRows,
  hashRows,
  keyFieldsOf,
  keyOnlyRow,
  ownerKeyOf,
  providerRows,
  type KeyedRow,
  type TableRows,
} from './table-rows.js';

/** What incremental runs write: the whole snapshot again, or a change file set. */
export type IncrementalOutput = 'snapshot' | 'changes';

/** Options of {@link CsvSink}. */
export interface CsvSinkSettings {
  name: string;
  outputDir: string;
  /** Where the config sets `outputDir`, for errors. */
  outputDirOption: string;
  fileNames: Record<TableName, string>;
  columns: Record<TableName, Column[]>;
  encoding: CsvEncoding;
  cell: CellOptions;
  /** Start each file with a UTF-8 byte order mark. */
  bom: boolean;
  incremental: IncrementalOutput;
}

/** The state of the run being written: what a checkpoint holds and the run marker keeps. */
export interface CsvRunState {
  runId: string;
  mode: SinkOpenContext['mode'];
  /** `changes`: this run writes a change file set; `snapshot`: the tables. */
  output: IncrementalOutput;
  files: FileLengths;
  /** Row keys of the locations this run already wrote (see `providerRows`). */
  locations: string[];
  /** Providers an incremental snapshot run wrote or withdrew. */
  touched: string[];
  /** Set once an incremental snapshot's previous rows were carried into the run's files. */
  carried?: boolean;
}

function isRunState(value: unknown): value is CsvRunState {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.runId === 'string' &&
    typeof v.files === 'object' &&
    Array.isArray(v.locations) &&
    Array.isArray(v.touched)
  );
}

/** Work directory (beside the published files) and the run markers in it. */
const WORK_DIR = '.pmsbridge-csv';
const RUN_MARKER = 'run.json';
/** A completed run whose files are not all published yet: the next `open` finishes it. */
const PUBLISH_MARKER = 'run-to-publish.json';
/** Subdirectory of change file sets, one directory per run. */
export const CHANGES_DIR = 'changes';

/** Column of a change file's action. */
export const ACTION_HEADER = 'action';

function zero(): ResourceCounts {
  return { created: 0, updated: 0, unchanged: 0, deleted: 0 };
}

/** `2026-03-02T15:04:05.123Z` → `20260302T150405123Z`. */
function runIdOf(at: Date): string {
  return at.toISOString().replaceAll(/[-:.]/g, '');
}

/**
 * Writes providers, locations, provider-location links and slots as CSV files in `outputDir`.
 *
 * Full runs write a complete snapshot: every table is written to a work file as records
 * arrive (memory does not grow with the slots) and renamed over the published file when the
 * run completes. Incremental runs write the snapshot again — the changed providers' rows,
 * then every other row carried from the previous snapshot — or, with `incremental: changes`,
 * a change file set `changes/<run>/` whose rows carry an `action` (`upsert`, `delete`) decided
 * by the content hashes of the rows last written.
 *
 * Resumable: `write` returns once the batch's bytes are on disk, and `checkpointState()` holds
 * the files' lengths; a resumed run cuts the work files back to them, so a record is written
 * once however often the run is interrupted. A run that completed but was interrupted while
 * publishing is published by the next `open`.
 */
export class CsvSink implements Sink {
  readonly name: string;
  readonly supportsDryRun = true;
  private state: CsvRunState | undefined;
  private readonly files: RunFiles;
  private locations = new Set<string>();
  private touched = new Set<string>();
  private dryRun = false;
  private failure: unknown;
  /** Hashes of the last batch, recorded once its checkpoint is saved (at the next write). */
  private pending: { written: TrackedItem[]; gone: string[] } = { written: [], gone: [] };

  constructor(
    private readonly options: CsvSinkSettings,
    private readonly diff: ContentDiff,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.name = options.name;
    this.files = new RunFiles(join(options.outputDir, WORK_DIR, 'run'), options.fileNames);
  }

  private get workDir(): string {
    return join(this.options.outputDir, WORK_DIR);
  }

  async open(context: SinkOpenContext): Promise<void> {
    this.dryRun = context.dryRun;
    this.failure = undefined;
    this.pending = { written: [], gone: [] };
    const output = context.mode === 'incremental' ? this.options.incremental : 'snapshot';
    if (context.mode === 'incremental' && output === 'snapshot') this.checkSnapshotKeys();
    if (this.dryRun) {
      this.state = this.freshState(context.mode, output);
      return;
    }
    ensureWritableDirectory(this.options.outputDir, this.options.outputDirOption);
    await this.publishInterruptedRun();
    const resume = isRunState(context.resumeState) ? context.resumeState : undefined;
    if (resume !== undefined && resume.output === output) {
      this.state = structuredClone(resume);
      await this.files.restore(
        resume.files,
        'the run cannot resume. Remove the checkpoint (pmsbridge state) and run a full sync',
      );
      this.logger.info('csv run resumed', { runId: resume.runId });
    } else {
      this.state = this.freshState(context.mode, output);
      this.state.files = await this.files.create(this.openings(output));
    }
    this.locations = new Set(this.state.locations);
    this.touched = new Set(this.state.touched);
    await this.saveMarker(RUN_MARKER);
  }

  private freshState(mode: CsvRunState['mode'], output: IncrementalOutput): CsvRunState {
    const files = Object.fromEntries(TABLES.map((t) => [t, 0])) as FileLengths;
    return {
      runId: runIdOf(this.clock.now()),
      mode,
      output,
      files,
      locations: [],
      touched: [],
    };
  }

  /** An incremental snapshot finds the previous rows' owners by their key columns. */
  private checkSnapshotKeys(): void {
    const { columns } = this.options;
    keyIndex(columns.providers, 'provider_id', 'providers');
    keyIndex(columns.slots, 'provider_id', 'slots');
    keyIndex(columns.provider_locations, 'provider_id', 'provider_locations');
    keyIndex(columns.provider_locations, 'location_id', 'provider_locations');
    keyIndex(columns.locations, 'location_id', 'locations');
  }

  /** Each file's first bytes: the byte order mark when asked for, and the header row. */
  private openings(output: IncrementalOutput): Record<TableName, Buffer> {
    const bom = this.options.bom ? UTF8_BOM : Buffer.alloc(0);
    return Object.fromEntries(
      TABLES.map((table) => {
        const header = headerRow(this.options.columns[table]);
        const row = output === 'changes' ? [ACTION_HEADER, ...header] : header;
        return [table, Buffer.concat([bom, encodeRows([row], this.options.encoding)])];
      }),
    ) as Record<TableName, Buffer>;
  }

  async write(batch: readonly SyncRecord[], signal: AbortSignal): Promise<RecordOutcome[]> {
    const state = this.requireState();
    if (this.failure !== undefined) throw this.writeError(this.failure);
    await this.recordPending();
    const rows = emptyRows();
    const outcomes: RecordOutcome[] = [];
    const written: TrackedItem[] = [];
    const gone: string[] = [];
    for (const record of batch) {
      signal.throwIfAborted();
      outcomes.push(
        record.kind === 'provider'
          ? await this.planProvider(record, rows, written, gone)
          : await this.planDeactivation(record, rows, gone),
      );
    }
    if (!this.dryRun) {
      const chunks = Object.fromEntries(
        TABLES.map((table) => [table, encodeRows(rows[table], this.options.encoding)]),
      );
      try {
        await this.files.append(chunks, state.files);
      } catch (error) {
        this.failure = error;
        throw this.writeError(error);
      }
      this.pending = { written, gone };
      state.locations = [...this.locations];
      state.touched = state.mode === 'incremental' ? [...this.touched] : [];
      await this.saveMarker(RUN_MARKER);
    }
    return outcomes;
  }

  /** Adds a provider's rows to `rows` and returns its outcome, counted by content hash. */
  private async planProvider(
    record: ProviderRecord,
    rows: TableRows,
    written: TrackedItem[],
    gone: string[],
  ): Promise<RecordOutcome> {
    const key = record.provider.id;
    const all = providerRows(record, this.options);
    if (this.requireState().mode === 'incremental') this.touched.add(key);
    if (this.options.incremental === 'changes')
      return this.planTrackedRows(key, all, rows, written, gone);
    for (const row of all) this.addSnapshotRow(rows, row);
    const item: TrackedItem = { key: `${ownerKeyOf(key)}/provider`, hash: hashRows(all) };
    const result = await this.diff.classify([item]);
    const bucket =
      result.created.length > 0 ? 'created' : result.updated.length > 0 ? 'updated' : 'unchanged';
    if (bucket !== 'unchanged') written.push(item);
    return { key, ok: true, counts: { providers: { ...zero(), [bucket]: 1 } } };
  }

  /**
   * With change files configured, every row is tracked by its own hash (in full runs too, so
   * the first change file after a full run is relative to it). A change file gets `upsert`
   * rows for created and updated rows and `delete` rows for withdrawn ones; a snapshot run
   * writes every row. Locations are shared by providers and tracked apart, never withdrawn.
   */
  private async planTrackedRows(
    key: string,
    all: readonly KeyedRow[],
    rows: TableRows,
    written: TrackedItem[],
    gone: string[],
  ): Promise<RecordOutcome> {
    const isChangeFile = this.requireState().output === 'changes';
    const owned = all.filter((row) => row.table !== 'locations');
    const locations = all.filter(
      (row) => row.table === 'locations' && !this.locations.has(row.key),
    );
    const compared = await this.diff.compare(ownerKeyOf(key), owned.map(toTracked));
    const shared = await this.diff.classify(locations.map(toTracked));
    const created = new Set([...compared.created, ...shared.created].map((item) => item.key));
    const updated = new Set([...compared.updated, ...shared.updated].map((item) => item.key));
    const counts: Record<string, ResourceCounts> = {};
    for (const row of [...owned, ...locations]) {
      if (row.table === 'locations') this.locations.add(row.key);
      const bucket = created.has(row.key)
        ? 'created'
        : updated.has(row.key)
          ? 'updated'
          : 'unchanged';
      (counts[row.table] ??= zero())[bucket] += 1;
      if (!isChangeFile) rows[row.table].push(row.cells);
      else if (bucket !== 'unchanged') rows[row.table].push(['upsert', ...row.cells]);
    }
    for (const withdrawn of compared.withdrawn) {
      const { table } = keyFieldsOf(withdrawn);
      (counts[table] ??= zero()).deleted += 1;
      if (isChangeFile) rows[table].push(this.deleteRow(withdrawn));
    }
    written.push(...compared.created, ...compared.updated, ...shared.created, ...shared.updated);
    gone.push(...compared.withdrawn, ...compared.expired);
    return { key, ok: true, counts };
  }

  /** A snapshot row; a location is written once per run, by the first provider that has it. */
  private addSnapshotRow(rows: TableRows, row: KeyedRow): void {
    if (row.table === 'locations') {
      if (this.locations.has(row.key)) return;
      this.locations.add(row.key);
    }
    rows[row.table].push(row.cells);
  }

  private deleteRow(key: string): string[] {
    const { table, fields } = keyFieldsOf(key);
    return ['delete', ...keyOnlyRow(this.options.columns[table], fields)];
  }

  /** A provider that left: its rows are withdrawn (change files: `delete` rows). */
  private async planDeactivation(
    record: DeactivationRecord,
    rows: TableRows,
    gone: string[],
  ): Promise<RecordOutcome> {
    const key = record.providerId;
    if (this.requireState().mode === 'incremental') this.touched.add(key);
    const left = await this.diff.leave(ownerKeyOf(key));
    const isChangeFile = this.requireState().output === 'changes';
    const counts: Record<string, ResourceCounts> = {};
    for (const withdrawn of left.withdrawn) {
      const { table } = keyFieldsOf(withdrawn);
      (counts[table] ??= zero()).deleted += 1;
      if (isChangeFile) rows[table].push(this.deleteRow(withdrawn));
    }
    gone.push(...left.withdrawn, ...left.expired);
    return { key, ok: true, counts };
  }

  /** Records the previous batch's hashes: its checkpoint was saved before this call. */
  private async recordPending(): Promise<void> {
    const { written, gone } = this.pending;
    this.pending = { written: [], gone: [] };
    if (this.dryRun) return;
    await this.diff.record(written, gone);
  }

  checkpointState(): CsvRunState | undefined {
    if (this.state === undefined || this.dryRun) return undefined;
    return structuredClone(this.state);
  }

  async close(context: { completed: boolean }): Promise<void> {
    await this.files.close();
    if (!context.completed || this.dryRun || this.state === undefined) return;
    if (this.failure !== undefined) throw this.writeError(this.failure);
    await this.recordPending();
    // From here the marker, not the engine's checkpoint, holds the run until it is published.
    await rename(join(this.workDir, RUN_MARKER), join(this.workDir, PUBLISH_MARKER));
    await syncDirectory(this.workDir);
    await this.publish(this.state);
    this.state = undefined;
  }

  /** Publishes a run that completed but whose publishing was interrupted. */
  private async publishInterruptedRun(): Promise<void> {
    let marker: unknown;
    try {
      marker = JSON.parse(await readFile(join(this.workDir, PUBLISH_MARKER), 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    if (!isRunState(marker)) return;
    this.logger.warn('publishing a completed csv run whose publishing was interrupted', {
      runId: marker.runId,
    });
    this.locations = new Set(marker.locations);
    this.touched = new Set(marker.touched);
    await this.publish(marker);
  }

  /**
   * Carries the previous snapshot's other rows forward (incremental snapshots), then renames
   * each work file over its published file (or into the run's change directory).
   */
  private async publish(run: CsvRunState): Promise<void> {
    if (run.output === 'snapshot' && run.mode === 'incremental' && run.carried !== true) {
      await this.files.restore(
        run.files,
        'remove the .pmsbridge-csv directory and run a full sync',
      );
      await this.carryForward(run);
      run.carried = true;
      this.state = run;
      await this.saveMarker(PUBLISH_MARKER);
    }
    const target =
      run.output === 'changes'
        ? join(this.options.outputDir, CHANGES_DIR, run.runId)
        : this.options.outputDir;
    await mkdir(target, { recursive: true });
    for (const table of TABLES) {
      const from = this.files.pathOf(table);
      if ((await sizeOf(from)) === undefined) continue; // renamed before an interruption
      await rename(from, join(target, this.options.fileNames[table]));
    }
    await syncDirectory(target);
    // The marker goes first: a run whose files are all renamed is published.
    await rm(join(this.workDir, PUBLISH_MARKER), { force: true });
    await rm(this.workDir, { recursive: true, force: true });
    this.logger.info('csv files written', { runId: run.runId, output: run.output, dir: target });
  }

  private async carryForward(run: CsvRunState): Promise<void> {
    const plan: CarryPlan = {
      touched: new Set(run.touched),
      // The run keeps location row keys; the previous files hold the ids.
      writtenLocations: new Set(
        run.locations.map((key) => keyFieldsOf(key).fields.location_id ?? ''),
      ),
      referencedLocations: new Set(),
    };
    let carriedAny = false;
    for (const table of CARRY_ORDER) {
      const path = join(this.options.outputDir, this.options.fileNames[table]);
      const carried = await carryTable(
        {
          table,
          path,
          label: this.options.fileNames[table],
          columns: this.options.columns[table],
          encoding: this.options.encoding,
        },
        plan,
        (block) => this.files.append({ [table]: block }, run.files),
      );
      carriedAny ||= carried;
    }
    await this.files.close();
    if (!carriedAny) {
      this.logger.warn(
        'no previous csv snapshot to carry forward: run a full sync for a complete one',
        {
          dir: this.options.outputDir,
        },
      );
    }
  }

  private async saveMarker(file: string): Promise<void> {
    const state = this.checkpointState();
    if (state === undefined) return;
    await replaceFileDurably(join(this.workDir, file), JSON.stringify(state));
  }

  private requireState(): CsvRunState {
    if (this.state === undefined) throw new Error(`${this.name}: write before open`);
    return this.state;
  }

  private writeError(cause: unknown): PmsbridgeError {
    const code = (cause as NodeJS.ErrnoException).code;
    return new PmsbridgeError(
      code === 'ENOSPC' || code === 'EDQUOT'
        ? ErrorCode.PublicationDiskFull
        : ErrorCode.PublicationWriteFailed,
      `${this.name}: cannot write the csv files in ${this.options.outputDir} (${describeError(cause).message}). Nothing was published; fix the cause and run the sync again: it resumes from the last checkpoint`,
      { cause },
    );
  }
}

function toTracked(row: KeyedRow): TrackedItem {
  return {
    key: row.key,
    hash: hashRows([row]),
    ...(row.endsAt === undefined ? {} : { endsAt: row.endsAt }),
  };
}
