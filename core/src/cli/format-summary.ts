import type { SyncSummary } from '../sync/run-summary.js';

/** The human-readable end-of-run summary. */
export function formatSummary(summary: SyncSummary): string {
  const lines = [
    `${summary.dryRun ? 'Dry run of ' : ''}${summary.mode} sync "${summary.pipeline}"${summary.resumed ? ' (resumed)' : ''} finished in ${(summary.durationMs / 1000).toFixed(1)} s`,
    `  records read ${summary.read}, written ${summary.written}, unchanged ${summary.unchanged}, filtered ${summary.filtered}, dead-lettered ${summary.deadLettered}`,
  ];
  if (summary.coalesced > 0) {
    lines.push(
      `  ${summary.coalesced} change(s) folded into a later change of the same provider (each provider is written once per run)`,
    );
  }
  for (const [sink, types] of Object.entries(summary.sinks)) {
    lines.push(`  ${sink}:`);
    for (const [type, counts] of Object.entries(types)) {
      const verb = summary.dryRun ? 'would be ' : '';
      lines.push(
        `    ${type.padEnd(18)} ${verb}created ${counts.created}, ${verb}updated ${counts.updated}, unchanged ${counts.unchanged}, ${verb}withdrawn ${counts.deleted}`,
      );
    }
  }
  if (summary.failure !== undefined) {
    lines.push(`  FAILED [${summary.failure.code}]: ${summary.failure.message}`);
  }
  return lines.join('\n');
}
