import { readFileSync } from 'node:fs';

/** The user a throwaway server runs as: `undefined` ids mean the current user. */
export interface ServerUser {
  uid?: number;
  gid?: number;
}

/** The account the Debian `postgresql` package creates. */
const SERVER_ACCOUNT = 'postgres';

/** The uid and gid of `account` in /etc/passwd, or `undefined` when it has no entry. */
function lookUpAccount(account: string, passwd: string): ServerUser | undefined {
  for (const line of passwd.split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === account && uid !== undefined && gid !== undefined) {
      return { uid: Number(uid), gid: Number(gid) };
    }
  }
  return undefined;
}

/**
 * Who runs `initdb` and `postgres`: the current user, unless that is root, which PostgreSQL
 * refuses; then the `postgres` account (made by the Debian package).
 * @throws Error when running as root and there is no `postgres` account.
 */
export function serverUser(): ServerUser {
  if (process.getuid?.() !== 0) return {};
  const account = lookUpAccount(SERVER_ACCOUNT, readFileSync('/etc/passwd', 'utf8'));
  if (account === undefined) {
    throw new Error(
      `PostgreSQL refuses to run as root and there is no "${SERVER_ACCOUNT}" user to run it as: ` +
        `install the Debian package postgresql (it creates the user), or run the tests as a non-root user`,
    );
  }
  return account;
}
