import type { ManifestOutput } from './publication-manifest.js';
import type { SlotEndMeta } from './slot-ends.js';

/** What the publication index keeps of one output file. */
export interface IndexEntry {
  sha256: string;
  /** When the file's content last changed (the transaction time of the run that wrote it). */
  modified: string;
  /** For a Slot file, when its earliest slot ends. */
  earliestSlotEnd?: string;
}

/** Per output file, its content hash and when its content last changed. */
export interface PublicationIndex {
  transactionTime: string;
  /** How the files are split (`state-week`, `provider-group/1600`…). */
  layout?: string;
  files: Record<string, IndexEntry>;
}

/** What a run keeps of each of its files besides its length. */
export interface FileMeta extends SlotEndMeta {
  type: string;
  states: string[];
}

/** A run's files: each one's length in bytes and its meta, by path relative to the output dir. */
export interface RunFiles {
  files: Record<string, number>;
  meta: Record<string, FileMeta>;
}

/** The publication the manifests name before a run replaces it. */
export interface PreviousPublication {
  outputs: ManifestOutput[];
  /** The index entry of each of its files, by path relative to the output directory. */
  entries: Map<string, IndexEntry>;
  layout: string | undefined;
}
