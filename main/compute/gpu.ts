/**
 * Whether tfjs-node-gpu can really use a GPU. It needs an NVIDIA driver (nvidia-smi sees a GPU)
 * AND the CUDA 11.2 runtime and cuDNN 8 libraries it was built against; without the libraries
 * TensorFlow loads anyway and silently computes on the CPU (a known upstream problem), so the
 * engine checks for them itself and says what is missing.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface GpuProbe {
  found: boolean;
  detail: string;
}

/** The shared libraries tfjs-node-gpu 4.22 (TensorFlow 2.9) opens, per platform. */
export const CUDA_LIBRARIES: Record<string, { name: string; what: string }[]> = {
  linux: [
    { name: 'libcudart.so.11.0', what: 'CUDA 11.2 runtime' },
    { name: 'libcublas.so.11', what: 'cuBLAS 11' },
    { name: 'libcudnn.so.8', what: 'cuDNN 8.1' },
  ],
  win32: [
    { name: 'cudart64_110.dll', what: 'CUDA 11.2 runtime' },
    { name: 'cublas64_11.dll', what: 'cuBLAS 11' },
    { name: 'cudnn64_8.dll', what: 'cuDNN 8.1' },
  ],
};

/** Folders the dynamic loader searches for the CUDA libraries (the common install places included). */
export function librarySearchPath(platform: string, env: NodeJS.ProcessEnv): string[] {
  if (platform === 'win32') return (env.PATH ?? env.Path ?? '').split(delimiter).filter(Boolean);
  const fromEnv = (env.LD_LIBRARY_PATH ?? '').split(delimiter).filter(Boolean);
  return [...fromEnv, '/usr/local/cuda/lib64', '/usr/local/cuda-11.2/lib64', '/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib'];
}

/** The required libraries not found in `dirs` (ldconfig's cache, when given, also counts). */
export function missingCudaLibraries(
  platform: string,
  dirs: string[],
  ldconfigCache = '',
  exists: (path: string) => boolean = existsSync,
): { name: string; what: string }[] {
  const required = CUDA_LIBRARIES[platform];
  if (!required) return [];
  return required.filter((lib) => !ldconfigCache.includes(lib.name) && !dirs.some((dir) => exists(join(dir, lib.name))));
}

function run(command: string, args: string[]): Promise<{ ok: boolean; stdout: string; missing: boolean; message: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 5000 }, (error, stdout) => {
      resolve({
        ok: !error,
        stdout: stdout ?? '',
        missing: (error as NodeJS.ErrnoException | null)?.code === 'ENOENT',
        message: error?.message ?? '',
      });
    });
  });
}

export async function probeGpu(platform = process.platform, env = process.env): Promise<GpuProbe> {
  const smi = await run('nvidia-smi', ['-L']);
  if (!smi.ok)
    return { found: false, detail: smi.missing ? 'nvidia-smi not found (no NVIDIA driver)' : `nvidia-smi failed: ${smi.message}` };
  const gpus = smi.stdout.split('\n').filter((line) => line.startsWith('GPU '));
  if (gpus.length === 0) return { found: false, detail: 'nvidia-smi lists no GPU' };
  const ldconfig = platform === 'linux' ? await run('ldconfig', ['-p']) : null;
  const missing = missingCudaLibraries(platform, librarySearchPath(platform, env), ldconfig?.stdout ?? '');
  if (missing.length > 0) {
    return {
      found: false,
      detail: `${gpus.join('; ')}, but TensorFlow cannot use it: missing ${missing.map((m) => `${m.name} (${m.what})`).join(', ')}`,
    };
  }
  return { found: true, detail: gpus.join('; ') };
}
