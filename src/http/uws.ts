import type * as UwsTypes from 'uWebSockets.js';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// Hint: the native binding also takes these; the bundled types lack them.
declare module 'uWebSockets.js' {
  interface TemplatedApp {
    listen(
      host: RecognizedString,
      port: number,
      options: ListenOptions,
      cb: (listenSocket: us_listen_socket | false) => void | Promise<void>,
    ): TemplatedApp;
  }
  const LIBUS_LISTEN_EXCLUSIVE_PORT: ListenOptions;
  /** The native function takes a listen socket too (the types only list us_socket). */
  function us_socket_local_port(socket: us_listen_socket): number;
}

/** Thrown when uWebSockets.js loaded its slow pure-JS fallback instead of the native binary. */
export class NativeUwsUnavailableError extends Error {
  override readonly name = 'NativeUwsUnavailableError';
}

const require = createRequire(import.meta.url);

/** What the running Node is, as far as the uWS binaries care. */
export interface NodeBuild {
  readonly version: string;
  readonly platform: string;
  readonly arch: string;
  /** process.versions.modules, the ABI the binary file name carries. */
  readonly abi: string;
  /** The C library's version on Linux glibc, null elsewhere (musl, macOS, Windows). */
  readonly glibc: string | null;
}

/** This process's Node build (process.report is slow-ish, so only asked for when explaining a failure). */
export function currentNodeBuild(): NodeBuild {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return {
    version: process.version,
    platform: process.platform,
    arch: process.arch,
    abi: process.versions.modules,
    glibc: header?.glibcVersionRuntime ?? null,
  };
}

/**
 * Why the native binary did not load, and what would help: another Node when the package has no binary for this one,
 * otherwise a reinstall or a C library it can link against (the binaries need glibc; Alpine's musl cannot load them).
 */
export function nativeUwsProblem(build: NodeBuild, binaries: readonly string[], loadError: string | null): string {
  const wanted = `uws_${build.platform}_${build.arch}_${build.abi}.node`;
  const where = `Node ${build.version} on ${build.platform}/${build.arch} (ABI ${build.abi}${build.glibc === null ? '' : `, glibc ${build.glibc}`})`;
  if (!binaries.includes(wanted)) {
    const builds = binaries.filter((name) => name.startsWith(`uws_${build.platform}_${build.arch}_`));
    const help =
      builds.length === 0
        ? `the package has no binary for ${build.platform}/${build.arch} at all`
        : 'use Node.js 20 (this project pins it in package.json engines)';
    return `uWebSockets.js has no native binary for ${where} (looked for ${wanted}); ${help}`;
  }
  const libc =
    build.platform === 'linux' && build.glibc === null
      ? ' This looks like a musl system (Alpine): use a glibc-based image such as node:20-bookworm-slim.'
      : '';
  return (
    `uWebSockets.js native binary ${wanted} is present but failed to load on ${where}: ${loadError ?? 'the package fell back to its pure-JS shim'}. ` +
    `Reinstall dependencies (rm -rf node_modules && npm ci); the binary needs a recent glibc.${libc}`
  );
}

function binariesDirectory(): string | null {
  try {
    return join(dirname(require.resolve('uWebSockets.js')), '..', 'binaries');
  } catch {
    return null;
  }
}

/** Load uWebSockets.js and refuse the pure-JS shim it silently falls back to when its binary does not load. */
export function loadNativeUws(): typeof UwsTypes {
  const fallback = process.env.UWS_USE_FALLBACK;
  // Hint: exactly the values the package itself checks.
  if (fallback !== undefined && ['true', 'True', 'TRUE', '1'].includes(fallback)) {
    throw new NativeUwsUnavailableError(
      `UWS_USE_FALLBACK=${fallback} makes uWebSockets.js use its slow pure-JS fallback, which this server refuses; unset it`,
    );
  }
  const directory = binariesDirectory();
  const binaries = directory !== null && existsSync(directory) ? readdirSync(directory) : [];
  const binary =
    directory === null
      ? null
      : join(directory, `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`);
  let loadError: string | null = null;
  if (binary !== null && existsSync(binary)) {
    try {
      // Hint: load it ourselves first, so the reason is ours to report instead of the package's multi-line warning.
      require(binary);
    } catch (error) {
      loadError = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    }
  }
  if (directory === null) throw new NativeUwsUnavailableError('uWebSockets.js is not installed; run npm ci');
  if (loadError !== null)
    throw new NativeUwsUnavailableError(nativeUwsProblem(currentNodeBuild(), binaries, loadError));
  const uws = require('uWebSockets.js') as typeof UwsTypes & { getParts?: unknown };
  if (typeof uws.getParts !== 'function' || typeof uws.SSLApp !== 'function')
    throw new NativeUwsUnavailableError(nativeUwsProblem(currentNodeBuild(), binaries, null));
  return uws;
}
