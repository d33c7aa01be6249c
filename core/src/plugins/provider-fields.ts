import { ProviderSchema, type Provider } from '../domain/provider.js';
import { ConfigError } from '../errors/errors.js';

/** The top-level provider fields, as a schema (`"npi"`, `"locations"`, …). */
export const ProviderFieldSchema = ProviderSchema.keyof();

/** One top-level provider field. A source may deliver only some of them. */
export type ProviderField = keyof Provider;

/** Every top-level provider field, in schema order. */
export const ALL_PROVIDER_FIELDS: readonly ProviderField[] = ProviderFieldSchema.options;

/**
 * What the sync engine reads itself when the source also serves schedules: it fetches a
 * provider's slots only when its `status` is `active`, so a provider without `status`
 * would silently lose its schedule.
 */
const FIELDS_FOR_SCHEDULES: readonly ProviderField[] = ['id', 'status'];

/** A part of the pipeline that reads provider fields. */
export interface ProviderFieldReader {
  /** Who reads, for the message: `sinks[0] (@pmsbridge/adapter-fhir)`. */
  label: string;
  /** The fields it reads; `undefined` when it declares none, which means any field. */
  fields: readonly ProviderField[] | undefined;
}

/** What {@link checkProviderFields} compares. */
export interface ProviderFieldCheck {
  /** Who delivers, for the message: `source (@pmsbridge/adapter-healthconnect)`. */
  source: string;
  /** The fields the source delivers; `undefined` for all of them. */
  delivered: readonly ProviderField[] | undefined;
  /** Whether the source also serves schedules (the engine then reads `status`). */
  hasSchedules: boolean;
  readers: readonly ProviderFieldReader[];
}

/**
 * Refuses a pipeline whose source delivers fewer provider fields than its stages, sinks or
 * the engine read: every record would reach them incomplete. Throws a {@link ConfigError}
 * naming each reader and the fields it misses.
 */
export function checkProviderFields(check: ProviderFieldCheck): void {
  if (check.delivered === undefined) return;
  const delivered = new Set<ProviderField>(['id', ...check.delivered]);
  const readers: ProviderFieldReader[] = [
    ...(check.hasSchedules
      ? [
          {
            label: 'the sync engine (schedules are fetched for active providers)',
            fields: FIELDS_FOR_SCHEDULES,
          },
        ]
      : []),
    ...check.readers,
  ];
  const gaps = readers.flatMap((reader) => {
    const missing = (reader.fields ?? ALL_PROVIDER_FIELDS).filter((f) => !delivered.has(f));
    if (missing.length === 0) return [];
    const undeclared =
      reader.fields === undefined
        ? ' (it declares no requiredProviderFields, so it may read any)'
        : '';
    return [
      {
        reader: reader.label,
        missing,
        text: `${reader.label} needs ${missing.join(', ')}${undeclared}`,
      },
    ];
  });
  if (gaps.length === 0) return;
  const missing = [...new Set(gaps.flatMap((gap) => gap.missing))];
  throw new ConfigError(
    `${check.source} delivers only the provider fields ${[...delivered].join(', ')}, but ${gaps
      .map((gap) => gap.text)
      .join('; ')}. Add ${missing.join(', ')} to the source's fields, or request every field`,
    {
      code: 'PMS_CONFIG_FIELDS_MISSING',
      details: {
        missingProviderFields: missing,
        readers: gaps.map(({ reader, missing: m }) => ({ reader, missing: m })),
      },
    },
  );
}
