# The esbuild settings both Makefiles share (functions/Makefile, layers/core/Makefile).
#
# `sam build` runs `make --makefile <the original Makefile> build-<LogicalId>` with ARTIFACTS_DIR set
# and the working directory in a scratch copy of the resource's CodeUri, which has no node_modules.
# So every recipe bundles from the repository itself, where `npm ci` installed the packages.
# `npm run build` runs the same targets the same way (scripts/build-functions.ts).
ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
ESBUILD := $(ROOT)/node_modules/.bin/esbuild

ifeq ($(wildcard $(ESBUILD)),)
$(error $(ESBUILD) is missing: run `npm ci` in $(ROOT) before building)
endif
ifeq ($(ARTIFACTS_DIR),)
$(error ARTIFACTS_DIR must name the directory to build into, as sam build and npm run build set it)
endif

# ES modules for Node 24, minified. Source maps carry names and lines but not the sources, so
# --enable-source-maps can print readable stack traces without shipping the code twice. CommonJS
# dependencies (the X-Ray SDK under the Powertools tracer) call require(), which an ES module has
# only when the banner creates it.
ESBUILD_FLAGS := --bundle --platform=node --format=esm --target=es2024 --minify \
	--sourcemap --sources-content=false --log-level=warning \
	"--banner:js=import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);"
