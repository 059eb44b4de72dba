/**
 * `npm run bench -- <features|train|crnn|load|parallel|classical|listen|all> [--quick]`: prints tables and writes bench/results/<name>.json.
 */
import { runClassicalBenchmarks } from './classical';
import { runFeatureBenchmarks } from './features';
import { runListenBenchmarks } from './listen';
import { runLoadBenchmarks } from './load';
import { runParallelBenchmarks } from './parallel';
import { runCrnnBenchmarks, runTrainBenchmarks } from './train';
import { writeResults } from './report';

const SUITES: Record<string, (options: { quick: boolean }) => Promise<Record<string, string | number | boolean | null>[]>> = {
  features: runFeatureBenchmarks,
  train: runTrainBenchmarks,
  crnn: runCrnnBenchmarks,
  load: runLoadBenchmarks,
  parallel: runParallelBenchmarks,
  classical: runClassicalBenchmarks,
  listen: runListenBenchmarks,
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const names = args.filter((a) => !a.startsWith('--'));
  const selected = names.length === 0 || names.includes('all') ? Object.keys(SUITES) : names;
  for (const name of selected) {
    const suite = SUITES[name];
    if (!suite) throw new Error(`unknown benchmark '${name}' (known: ${Object.keys(SUITES).join(', ')}, all)`);
    console.log(`\n== ${name} ==`);
    const results = await suite({ quick });
    console.log(`results written to ${writeResults(name, results)}`);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench: ${(err as Error).message}`);
    process.exit(1);
  },
);
