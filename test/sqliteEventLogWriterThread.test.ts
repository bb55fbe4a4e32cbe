import { SqliteEventLog } from '../src/persistence/sqliteEventLog.js';
import { runLogContract } from './logContract.case.js';

// The log contract on the writer-thread write path; a file of its own so it runs beside the other configurations.
runLogContract(
  'SqliteEventLog (writer thread)',
  (path, deps) => new SqliteEventLog({ path, ...deps, writer: 'thread' }),
);
