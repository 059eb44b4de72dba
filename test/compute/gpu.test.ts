/** GPU honesty: a GPU only counts when the CUDA and cuDNN libraries tfjs-node-gpu needs are there. */
import { describe, expect, it } from 'vitest';
import { librarySearchPath, missingCudaLibraries } from '../../main/compute/gpu';

describe('CUDA library check', () => {
  it('names each missing library with what it is', () => {
    const present = new Set(['/usr/local/cuda/lib64/libcudart.so.11.0']);
    const missing = missingCudaLibraries('linux', ['/usr/local/cuda/lib64'], '', (p) => present.has(p));
    expect(missing.map((m) => m.name)).toEqual(['libcublas.so.11', 'libcudnn.so.8']);
    expect(missing.find((m) => m.name === 'libcudnn.so.8')?.what).toBe('cuDNN 8.1');
  });

  it('accepts libraries known to ldconfig or found on LD_LIBRARY_PATH', () => {
    const cache = '\tlibcudart.so.11.0 (libc6,x86-64) => /opt/cuda/libcudart.so.11.0\n\tlibcublas.so.11 (libc6,x86-64) => /opt/x\n';
    const dirs = librarySearchPath('linux', { LD_LIBRARY_PATH: '/opt/cudnn/lib' });
    expect(dirs[0]).toBe('/opt/cudnn/lib');
    expect(missingCudaLibraries('linux', dirs, cache, (p) => p === '/opt/cudnn/lib/libcudnn.so.8')).toEqual([]);
  });

  it('checks the DLLs on Windows and nothing on macOS (no CUDA there)', () => {
    expect(missingCudaLibraries('win32', ['C:\\cuda\\bin'], '', () => false).map((m) => m.name)).toEqual([
      'cudart64_110.dll',
      'cublas64_11.dll',
      'cudnn64_8.dll',
    ]);
    expect(missingCudaLibraries('darwin', [], '', () => false)).toEqual([]);
  });
});
