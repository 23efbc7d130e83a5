/**
 * On AWS every function runs in its own sandbox, with its own copy of `_shared/` and the core:
 * its own logger, clients and config. In one Node process they would share one copy, so the
 * Powertools logger of the start function would stamp its lines with whichever step ran last.
 * This resolve hook gives each function's module graph its own URLs (a `?function=` query carried
 * from importer to import), so Node keeps one instance per function. Packages in node_modules stay
 * shared: they hold no per-function state.
 */
import { registerHooks } from 'node:module';

const PARAM = 'function';
let registered = false;

export function isolatedEntryUrl(entryUrl: string, functionId: string): string {
  if (!registered) {
    registerHooks({
      resolve(specifier, context, nextResolve) {
        const resolved = nextResolve(specifier, context);
        const owner = context.parentURL ? new URL(context.parentURL).searchParams.get(PARAM) : null;
        if (!owner || !resolved.url.startsWith('file:') || resolved.url.includes('/node_modules/'))
          return resolved;
        const url = new URL(resolved.url);
        url.searchParams.set(PARAM, owner);
        return { ...resolved, url: url.href };
      },
    });
    registered = true;
  }
  const url = new URL(entryUrl);
  url.searchParams.set(PARAM, functionId);
  return url.href;
}
