/**
 * One training measurement in its own process, as a study member trains: `member.ts MODEL THREADS
 * BATCHES` prints the bench row as JSON on its last line. bench/parallel.ts starts several at once.
 */
import { NETWORK_MODEL_NAMES as MODEL_NAMES, type NetworkModelName as ModelName } from '../main/models';
import { trainingThroughput } from './train';

const [model, threads, batches] = process.argv.slice(2);
if (!MODEL_NAMES.includes(model as ModelName)) throw new Error(`unknown model '${model}'`);
trainingThroughput(model as ModelName, 'wasm', true, Number(batches), 2, undefined, Number(threads)).then(
  (row) => {
    console.log(JSON.stringify(row));
    process.exit(0);
  },
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
