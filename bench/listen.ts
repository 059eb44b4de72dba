/**
 * Listen benchmark: the latency from the end of a window to its class probabilities (resampling,
 * features, live speaker statistics, model), for the default model (crnn on the default features,
 * per-speaker normalisation with live statistics, the default 2.30 s window and 1 s hop) on the
 * wasm backend with 2 threads: the target is at most 50 ms. Demo speech is streamed through a
 * ListenSession in 0.25 s chunks, as the app sends it, at the microphone rates that need
 * resampling (48 and 44.1 kHz), at 16 kHz, and at the model's own 22.05 kHz. Median, 95th
 * percentile and worst window after the first (which warms the resampler's tables for its rate).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadAudio } from '../main/audio';
import { initBackend } from '../main/compute/backend';
import { EmotionPredictor } from '../main/pipeline/inference';
import { ListenSession, resolveListenSettings } from '../main/pipeline/listen';
import { measurePeakRss, printTable, type BenchResult } from './report';
import { benchCheckpoint } from './train';

const TARGET_MS = 50;
const THREADS = 2;
const CHUNK_S = 0.25;

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** The demo clips one after another at `rate`, `seconds` long at most. */
async function demoSpeech(rate: number, seconds: number): Promise<Float32Array> {
  const dir = resolve('resources/demo-emodb');
  const out = new Float32Array(Math.round(seconds * rate));
  let at = 0;
  for (const name of readdirSync(dir)
    .filter((f) => f.endsWith('.wav'))
    .sort()) {
    if (at >= out.length) break;
    const samples = (await loadAudio(join(dir, name), { targetSampleRate: rate })).samples;
    out.set(samples.subarray(0, out.length - at), at);
    at += samples.length;
  }
  return out;
}

export async function runListenBenchmarks(options: { quick: boolean }): Promise<BenchResult[]> {
  const info = await initBackend('wasm', { blas: true, threads: THREADS });
  const seconds = options.quick ? 20 : 60;
  const dir = mkdtempSync(join(tmpdir(), 'ser-bench-listen-'));
  const results: BenchResult[] = [];
  try {
    const predictor = await EmotionPredictor.load(await benchCheckpoint(dir, 'crnn', info.name, 'speaker'));
    try {
      const settings = resolveListenSettings({}, { featureConfig: predictor.featureConfig, normalization: 'speaker' });
      for (const rate of [48000, 44100, 16000, 22050]) {
        const stream = await demoSpeech(rate, seconds);
        const chunk = Math.round(CHUNK_S * rate);
        const { value: latencies, peakRssMiB } = await measurePeakRss(async () => {
          const session = new ListenSession(predictor, settings, rate);
          const measured: number[] = [];
          for (let at = 0; at < stream.length; at += chunk) {
            for (const window of await session.push(stream.subarray(at, at + chunk))) {
              if (window.latencyMs !== undefined) measured.push(window.latencyMs);
            }
          }
          return measured.slice(1);
        });
        const p95 = quantile(latencies, 0.95);
        results.push({
          benchmark: 'listen',
          model: 'crnn',
          backend: info.name,
          threads: info.threads ?? null,
          blas: info.blas?.active ? info.blas.description : 'none',
          inputHz: rate,
          window: `${settings.windowS.toFixed(2)} s / hop ${settings.hopS} s`,
          normalization: settings.normalization,
          windows: latencies.length,
          medianMs: Number(quantile(latencies, 0.5).toFixed(1)),
          p95Ms: Number(p95.toFixed(1)),
          maxMs: Number(Math.max(...latencies).toFixed(1)),
          targetMs: TARGET_MS,
          meetsTarget: p95 <= TARGET_MS,
          peakRssMiB,
        });
      }
    } finally {
      predictor.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`latency from the end of a window to its probabilities (target: 95th percentile ≤ ${TARGET_MS} ms on ${THREADS} threads)`);
  printTable(results, [
    'model',
    'backend',
    'threads',
    'inputHz',
    'window',
    'normalization',
    'windows',
    'medianMs',
    'p95Ms',
    'maxMs',
    'meetsTarget',
    'peakRssMiB',
  ]);
  return results;
}
