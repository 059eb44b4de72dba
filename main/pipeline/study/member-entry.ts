/**
 * Process entry of one study member (bundled as out/main/study-member.js): the local executor and
 * the Slurm script start it as `node study-member.js DIR INDEX [--threads N]` (memberProcess.ts
 * describes the contract), so they do not depend on the CLI's commands and flags.
 */
import { parseMemberEntryArgs, runMemberProcess } from './memberProcess';

/** Exits once stdout has taken everything written (a pipe to the executor may lag). */
const exitAfterFlush = (code: number) => process.stdout.write('', () => process.exit(code));

Promise.resolve()
  .then(() => parseMemberEntryArgs(process.argv.slice(2)))
  .then(({ dir, index, threads }) => runMemberProcess(dir, index, { threads }))
  .then(
    () => exitAfterFlush(0),
    (err: unknown) => {
      process.stderr.write(`study member: error: ${err instanceof Error ? err.message : String(err)}\n`);
      exitAfterFlush(1);
    },
  );
