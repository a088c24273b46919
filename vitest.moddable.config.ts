import { defineConfig } from 'vitest/config';

/** The Moddable lane (npm run test:moddable): the firmware in mcsim; needs the Moddable SDK. */
export default defineConfig({
  test: {
    include: ['test/moddable-lane/**/*.lane.ts'],
    testTimeout: 5 * 60_000,
    hookTimeout: 30 * 60_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['verbose'],
  },
});
