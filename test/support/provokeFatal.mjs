// Test-only preload (`node --import`), never loaded by the server itself: on SIGUSR2 it throws from a signal listener
// (an uncaught exception) or, with PROVOKE=reject, rejects a promise nobody handles, to exercise main's last resort.
process.on('SIGUSR2', () => {
  if (process.env.PROVOKE === 'reject') void Promise.reject(new Error('provoked rejection'));
  else throw new Error('provoked by test');
});
