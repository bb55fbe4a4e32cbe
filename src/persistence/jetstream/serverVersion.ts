/**
 * A warning for a nats-server release that cannot keep the log's promise in production, or null. The README asks for
 * 2.11 or later with `jetstream { sync_interval: always }` (older releases fsync lazily by default and 2.9 has no such
 * setting, so an acked commit can be lost on power loss); 2.10.20–2.10.22 are also named, having lost data on a process
 * crash. The setting itself is server configuration a client cannot see, so the warning names it either way.
 *
 * Hint: a warning, not a refusal: tests and development run Debian's 2.9, and the durability asked of a deployment is
 * its operator's call; the point is that the choice is never made unawares.
 */
export function serverVersionWarning(version: string | undefined): string | null {
  const parts = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version ?? '');
  if (parts === null) return null;
  const [major, minor, patch] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const old = major < 2 || (major === 2 && minor < 11);
  if (!old) return null;
  const lost =
    major === 2 && minor === 10 && patch >= 20 && patch <= 22
      ? '; 2.10.20-2.10.22 also lost data on a process crash'
      : '';
  return (
    `nats-server ${version} is older than 2.11: acked commits can be lost on power loss (lazy fsync${lost}); ` +
    'run 2.11 or later with jetstream { sync_interval: always } in production'
  );
}
