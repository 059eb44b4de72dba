/**
 * A training that dies on an error nothing caught (the wasm backend's threads abort with
 * "RuntimeError: memory access out of bounds", thrown outside any await) would leave its run
 * `running`, and later `interrupted` with no reason. While a job runs in this process, such an
 * error marks the run failed with the reason, prints it as any error is printed, and exits 1.
 */
import { failAbandonedRun } from '../runs/store';

/** Watches for a crash while a job runs; `runDir()` says which run to mark (null before it exists). Returns the undo. */
export function failRunOnCrash(command: string, runDir: () => string | null): () => void {
  const onCrash = (error: unknown) => {
    const message = error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error);
    const reason = `the training stopped: ${message.split('\n')[0]}`;
    const dir = runDir();
    void (dir ? failAbandonedRun(dir, reason) : Promise.resolve())
      .catch(() => undefined)
      .then(() => {
        process.stderr.write(`ser ${command}: error: ${reason}\n`);
        process.exit(1);
      });
  };
  process.on('uncaughtException', onCrash);
  return () => process.off('uncaughtException', onCrash);
}
