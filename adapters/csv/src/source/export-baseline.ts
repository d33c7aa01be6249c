import type { StateStore } from '@pmsbridge/core';

/** The pending export's run: the `until` its changes were read up to, and its fingerprint. */
export interface PendingRun {
  until: string;
  fingerprint: string;
}

const RUN_KEY = 'run';

/**
 * Content hashes of the export last delivered, per provider, in the state store.
 *
 * A source cannot tell when the sinks acknowledged what it read; it learns it at the next
 * run, whose `since` is the `until` of the last run that completed. So an incremental read
 * keeps the hashes it derived its changes from as *pending*, tagged with its `until`; the
 * next read promotes them to the *baseline* when its `since` is that `until` (the run
 * completed), and drops them otherwise (a full run wrote the baseline since). A full run
 * writes the baseline as it lists: a full run that fails is resumed before any incremental
 * one. Providers the baseline has and a full export lacks stay in it, so the next
 * incremental run reports them removed.
 */
export class ExportBaseline {
  private readonly pendingNamespace: string;
  private readonly runNamespace: string;

  constructor(
    private readonly store: StateStore,
    private readonly namespace: string,
  ) {
    this.pendingNamespace = `${namespace}:pending`;
    this.runNamespace = `${namespace}:pending-run`;
  }

  /** Records listed providers' hashes as delivered (full runs). */
  async recordListed(entries: ReadonlyArray<readonly [string, string]>): Promise<void> {
    if (entries.length > 0) await this.store.setHashes(this.namespace, entries);
  }

  /** The baseline: each provider's hash as last delivered. */
  readBaseline(): Promise<Map<string, string>> {
    return this.readAll(this.namespace);
  }

  /** The pending hashes (of an incremental run not known to have completed). */
  readPending(): Promise<Map<string, string>> {
    return this.readAll(this.pendingNamespace);
  }

  async pendingRun(): Promise<PendingRun | undefined> {
    const value = (await this.store.getHashes(this.runNamespace, [RUN_KEY])).get(RUN_KEY);
    if (value === undefined) return undefined;
    const [until = '', fingerprint = ''] = value.split(' ');
    return { until, fingerprint };
  }

  /**
   * Makes the pending hashes the baseline. Safe to repeat after an interruption: the pending
   * run is forgotten last.
   */
  async promote(): Promise<void> {
    const pending = await this.readPending();
    const baselineKeys = await this.store.listHashKeys(this.namespace, '');
    await this.store.setHashes(this.namespace, [...pending]);
    const gone = baselineKeys.filter((key) => !pending.has(key));
    if (gone.length > 0) await this.store.deleteHashes(this.namespace, gone);
    await this.clearPending();
  }

  /** Forgets the pending hashes. */
  async clearPending(): Promise<void> {
    await this.store.deleteHashes(this.runNamespace, [RUN_KEY]);
    const keys = await this.store.listHashKeys(this.pendingNamespace, '');
    if (keys.length > 0) await this.store.deleteHashes(this.pendingNamespace, keys);
  }

  /** Replaces the pending hashes with `entries`, tagged with the run. */
  async replacePending(
    entries: ReadonlyArray<readonly [string, string]>,
    run: PendingRun,
  ): Promise<void> {
    await this.clearPending();
    if (entries.length > 0) await this.store.setHashes(this.pendingNamespace, entries);
    await this.store.setHashes(this.runNamespace, [[RUN_KEY, `${run.until} ${run.fingerprint}`]]);
  }

  private async readAll(namespace: string): Promise<Map<string, string>> {
    const keys = await this.store.listHashKeys(namespace, '');
    return keys.length === 0 ? new Map() : this.store.getHashes(namespace, keys);
  }
}
