import { existsSync } from 'node:fs';
import { appendFile, stat, truncate } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { defineSink, recordKey, type RecordOutcome, type SyncRecord } from '@pmsbridge/core';
import { z } from 'zod';

/** One line of the file: what happened to a provider, as the pipeline delivered it. */
export interface NdjsonLine {
  key: string;
  kind: SyncRecord['kind'];
  /** The provider's name and slot count, or when it was deactivated. */
  summary: Record<string, unknown>;
}

/**
 * A sink that appends one JSON line per record to a file. Its checkpoint state is the file's
 * length, and it cuts the file back to it when a run resumes, so a crash never leaves a line
 * twice. During a dry run it writes nothing and reports every record.
 */
export default defineSink({
  id: '@pmsbridge/example-custom-plugin/ndjson-sink',
  options: z.object({ path: z.string().min(1) }),
  requiredProviderFields: ['name'],
  create: ({ name, options, baseDir }) => {
    const path = isAbsolute(options.path) ? options.path : resolve(baseDir, options.path);
    let length = 0;
    let dryRun = false;
    return {
      name,
      supportsDryRun: true,
      async open(context) {
        dryRun = context.dryRun;
        length = existsSync(path) ? (await stat(path)).size : 0;
        if (typeof context.resumeState === 'number' && context.resumeState < length) {
          if (!dryRun) await truncate(path, context.resumeState);
          length = context.resumeState;
        }
      },
      async write(batch): Promise<RecordOutcome[]> {
        const text = batch.map((record) => `${JSON.stringify(lineOf(record))}\n`).join('');
        if (!dryRun) await appendFile(path, text);
        length += Buffer.byteLength(text);
        // Counts per output type tell the run summary what changed: each record is one new line.
        return batch.map((record) => ({
          key: recordKey(record),
          ok: true,
          counts: { line: { created: 1, updated: 0, unchanged: 0, deleted: 0 } },
        }));
      },
      checkpointState: () => length,
    };
  },
});

function lineOf(record: SyncRecord): NdjsonLine {
  if (record.kind === 'deactivation') {
    return { key: record.providerId, kind: record.kind, summary: { at: record.changedAt } };
  }
  const { provider, slots } = record;
  return {
    key: provider.id,
    kind: record.kind,
    summary: { name: `${provider.name.first} ${provider.name.last}`, slots: slots.length },
  };
}
