import { createRequire } from 'node:module';
import type * as UwsTypes from 'uWebSockets.js';

/** Thrown when uWebSockets.js loaded its slow pure-JS fallback instead of the native binary. */
export class NativeUwsUnavailableError extends Error {
  override readonly name = 'NativeUwsUnavailableError';
}

const require = createRequire(import.meta.url);

/** Load uWebSockets.js and refuse the pure-JS shim it silently falls back to on unsupported Node versions. */
export function loadNativeUws(): typeof UwsTypes {
  // Hint: the package warns on stderr and falls back when the binary does not match this Node's ABI.
  const uws = require('uWebSockets.js') as typeof UwsTypes & { getParts?: unknown };
  if (typeof uws.getParts !== 'function' || typeof uws.SSLApp !== 'function') {
    throw new NativeUwsUnavailableError(
      `uWebSockets.js native binary did not load on Node ${process.version} (${process.platform}/${process.arch}, ABI ${process.versions.modules}); ` +
        'refusing to run on the slow pure-JS fallback. Use Node.js 20 on linux x64.',
    );
  }
  return uws;
}
