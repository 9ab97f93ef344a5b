import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Node 20 is the project's choice; the SDK's notice about its 2027 releases is in the README.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests start emulators on free ports; two cores, so keep parallelism modest.
    maxWorkers: 2,
    // In CI also write JSON results, from which .ci/run prints a plain "N passed, N failed" line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'out/vitest-results.json' }]] : ['default'],
  },
});
