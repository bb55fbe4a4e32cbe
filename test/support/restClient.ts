// Re-exports the REST test helpers, which live in httpCall.ts.
export * from './httpCall.js';
