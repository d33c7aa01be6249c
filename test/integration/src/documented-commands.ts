/** A shell command that a document shows, and where. */
export interface DocumentedCommand {
  /** The document, relative to the repository root (or a label for printed output). */
  source: string;
  /** 1-based line where the command starts. */
  line: number;
  /** The command as a user would type it: continuations joined, comment and `&` dropped. */
  command: string;
}

const SHELL_FENCE = /^\s*```(sh|bash|shell|console)\s*$/;
const ANY_FENCE = /^\s*```/;
// Leading `VAR=value` assignments are part of the command, as a shell runs them.
const PMSBRIDGE_COMMAND = /^([A-Z_][A-Z0-9_]*=\S*\s+)*(npx )?pmsbridge(-[a-z-]+)?(\s|$)/;

/** Drops a trailing ` # comment` (outside quotes) and a trailing `&`. */
function stripShellTail(command: string): string {
  let quote: string | undefined;
  for (let i = 0; i < command.length; i += 1) {
    const c = command[i];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '#' && i > 0 && /\s/.test(command[i - 1] ?? '')) {
      return stripShellTail(command.slice(0, i));
    }
  }
  return command.trim().replace(/\s*&$/, '');
}

/**
 * The `pmsbridge…` / `npx pmsbridge…` commands in a block of shell lines: backslash
 * continuations are joined, a leading `$ ` prompt is dropped.
 */
export function commandsInShellLines(
  lines: string[],
  source: string,
  firstLine = 1,
): DocumentedCommand[] {
  const found: DocumentedCommand[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const start = i;
    let text = lines[i] ?? '';
    while (/\\\s*$/.test(text) && i + 1 < lines.length) {
      i += 1;
      text = `${text.replace(/\\\s*$/, '')} ${(lines[i] ?? '').trim()}`;
    }
    const command = stripShellTail(text.trim().replace(/^\$\s+/, ''));
    if (PMSBRIDGE_COMMAND.test(command)) found.push({ source, line: firstLine + start, command });
  }
  return found;
}

/** The `pmsbridge…` commands inside a Markdown document's `sh`/`bash`/`shell`/`console` blocks. */
export function commandsInMarkdown(markdown: string, source: string): DocumentedCommand[] {
  const lines = markdown.split('\n');
  const found: DocumentedCommand[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    if (!SHELL_FENCE.test(lines[i] ?? '')) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !ANY_FENCE.test(lines[end] ?? '')) end += 1;
    found.push(...commandsInShellLines(lines.slice(start, end), source, start + 1));
    i = end;
  }
  return found;
}
