/**
 * Loaded with `node --import` into a process that stands in for a Lambda sandbox. Lambda's Node.js
 * runtimes (18 and later) search the folders of NODE_PATH when an ES module imports a package,
 * which upstream Node does not; that is how a function's bundle finds `@authkit/core` in the layer
 * at /opt/nodejs/node_modules. This hook does the same, after Node's own resolution fails.
 * Plain JavaScript, so that loading it costs no TypeScript stripping: the benchmark's cold-start
 * numbers would carry that cost otherwise.
 */
import { registerHooks } from 'node:module';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const folders = (process.env.NODE_PATH ?? '').split(delimiter).filter(Boolean);
const isBare = (specifier) => !/^(\.{0,2}\/|[a-z][a-z0-9+.-]*:)/i.test(specifier);

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !isBare(specifier)) throw error;
      for (const folder of folders) {
        try {
          // Resolving from a module inside the folder looks in the folder itself first.
          return nextResolve(specifier, { ...context, parentURL: pathToFileURL(join(folder, 'x.mjs')).href });
        } catch {
          // not in this folder: try the next
        }
      }
      throw error;
    }
  },
});
