import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ValidationError,
  type ChangesOptions,
  type ChangesPageRead,
  type Clock,
  type ListProvidersOptions,
  type Logger,
  type Provider,
  type ProviderChange,
  type ProviderPageRead,
  type ProviderSource,
  type ScheduleWindow,
  type Slot,
  type SlotSource,
} from '@pmsbridge/core';
import { decodeSlot, checkWidth } from '../codec/row-decoder.js';
import { isBlank, readCsvRecords } from '../transport/csv-file-reader.js';
import type { ExportBaseline } from './export-baseline.js';
import { ROW_KEY, readExport, type ExportLayout, type ExportSnapshot } from './export-reader.js';

/** Options of {@link CsvSource}. */
export interface CsvSourceSettings {
  layout: ExportLayout;
  /** Providers (or changes) per page. */
  pageSize: number;
}

/** The services a {@link CsvSource} uses. */
export interface CsvSourceDeps {
  baseline: ExportBaseline;
  clock: Clock;
  logger: Logger;
}

/** `<fingerprint>:<page>`: which export a page came from and which page it is. */
function cursorOf(fingerprint: string, page: number): string {
  return `${fingerprint}:${page}`;
}

function parseCursor(
  cursor: string | undefined,
): { fingerprint: string; page: number } | undefined {
  const match = /^([0-9a-f]+):(\d+)$/.exec(cursor ?? '');
  if (match === null) return undefined;
  return { fingerprint: match[1] ?? '', page: Number(match[2]) };
}

const byProviderId = (a: ProviderChange, b: ProviderChange): number =>
  a.providerId < b.providerId ? -1 : a.providerId > b.providerId ? 1 : 0;

/**
 * A practice-management system's CSV export as a source: providers, locations,
 * provider-location links and slots from one directory.
 *
 * Every row is validated; a bad row is reported with its file, line and reason (and goes to
 * the dead-letter store) while the rest goes on. Incremental runs compare each provider's
 * content hash (its row, locations and slots) with the export last delivered (see
 * {@link ExportBaseline}) and report what was created, updated or removed.
 *
 * Memory holds the directory (providers, locations, links) and, per provider, where its slots
 * are in the slots file; slots are read from the file when a schedule is asked for. The slots
 * of one provider must be together in the file (sorted or grouped by provider_id).
 */
export class CsvSource implements ProviderSource, SlotSource {
  private snapshot: Promise<ExportSnapshot> | undefined;

  constructor(
    private readonly options: CsvSourceSettings,
    private readonly deps: CsvSourceDeps,
  ) {}

  /** Reads the export afresh (each listing or changes read starts from the files as they are). */
  private reload(signal?: AbortSignal): Promise<ExportSnapshot> {
    const reading = readExport(this.options.layout, this.deps.logger, signal);
    this.snapshot = reading;
    reading.catch(() => {
      if (this.snapshot === reading) this.snapshot = undefined;
    });
    return reading;
  }

  private current(signal?: AbortSignal): Promise<ExportSnapshot> {
    return this.snapshot ?? this.reload(signal);
  }

  async *listProviders(options: ListProvidersOptions = {}): AsyncIterable<ProviderPageRead> {
    const snapshot = await this.reload(options.signal);
    const after = options.startAfterId;
    const providers =
      after === undefined ? snapshot.providers : snapshot.providers.filter((p) => p.id > after);
    let invalid = snapshot.invalid;
    const total = snapshot.providers.length;
    for (let i = 0; i < providers.length || invalid.length > 0; i += this.options.pageSize) {
      const page = providers.slice(i, i + this.options.pageSize);
      if (options.dryRun !== true) {
        await this.deps.baseline.recordListed(
          page.map((p) => [p.id, snapshot.hashes.get(p.id) ?? ''] as const),
        );
      }
      yield { providers: page, invalid, total };
      invalid = [];
    }
  }

  /** Reads the export once and answers from it (replay asks for one provider after another). */
  async getProvider(id: string, signal?: AbortSignal): Promise<Provider | undefined> {
    return (await this.current(signal)).byId.get(id);
  }

  isProviderId(key: string): boolean {
    return !ROW_KEY.test(key);
  }

