// Starts a pmsbridge command from its built entry point. Bins point at small committed
// files like this one, not into dist/, because npm links a workspace's bins only when
// their targets exist at install time, before anything is built.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The oldest Node.js the commands run on: the state store uses the built-in node:sqlite. */
export const MINIMUM_NODE = '22.16.0';

/**
 * Whether a Node.js version (as in `process.versions.node`) is at least {@link MINIMUM_NODE}.
 * @param {string} version
 * @returns {boolean}
 */
export function isSupportedNode(version) {
  const [major, minor] = version.split('.').map(Number);
  const [minMajor, minMinor] = MINIMUM_NODE.split('.').map(Number);
  return major > minMajor || (major === minMajor && minor >= minMinor);
}

/** The message an unsupported runtime gets instead of a stack trace. */
export function unsupportedNodeMessage(command, version) {
  return [
    `${command} needs Node.js ${MINIMUM_NODE} or later; this is Node.js ${version}.`,
    'In a clone of pmsbridge, run `npm ci`: it installs Node.js 24 into node_modules/.bin,',
    'which npm scripts and npx use. Elsewhere install Node.js 24 (https://nodejs.org, or nvm).',
  ].join('\n');
}

/**
 * Checks the runtime, then imports the command's built entry point.
 * @param {string} command the command's name, for messages
 * @param {URL} entry the built module that runs the command
 */
export async function launch(command, entry) {
  requireSupportedNode(command);
  if (!existsSync(fileURLToPath(entry))) {
    console.error(`${command} is not built yet: run \`npm run build\` in the pmsbridge folder.`);
    process.exit(1);
  }
  await import(entry.href);
}

/**
 * Stops the process with {@link unsupportedNodeMessage} when the runtime is too old.
 * @param {string} command the command's name, for the message
 */
export function requireSupportedNode(command) {
  if (!isSupportedNode(process.versions.node)) {
    console.error(unsupportedNodeMessage(command, process.versions.node));
    process.exit(1);
  }
}
