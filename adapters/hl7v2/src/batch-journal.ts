import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { batchHeader, batchTrailer, compactUtc } from './batch-file.js';
import { encodeBytes } from './codec/charset.js';
import { CONTROL_ID_LENGTH } from './codec/control-id.js';
import type { OutboundMessage } from './codec/outbound-message.js';
import type { Hl7MessageOptions } from './messages/message-options.js';

/** The first line of a journal: what the batch file's header needs. */
interface JournalHead {
  readonly journal: 'hl7v2-batch';
  readonly startedAt: string;
}

/** Every later line: one message, as built. */
interface JournalEntry {
  readonly controlId: string;
  readonly text: string;
}

const JOURNAL = '.journal';
const PUBLISHED = '.published';
const journalPath = (dir: string, base: string) => join(dir, `.${base}${JOURNAL}`);
const markerPath = (dir: string, base: string) => join(dir, `.${base}${PUBLISHED}`);
const tempPath = (dir: string, base: string) => join(dir, `.${base}.hl7.tmp`);
const filePath = (dir: string, base: string) => join(dir, `${base}.hl7`);

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isHead(value: unknown): value is JournalHead {
  const head = value as Partial<JournalHead> | null;
  return head?.journal === 'hl7v2-batch' && typeof head.startedAt === 'string';
}

function isEntry(value: unknown): value is JournalEntry {
  const entry = value as Partial<JournalEntry> | null;
  return typeof entry?.controlId === 'string' && typeof entry.text === 'string';
}

function parseLine(line: Buffer): unknown {
  try {
    return JSON.parse(line.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** What a journal holds, read up to its last intact line. */
interface JournalScan {
  readonly head: JournalHead;
  readonly controlIds: string[];
  /** Bytes up to the end of the last intact line: a crash mid-append leaves more. */
  readonly intactBytes: number;
}

/**
 * Reads a journal line by line, calling `onEntry` for each message, and stops at the first
 * line that is incomplete or unreadable: only a crash mid-append leaves one, at the end.
 * Undefined when the file has no intact head line.
 */
async function scanJournal(
  path: string,
  onEntry: (entry: JournalEntry) => void | Promise<void>,
): Promise<JournalScan | undefined> {
  let head: JournalHead | undefined;
  const controlIds: string[] = [];
  let intactBytes = 0;
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    let data = pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk]);
    for (let newline = data.indexOf(0x0a); newline >= 0; newline = data.indexOf(0x0a)) {
      const value = parseLine(data.subarray(0, newline));
      if (head === undefined ? !isHead(value) : !isEntry(value)) {
        return head === undefined ? undefined : { head, controlIds, intactBytes };
      }
      if (head === undefined) head = value as JournalHead;
      else {
        const entry = value as JournalEntry;
        controlIds.push(entry.controlId);
        await onEntry(entry);
      }
      intactBytes += newline + 1;
      data = data.subarray(newline + 1);
    }
    pending = Buffer.from(data);
  }
  return head === undefined ? undefined : { head, controlIds, intactBytes };
}

/** FHS-11/BHS-11: derived from the messages' control ids, so the same messages give the same id. */
function batchIdOf(controlIds: readonly string[]): string {
  const hash = createHash('sha256');
  controlIds.forEach((id, i) => hash.update(i === 0 ? id : `\u0000${id}`));
  return hash.digest('hex').slice(0, CONTROL_ID_LENGTH).toUpperCase();
}

/** A batch file written from a journal. */
export interface PublishedBatch {
  readonly path: string;
  readonly messages: number;
  readonly controlIds: readonly string[];
}

/**
 * Turns a journal into its batch file, crash-safe at every step: the file is written in
 * full beside its final name (`.<base>.hl7.tmp`) and flushed; renaming the journal to
 * `.<base>.published` commits it; the file is renamed into place and the marker removed.
 * After a crash, {@link publishLeftovers} finishes what a marker says was committed, so a
 * file is never written twice, even when the importer has already taken the first copy.
 */
async function publishJournal(
  dir: string,
  base: string,
  options: Hl7MessageOptions,
): Promise<PublishedBatch | undefined> {
  const journal = journalPath(dir, base);
  const scan = await scanJournal(journal, () => undefined);
  if (scan === undefined || scan.controlIds.length === 0) {
    await rm(journal, { force: true });
    await syncDirectory(dir);
    return undefined;
  }
  const fileName = `${base}.hl7`;
  const header = batchHeader({
    fileName,
    startedAt: new Date(scan.head.startedAt),
    batchId: batchIdOf(scan.controlIds),
    options,
  });
  const temp = await open(tempPath(dir, base), 'w');
  try {
    let buffered: Buffer[] = [encodeBytes(header, options.charset)];
    let size = 0;
    const flush = async () => {
      await temp.writeFile(Buffer.concat(buffered));
      buffered = [];
      size = 0;
    };
    let written = 0;
    await scanJournal(journal, async (entry) => {
      // Only the lines counted above: a line appended since is not in this file.
      if (written >= scan.controlIds.length) return;
      written++;
      const bytes = encodeBytes(entry.text, options.charset);
      buffered.push(bytes);
      size += bytes.length;
      if (size >= 1 << 20) await flush();
    });
    buffered.push(encodeBytes(batchTrailer(written, options), options.charset));
    await flush();
    await temp.datasync();
  } finally {
    await temp.close();
  }
  await rename(journal, markerPath(dir, base));
  await syncDirectory(dir);
  await finishPublished(dir, base);
  return {
    path: filePath(dir, base),
    messages: scan.controlIds.length,
    controlIds: scan.controlIds,
  };
}

