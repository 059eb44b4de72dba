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
    // The browser suites poll the UI; on a loaded 2-core machine a first view can take seconds.
    expect: { poll: { timeout: 15_000 } },
  },
});
