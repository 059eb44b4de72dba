// `npm run test:unit`: the fast loop. The unit and integration suites without a build, a browser,
// Slurm or the CLI end to end (those run in `npm test`, which uses vitest.config.ts).
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config';

export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: ['e2e/**', 'test/cli/**', 'test/packaging/**', 'test/webgpu/**', '**/node_modules/**'],
    },
  }),
);