  async *changes(options: ChangesOptions): AsyncIterable<ChangesPageRead> {
    const snapshot = await this.reload(options.signal);
    const { baseline } = this.deps;
    const resumeAt = parseCursor(options.cursor);
    const pendingRun = await baseline.pendingRun();
    let until: string;
    let firstPage = 0;
    let replaced: Map<string, string> | undefined;
    if (resumeAt !== undefined && pendingRun !== undefined) {
      until = pendingRun.until;
      if (pendingRun.fingerprint === snapshot.fingerprint) firstPage = resumeAt.page;
      else {
        // The export was replaced mid-run: what the interrupted run delivered is compared too.
        this.deps.logger.warn(
          'the csv export changed while a run was interrupted: reading all changes again',
        );
        replaced = await baseline.readPending();
      }
    } else {
      // A dry run compares with the baseline as it stands and records nothing.
      if (options.dryRun !== true) {
        if (pendingRun !== undefined && pendingRun.until === options.since)
          await baseline.promote();
        else if (pendingRun !== undefined) await baseline.clearPending();
      }
      until = this.deps.clock.now().toISOString();
    }
    const base = await baseline.readBaseline();
    if (firstPage === 0 && options.dryRun !== true) {
      await baseline.replacePending(this.pendingEntries(snapshot, base), {
        until,
        fingerprint: snapshot.fingerprint,
      });
    }
    const changes = this.diff(snapshot, base, replaced, until);
    const pages = Math.max(1, Math.ceil(changes.length / this.options.pageSize));
    for (let page = firstPage; page < pages; page++) {
      const start = page * this.options.pageSize;
      yield {
        changes: changes.slice(start, start + this.options.pageSize),
        invalid: page === 0 ? snapshot.invalid : [],
        cursor: cursorOf(snapshot.fingerprint, page),
        until,
      };
    }
  }

  /**
   * The hashes the baseline becomes once this run completes: each valid provider's, and for a
   * provider whose row is invalid this time, the hash it had (it is neither changed nor gone).
   */
  private pendingEntries(
    snapshot: ExportSnapshot,
    base: ReadonlyMap<string, string>,
  ): Array<readonly [string, string]> {
    const entries: Array<readonly [string, string]> = [...snapshot.hashes];
    for (const id of snapshot.present) {
      const before = base.get(id);
      if (!snapshot.hashes.has(id) && before !== undefined) entries.push([id, before]);
    }
    return entries;
  }

  /** Changes of `snapshot` against the baseline (and what a replaced export delivered). */
  private diff(
    snapshot: ExportSnapshot,
    base: ReadonlyMap<string, string>,
    replaced: ReadonlyMap<string, string> | undefined,
    until: string,
  ): ProviderChange[] {
    const changes: ProviderChange[] = [];
    for (const provider of snapshot.providers) {
      const current = snapshot.hashes.get(provider.id);
      const before = base.get(provider.id);
      const delivered = replaced?.get(provider.id);
      const changedAt = provider.updatedAt;
      if (before === undefined && delivered === undefined)
        changes.push({ type: 'created', providerId: provider.id, changedAt, provider });
      else if (current !== before || (delivered !== undefined && current !== delivered))
        changes.push({ type: 'updated', providerId: provider.id, changedAt, provider });
    }
    const gone = new Set([...base.keys(), ...(replaced?.keys() ?? [])]);
    for (const id of gone) {
      if (!snapshot.present.has(id))
        changes.push({ type: 'deactivated', providerId: id, changedAt: until });
    }
    return changes.sort(byProviderId);
  }

  async getSchedule(
    providerId: string,
    window: ScheduleWindow,
    signal?: AbortSignal,
  ): Promise<Slot[]> {
    const snapshot = await this.current(signal);
    const range = snapshot.slotRanges.get(providerId);
    const header = snapshot.slotHeader;
    const provider = snapshot.byId.get(providerId);
    if (range === undefined || header === undefined || provider === undefined) return [];
    const file = this.options.layout.fileNames.slots;
    const path = join(this.options.layout.dir, file);
    const { size, mtimeMs } = await stat(path);
    if (size !== snapshot.slotStamp?.size || mtimeMs !== snapshot.slotStamp.mtimeMs) {
      throw new ValidationError(
        `${file} changed while the sync was reading it; run the sync again once the export is complete`,
        { file },
      );
    }
    const locations = new Set((provider.locations ?? []).map((location) => location.id));
    const timeZoneOf = (id: string) => snapshot.locations.get(id)?.timezone;
    const slots: Slot[] = [];
    const seen = new Set<string>();
    for await (const record of readCsvRecords(path, file, {
      delimiter: this.options.layout.delimiter,
      range,
      signal,
    })) {
      if (isBlank(record.cells) || checkWidth(header, record.cells) !== undefined) continue;
      // Rows that failed validation were reported by the pass that found the range.
      const decoded = decodeSlot(header, record.cells, timeZoneOf);
      if (!decoded.ok || !locations.has(decoded.value.locationId) || seen.has(decoded.value.id))
        continue;
      seen.add(decoded.value.id);
      const { date } = decoded.value;
      if (date >= window.startDate && date <= window.endDate) slots.push(decoded.value);
    }
    return slots;
  }
}
