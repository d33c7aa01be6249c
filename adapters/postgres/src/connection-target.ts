/**
 * The database a connection string points at, for messages: `user@host:port/database`,
 * without the password or any other parameter.
 */
export function describeTarget(connectionString: string): string {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    return 'the database of state.options.connectionString (not a valid URL)';
  }
  const host = url.hostname || url.searchParams.get('host') || 'localhost';
  const port = url.port || '5432';
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || '(default database)';
  const user = url.username === '' ? '' : `${decodeURIComponent(url.username)}@`;
  return `postgresql://${user}${host}:${port}/${database}`;
}
