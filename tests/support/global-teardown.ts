export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __authkitStop?: () => Promise<void> }).__authkitStop?.();
}
