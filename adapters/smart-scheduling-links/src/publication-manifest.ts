/** File name of the manifest inside the publication directory (the URL must end with it). */
export const MANIFEST_FILE = '$bulk-publish';
/**
 * Path of the directory manifest, written when PractitionerRoles are published: every
 * output type, Practitioner and PractitionerRole included (HL7 SSL draft). Its URL ends
 * with `$bulk-publish` too.
 */
export const DIRECTORY_MANIFEST_FILE = `directory/${MANIFEST_FILE}`;

/**
 * The output types of the SMART Scheduling Links 2021 specification, the only ones
 * `$bulk-publish` lists: a widely used client rejects a whole manifest with any other type.
 */
export const SPECIFICATION_TYPES: readonly string[] = ['Location', 'Schedule', 'Slot'];

/** Output order: what a reference points to comes before what refers to it. */
const TYPE_ORDER = ['Location', 'Practitioner', 'PractitionerRole', 'Schedule', 'Slot'];

/** One entry of a `$bulk-publish` manifest. */
export interface ManifestOutput {
  type: string;
  url: string;
  extension?: { state?: string[] };
}

/** A `$bulk-publish` manifest. */
export interface BulkPublishManifest {
  transactionTime: string;
  request: string;
  output: ManifestOutput[];
  error: unknown[];
}

/** One NDJSON file of a run: its path in the publication, its type and states. */
export interface PublishedFile {
  rel: string;
  type: string;
  states: readonly string[];
}

/** The manifests of one publication. */
export interface PublicationManifests {
  /** `$bulk-publish`: Location, Schedule and Slot files only. */
  specification: BulkPublishManifest;
  /** `directory/$bulk-publish`: every file; only when directory resources are published. */
  directory?: BulkPublishManifest;
}

/**
 * Builds the manifests of a run from its files (empty ones left out by the caller): URLs
 * absolute against `baseUrl` when given, else relative to the publication directory.
 */
export function buildManifests(
  files: readonly PublishedFile[],
  options: { transactionTime: string; baseUrl?: string; withDirectory: boolean },
): PublicationManifests {
  const base = options.baseUrl?.replace(/\/+$/, '');
  const url = (rel: string) => (base === undefined ? rel : `${base}/${rel}`);
  const output = [...files]
    .sort(
      (a, b) =>
        TYPE_ORDER.indexOf(a.type) - TYPE_ORDER.indexOf(b.type) || a.rel.localeCompare(b.rel),
    )
    .map((file) => ({
      type: file.type,
      url: url(file.rel),
      extension: { state: [...file.states].sort() },
    }));
  const manifest = (path: string, outputs: ManifestOutput[]): BulkPublishManifest => ({
    transactionTime: options.transactionTime,
    request: url(path),
    output: outputs,
    error: [],
  });
  return {
    specification: manifest(
      MANIFEST_FILE,
      output.filter((o) => SPECIFICATION_TYPES.includes(o.type)),
    ),
    ...(options.withDirectory ? { directory: manifest(DIRECTORY_MANIFEST_FILE, output) } : {}),
  };
}

/** `runs/x/Slot.ndjson` or `https://host/pub/runs/x/Slot.ndjson` → `runs/x/Slot.ndjson`. */
export function relativeOutputPath(url: string): string | undefined {
  const at = url.indexOf('runs/');
  return at < 0 ? undefined : url.slice(at);
}
