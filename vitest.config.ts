import { defineConfig } from 'vitest/config';
import { watPlugin } from './scripts/wat.mjs';

export default defineConfig({
  plugins: [watPlugin()],
  test: {
    include: ['test/**/*.test.ts', 'e2e/**/*.e2e.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
