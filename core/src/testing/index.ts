/**
 * `@pmsbridge/core/testing`: the in-memory ports, contract suites and pipeline harness the
 * core team tests with, for authors of sources, stages, sinks and state stores. Test code
 * only; the StateStore contract suite needs jest (`@jest/globals`).
 */
export { ManualClock } from './manual-clock.js';
export { RecordingLogger, type LoggedLine } from './recording-logger.js';
export { MemorySource, makeLocation, makeProvider, twoSlots } from './memory-source.js';
export { AppendSink } from './append-sink.js';
export { describeStateStoreContract, type StateStoreFactory } from './state-store-contract.js';
export { describeRecordStoreContract, type RecordStoreFactory } from './record-store-contract.js';
export { runPipeline, type PipelineRun, type PipelineRunInput } from './run-pipeline.js';
export { createPlugin, type CreatePluginInput } from './create-plugin.js';
export { MemoryBookingPort, type MemoryPartnerMode } from './memory-booking-port.js';
