/**
 * What Powertools writes (EMF metrics and log lines, one JSON object per line) while a spec runs,
 * captured instead of printed; Powertools' own environment set as on Lambda, restored after.
 */
import { afterEach, beforeEach, jest } from '@jest/globals';

export function capturePowertoolsOutput() {
  const saved = { ...process.env };
  let written: string[] = [];
  beforeEach(() => {
    written = [];
    Object.assign(process.env, {
      POWERTOOLS_METRICS_NAMESPACE: 'AuthKit',
      POWERTOOLS_SERVICE_NAME: 'authkit',
    });
    delete process.env.POWERTOOLS_METRICS_DISABLED;
    delete process.env.POWERTOOLS_DEV;
    const capture = (chunk: unknown) => {
      written.push(String(chunk));
      return true;
    };
    jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  });
  afterEach(() => {
    jest.restoreAllMocks();
    process.env = { ...saved };
  });
  return {
    /** Everything written, as written. */
    written: () => written,
    /** Each JSON line written. */
    lines: () =>
      written
        .flatMap((chunk) => chunk.split('\n'))
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
