// ESM-only packages (client-node and its deps, kubernetes-models) must be transformed to run under jest.
const esmPackages = ['@kubernetes/client-node', 'openid-client', 'oauth4webapi', 'jose', 'kubernetes-models', '@kubernetes-models', 'socks-proxy-agent', 'agent-base'];
const common = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2023', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/**/*.test.ts'], testPathIgnorePatterns: ['/test/faults/', '/test/chart-run/', '/test/browser/'] },
    { ...common, displayName: 'faults', testMatch: ['<rootDir>/test/faults/**/*.test.ts'] },
    { ...common, displayName: 'chart-run', testMatch: ['<rootDir>/test/chart-run/**/*.test.ts'] },
    // Headless Chromium (Debian's /usr/bin/chromium, or CHROMIUM_PATH) against the real processes.
    { ...common, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.test.ts'] },
  ],
  testTimeout: 30000,
  // Every test file loads the modules afresh into the same worker, and the heap only grows (0.9 GB after
  // three chart files): a worker past 1 GB is replaced, so later files do not pay for GCs of a huge heap.
  workerIdleMemoryLimit: '1GB',
};
