/** The error `act` throws; a spec that expected a refusal fails when nothing is thrown. */
export function thrownBy(act: () => unknown): Error {
  try {
    act();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a refusal, but nothing was thrown');
}
