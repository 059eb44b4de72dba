/**
 * How a local study should share the cores: P member processes at once, each with cores / P
 * threads, for P = 1 … cores. Each member is bench/member.ts training the same batches; the figure
 * is the total samples/s of the members running together (what a study's wall time follows).
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { NetworkModelName as ModelName } from '../main/models';
import { printTable, type BenchResult } from './report';

function member(model: ModelName, threads: number, batches: number): Promise<BenchResult> {
  const script = fileURLToPath(new URL('./member.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, script, model, String(threads), String(batches)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) reject(new Error(`bench member exited with code ${code}`));
      else resolve(JSON.parse(last) as BenchResult);
    });
  });
}

export async function runParallelBenchmarks(options: { quick: boolean }): Promise<BenchResult[]> {
  const cores = availableParallelism();
  const batches = options.quick ? 5 : 10;
  const rows: BenchResult[] = [];
  for (const model of ['seed-cnn', 'crnn'] as ModelName[]) {
    for (let parallel = 1; parallel <= cores; parallel *= 2) {
      const threads = Math.max(1, Math.floor(cores / parallel));
      const members = await Promise.all(Array.from({ length: parallel }, () => member(model, threads, batches)));
      const total = members.reduce((sum, m) => sum + Number(m.samplesPerSecond), 0);
      rows.push({
        benchmark: 'parallel',
        model,
        parallel,
        threadsPerMember: threads,
        blas: members[0]!.blas ?? null,
        memberSamplesPerSecond: members.map((m) => m.samplesPerSecond).join(' / '),
        totalSamplesPerSecond: Number(total.toFixed(1)),
        peakRssMiBPerMember: Math.max(...members.map((m) => Number(m.peakRssMiB))),
      });
    }
  }
  console.log(`study members on ${cores} cores: P processes at once, cores / P threads each (training samples/s, batch 64)`);
  printTable(rows, [
    'model',
    'parallel',
    'threadsPerMember',
    'blas',
    'memberSamplesPerSecond',
    'totalSamplesPerSecond',
    'peakRssMiBPerMember',
  ]);
  return rows;
}
