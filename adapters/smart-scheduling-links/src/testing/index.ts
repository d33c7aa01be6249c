/**
 * `@pmsbridge/adapter-smart-scheduling-links/testing`: a generated provider population as a
 * source, a publication pipeline over it, a disk that fails on cue, and readers of a written
 * publication. Test and benchmark code only.
 */
export { FaultyDisk } from './faulty-disk.js';
export { PopulationSource } from './population-source.js';
export { PublicationPipeline } from './publication-pipeline.js';
export {
  readPublication,
  resourcesOf,
  referencesOf,
  unresolvedReferences,
  comparablePublication,
  type ComparableFile,
} from './publication.js';
