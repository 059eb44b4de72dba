import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, externalizeDepsPlugin } from 'electron-vite';
import vue from '@vitejs/plugin-vue';
import { watPlugin } from './scripts/wat.mjs';

// Three bundles: the Node engine (Electron shell, CLI, serve mode and the workers share it),
// the sandboxed preload, and the Vue renderer.
const root = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  main: {
    // watPlugin: `*.wat?bytes` imports become the assembled module's bytes (scripts/wat.mjs).
    plugins: [externalizeDepsPlugin(), watPlugin()],
    build: {
      outDir: 'out/main',
      rollupOptions: {
        output: { chunkFileNames: 'chunks/[name]-[hash].js' },
        input: {
          index: resolve(root, 'main/index.ts'),
          cli: resolve(root, 'main/cli/index.ts'),
          serve: resolve(root, 'main/serve/index.ts'),
          'feature-worker': resolve(root, 'main/features/worker.ts'),
          'training-worker': resolve(root, 'main/pipeline/training-worker.ts'),
          'study-member': resolve(root, 'main/pipeline/study/member-entry.ts'),
        },
      },
    },
  },
  preload: {
    plugins: [externalizeDepsPlugin()],
    build: {
      outDir: 'out/preload',
      // A sandboxed preload must be CommonJS.
      rollupOptions: {
        input: { index: resolve(root, 'preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    plugins: [vue()],
    build: {
      outDir: 'out/renderer',
      rollupOptions: { input: { index: resolve(root, 'renderer/index.html') } },
    },
  },
});
