/**
 * `@pmsbridge/adapter-smart-scheduling-links`: providers' schedules as a SMART Scheduling
 * Links `$bulk-publish` publication — the sink that writes it durably and resumably, and the
 * server that publishes it (`pmsbridge publish serve`).
 */
import { publicationPlugin } from './plugin.js';

export { publicationPlugin } from './plugin.js';
export { optionsSchema, type PublicationOptions } from './options-schema.js';
export {
  BulkPublishSink,
  MANIFEST_FILE,
  PUBLICATION_INDEX_FILE,
  type BulkPublishSinkOptions,
  type BulkPublishManifest,
  type BulkPublishResumeState,
  type ManifestOutput,
  type PublicationIndex,
  type SplitBy,
} from './bulk-publish-sink.js';
export { DIRECTORY_MANIFEST_FILE, SPECIFICATION_TYPES } from './publication-manifest.js';
export {
  servePublication,
  manifestFor,
  type ServePublicationOptions,
  type PublicationServer,
} from './publication-server.js';

export default publicationPlugin;
