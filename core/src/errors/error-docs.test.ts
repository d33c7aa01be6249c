import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { errorCategoryOf, errorCodes, exitCodeOf } from './error-codes.js';

const DOCS = fileURLToPath(new URL('../../../docs/errors.md', import.meta.url));

interface DocsEntry {
  code: string;
  category?: string;
  exitCode?: number;
  hasWhatToDo: boolean;
}

/** The `### \`PMS_…\`` entries of docs/errors.md, each with its stated category and exit code. */
function readEntries(markdown: string): DocsEntry[] {
  const sections = markdown.split(/^### /m).slice(1);
  return sections.flatMap((section): DocsEntry[] => {
    const code = /^`(PMS_[A-Z_]+)`\s*$/m.exec(section.split('\n')[0] ?? '')?.[1];
    if (code === undefined) return [];
    const stated = /^Category `(PMS_[A-Z_]+)` · exit code (\d)$/m.exec(section);
    return [
      {
        code,
        category: stated?.[1],
        exitCode: stated === null ? undefined : Number(stated[2]),
        hasWhatToDo: /^\*\*What to do:\*\* \S/m.test(section),
      },
    ];
  });
}

describe('docs/errors.md', () => {
  const entries = readEntries(readFileSync(DOCS, 'utf8'));
  const documented = entries.map((entry) => entry.code);

  it('documents every error code', () => {
    expect(errorCodes.filter((code) => !documented.includes(code))).toEqual([]);
  });

  it('documents no code that does not exist, and none twice', () => {
    expect(documented.filter((code) => !errorCodes.includes(code as never))).toEqual([]);
    expect(documented.filter((code, index) => documented.indexOf(code) !== index)).toEqual([]);
  });

  it("states each code's category and exit code as the code base has them", () => {
    const stated = entries.map(({ code, category, exitCode }) => ({ code, category, exitCode }));
    const actual = entries.map(({ code }) => ({
      code,
      category: errorCategoryOf(code),
      exitCode: exitCodeOf(code),
    }));
    expect(stated).toEqual(actual);
  });

  it('tells the user what to do for every code', () => {
    expect(entries.filter((entry) => !entry.hasWhatToDo).map((entry) => entry.code)).toEqual([]);
  });
});
