/** `npm run test:unit`: tests/unit alone, without the global setup, so no emulator starts. A unit
 *  test that reaches for one fails, naming the variable the setup would have set (tests/support/stack.ts). */
import base from './jest.config.js';

const { globalSetup, globalTeardown, ...withoutEmulators } = base;

export default { ...withoutEmulators, testMatch: ['<rootDir>/tests/unit/**/*.test.ts'] };
