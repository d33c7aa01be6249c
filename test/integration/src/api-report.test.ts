/**
 * The API report check (`npm run api:check`, part of `npm run lint`, which compares the
 * committed `core/api/*.api.md` with a clean build): it passes against a report of core's
 * current exports and fails once the report no longer matches them. Reads core's built
 * declarations (`npm test` builds first). The baseline is made from the same build, because
 * the order in which an incremental build prints union members may differ from a clean one.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CompilerState,
  Extractor,
  ExtractorConfig,
  type ExtractorMessage,
} from '@microsoft/api-extractor';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const coreDir = resolve(import.meta.dirname, '../../../core');
const reportName = 'core.api.md';

interface CheckResult {
  succeeded: boolean;
  apiReportChanged: boolean;
  messages: string[];
}

describe('the API report of @pmsbridge/core', () => {
  let workDir: string;
  let check: (reportFolder: string) => CheckResult;
  /** The report of the current build, written by a local run into its own folder. */
  let baseline: string;

  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), 'pmsbridge-api-report-'));
    const configObjectFullPath = join(coreDir, 'api-extractor.json');
    const packageJsonFullPath = join(coreDir, 'package.json');
    const prepare = (reportFolder: string): ExtractorConfig => {
      const configObject = ExtractorConfig.loadFile(configObjectFullPath);
      configObject.apiReport = {
        ...configObject.apiReport,
        enabled: true,
        reportFolder,
        reportTempFolder: join(reportFolder, 'temp'),
      };
      return ExtractorConfig.prepare({ configObject, configObjectFullPath, packageJsonFullPath });
    };
    // One compiler program for every run: building it is most of the cost.
    const compilerState = CompilerState.create(prepare(workDir));
    check = (reportFolder) => {
      const messages: string[] = [];
      const result = Extractor.invoke(prepare(reportFolder), {
        localBuild: false,
        compilerState,
        printApiReportDiff: true,
        messageCallback: (message: ExtractorMessage) => {
          messages.push(message.text);
          message.handled = true;
        },
      });
      return { succeeded: result.succeeded, apiReportChanged: result.apiReportChanged, messages };
    };
    const baselineFolder = join(workDir, 'baseline');
    mkdirSync(baselineFolder);
    Extractor.invoke(prepare(baselineFolder), {
      localBuild: true,
      compilerState,
      messageCallback: (message: ExtractorMessage) => {
        message.handled = true;
      },
    });
    baseline = readFileSync(join(baselineFolder, reportName), 'utf8');
  });

  afterAll(() => {
    rmSync(workDir, { recursive: true, force: true });
  });

  it('passes against a report of the current exports', () => {
    const folder = join(workDir, 'current');
    mkdirSync(folder);
    writeFileSync(join(folder, reportName), baseline);

    const result = check(folder);

    expect(result).toMatchObject({ succeeded: true, apiReportChanged: false });
  });

  it('fails when the report lacks one of the exports, and names it in the diff', () => {
    const folder = join(workDir, 'altered');
    const copy = join(folder, reportName);
    mkdirSync(folder);
    const blocks = baseline.split('\n\n');
    const removed = blocks.filter((block) => /^export function batch</m.test(block));
    expect(removed).toHaveLength(1);
    writeFileSync(copy, blocks.filter((block) => !removed.includes(block)).join('\n\n'));

    const result = check(folder);

    expect(result).toMatchObject({ succeeded: false, apiReportChanged: true });
    expect(result.messages.join('\n')).toMatch(/You have changed the API signature/);
    expect(result.messages.join('\n')).toMatch(/^\+export function batch</m);
    // The check compares; it never rewrites the report it checks against.
    expect(readFileSync(copy, 'utf8')).not.toMatch(/^export function batch</m);
  });
});
