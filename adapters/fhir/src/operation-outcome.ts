import { ErrorCode, RemoteError } from '@pmsbridge/core';
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

/** One OperationOutcome issue, flattened for logs and dead letters. */
export interface OutcomeIssue {
  severity: string;
  code: string;
  diagnostics?: string;
  expression?: string[];
}

function isOperationOutcome(value: unknown): value is OperationOutcome {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { resourceType?: unknown }).resourceType === 'OperationOutcome'
  );
}

/** The issues of an OperationOutcome body (empty when `body` is not one). */
export function parseOperationOutcome(body: unknown): OutcomeIssue[] {
  if (!isOperationOutcome(body)) return [];
  return (body.issue ?? []).map((issue: OperationOutcomeIssue) => ({
    severity: issue.severity,
    code: issue.code,
    ...(issue.diagnostics !== undefined || issue.details?.text !== undefined
      ? { diagnostics: issue.diagnostics ?? issue.details?.text }
      : {}),
    ...(issue.expression !== undefined ? { expression: issue.expression } : {}),
  }));
}

/**
 * A FHIR server rejected a request. `details.issues` carries the server's
 * OperationOutcome; the message quotes its first error diagnostics.
 */
export class FhirServerError extends RemoteError {
  readonly issues: OutcomeIssue[];

  constructor(
    message: string,
    info: { status?: number; method?: string; path?: string; requestId?: string },
    issues: OutcomeIssue[],
    cause?: unknown,
  ) {
    const first = issues.find((i) => i.severity === 'error' || i.severity === 'fatal') ?? issues[0];
    const detail =
      first === undefined
        ? ''
        : `: ${first.diagnostics ?? first.code}${first.expression ? ` (${first.expression.join(', ')})` : ''}`;
    super(
      `${message}${detail}`,
      { system: 'fhir', ...info },
      {
        cause,
        code:
          info.status === 429
            ? ErrorCode.FhirRateLimited
            : info.status === 401 || info.status === 403
              ? ErrorCode.FhirAuthRefused
              : info.status !== undefined && info.status >= 500
                ? ErrorCode.FhirUnavailable
                : ErrorCode.FhirRejected,
        details: { issues },
      },
    );
    this.issues = issues;
  }
}