/** After the commit: the file into place (unless it already is), then the marker away. */
async function finishPublished(dir: string, base: string): Promise<void> {
  if (await exists(tempPath(dir, base))) {
    await rename(tempPath(dir, base), filePath(dir, base));
    await syncDirectory(dir);
  }
  await rm(markerPath(dir, base), { force: true });
  await syncDirectory(dir);
}

const escapeRegExp = (text: string) => text.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Publishes what earlier runs of the sink `sinkName` left in `dir`: a batch committed but not
 * yet in place, and journals of runs that will not be resumed (`except` is the one that
 * will). Their messages were recorded as delivered when they were journaled, so they must
 * reach the importer. Returns what was published.
 */
export async function publishLeftovers(
  dir: string,
  sinkName: string,
  options: Hl7MessageOptions,
  except?: string,
): Promise<PublishedBatch[]> {
  const ours = new RegExp(
    `^\\.(${escapeRegExp(sinkName)}-\\d{8}T\\d{6}Z(?:-\\d+)?)(${escapeRegExp(JOURNAL)}|${escapeRegExp(PUBLISHED)})$`,
  );
  const published: PublishedBatch[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const match = ours.exec(name);
    const base = match?.[1];
    if (base === undefined || base === except) continue;
    if (match?.[2] === PUBLISHED) await finishPublished(dir, base);
    else {
      const batch = await publishJournal(dir, base, options);
      if (batch !== undefined) published.push(batch);
    }
  }
  return published;
}

/** Why a journal named by a checkpoint cannot be resumed. */
export class JournalMissingError extends Error {
  constructor(readonly path: string) {
    super(`${path} is missing or unreadable`);
  }
}

/**
 * A file-mode run's messages on disk until the run completes: a dot file in the output
 * directory (`.<sink>-<start>.journal`, which no `*.hl7` import picks up), one JSON line per
 * message, appended and flushed batch by batch, so the checkpoint only needs its name. At the
 * end of the run {@link BatchJournal.publish} turns it into the batch file.
 */
export class BatchJournal {
  /** The output directory. */
  readonly dir: string;
  /** The batch file's name without `.hl7`; names the journal too. */
  readonly base: string;
  readonly #handle: FileHandle;
  /** Control ids journaled before a resume: a replayed record's messages are not added twice. */
  readonly #resumed: ReadonlySet<string>;

  private constructor(dir: string, base: string, handle: FileHandle, resumed: Set<string>) {
    this.dir = dir;
    this.base = base;
    this.#handle = handle;
    this.#resumed = resumed;
  }

  /** Starts the journal of a new run of sink `sinkName`, under a name no file has yet. */
  static async begin(dir: string, sinkName: string, startedAt: Date): Promise<BatchJournal> {
    await mkdir(dir, { recursive: true });
    const stem = `${sinkName}-${compactUtc(startedAt)}`;
    let base = stem;
    for (let n = 2; await BatchJournal.#taken(dir, base); n++) base = `${stem}-${n}`;
    const handle = await open(journalPath(dir, base), 'wx');
    const head: JournalHead = { journal: 'hl7v2-batch', startedAt: startedAt.toISOString() };
    try {
      await handle.writeFile(`${JSON.stringify(head)}\n`);
      await handle.datasync();
    } catch (error) {
      await handle.close();
      throw error;
    }
    await syncDirectory(dir);
    return new BatchJournal(dir, base, handle, new Set());
  }

  static async #taken(dir: string, base: string): Promise<boolean> {
    for (const path of [journalPath, markerPath, tempPath, filePath]) {
      if (await exists(path(dir, base))) return true;
    }
    return false;
  }

  /**
   * Reopens the journal of an interrupted run: cuts off a line a crash left incomplete and
   * remembers what is in it. Throws {@link JournalMissingError} when it is gone.
   */
  static async resume(dir: string, base: string): Promise<BatchJournal> {
    const path = journalPath(dir, base);
    const scan = await scanJournal(path, () => undefined).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (scan === undefined) throw new JournalMissingError(path);
    const handle = await open(path, 'r+');
    try {
      if ((await handle.stat()).size > scan.intactBytes) {
        await handle.truncate(scan.intactBytes);
        await handle.datasync();
      }
    } catch (error) {
      await handle.close();
      throw error;
    }
    await handle.close();
    return new BatchJournal(dir, base, await open(path, 'a'), new Set(scan.controlIds));
  }

  /** Whether a message of this control id was journaled before the run was resumed. */
  has(controlId: string): boolean {
    return this.#resumed.has(controlId);
  }

  /** Appends messages and returns once they are on disk. */
  async append(messages: readonly OutboundMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const lines = messages.map((m) =>
      JSON.stringify({ controlId: m.controlId, text: m.text } satisfies JournalEntry),
    );
    // writeFile continues after a short write.
    await this.#handle.writeFile(`${lines.join('\n')}\n`);
    await this.#handle.datasync();
  }

  /** Closes the journal and leaves it for a resumed run. */
  async close(): Promise<void> {
    await this.#handle.close();
  }

  /** Closes the journal and publishes it as the run's batch file (none when it is empty). */
  async publish(options: Hl7MessageOptions): Promise<PublishedBatch | undefined> {
    await this.#handle.close();
    return publishJournal(this.dir, this.base, options);
  }
}
