/**
 * The four tables of the CSV layout and the fields each can hold. A field is what pmsbridge
 * knows (`provider_id`, `date`); a column is what a file holds (a field under a header, or a
 * constant). The default layout is every writable field, in the order listed here, under its
 * own name.
 */
export const TABLES = ['providers', 'locations', 'provider_locations', 'slots'] as const;

/** One of the four tables. */
export type TableName = (typeof TABLES)[number];

/** The fields of each table, in the default layout's order. */
export const TABLE_FIELDS = {
  providers: [
    'provider_id',
    'npi',
    'first_name',
    'last_name',
    'title',
    'gender',
    'specialties',
    'accepting_new_patients',
    'languages',
    'insurance_accepted',
    'phone',
    'status',
    'updated_at',
  ],
  locations: [
    'location_id',
    'name',
    'address_lines',
    'city',
    'state',
    'postal_code',
    'country',
    'timezone',
    'phone',
    'latitude',
    'longitude',
  ],
  provider_locations: ['provider_id', 'location_id'],
  slots: [
    'slot_id',
    'provider_id',
    'location_id',
    'date',
    'time',
    'duration_minutes',
    'available',
    'visit_type',
    // Not in the default layout: the slot's start and end as instants, for a column map.
    'start',
    'end',
  ],
} as const;

/** A field of table `T`. */
export type FieldName<T extends TableName = TableName> = (typeof TABLE_FIELDS)[T][number];

/** Fields a column map may add but the default layout leaves out. */
export const OPTIONAL_LAYOUT_FIELDS: Partial<Record<TableName, readonly string[]>> = {
  slots: ['start', 'end'],
};

/** The default layout's fields of `table`. */
export function defaultFields(table: TableName): readonly string[] {
  const extra = OPTIONAL_LAYOUT_FIELDS[table] ?? [];
  return TABLE_FIELDS[table].filter((field) => !extra.includes(field));
}

/** The field of each table that says which provider a row belongs to (none for locations). */
export const OWNER_FIELD: Record<TableName, string | undefined> = {
  providers: 'provider_id',
  locations: undefined,
  provider_locations: 'provider_id',
  slots: 'provider_id',
};

/** Fields that hold a point in time and accept a `format` and a `zone`. */
export const TIME_FIELDS: Record<TableName, readonly string[]> = {
  providers: ['updated_at'],
  locations: [],
  provider_locations: [],
  slots: ['date', 'time', 'start', 'end'],
};

/** Default file name of each table. */
export const DEFAULT_FILE_NAMES: Record<TableName, string> = {
  providers: 'providers.csv',
  locations: 'locations.csv',
  provider_locations: 'provider_locations.csv',
  slots: 'slots.csv',
};
