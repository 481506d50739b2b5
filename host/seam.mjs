/**
 * The Node.js seam, in one place: what every Node build of the device code
 * (src/, demo/) does to it, and the adapters that apply it.
 *
 * Three things, and nothing else:
 * 1. The platform redirect. An import that names `src/platform.ts` (the device
 *    side of the seam: `./platform` from src/, `../platform` from src/poolgc/,
 *    `../src/platform` from demo/) gets `host/platform.ts`, its Node twin.
 * 2. The u16 rewrite. poolgc's own modules (src/poolgc/*.ts) have their u16
 *    `getAt`/`setAt` with a pure offset rewritten into byte operations
 *    (host/inline-u16.mjs: V8 does not inline the shim into functions as large
 *    as the allocator's).
 * 3. The Buffer methods. The VM's Buffer has getAt/setAt/fillAt/blitAt; Node's
 *    gets host/platform.ts's shim by an explicit call,
 *    `installBufferMethods()`, which the setup module `host/setup.ts` makes
 *    before any device code runs. Importing host/platform.ts changes nothing.
 *
 * The adapters: `vitestPlugin()` (vitest.config.ts: resolveId + transform, and
 * the setup module as a vitest setup file) and `esbuildPlugin()` (bench/bench.mjs:
 * onResolve + onLoad, and the setup module injected into the bundle, evaluated
 * before the entry). Both call `resolveSeam` and `transformSeam` below, so a
 * source file comes out the same through either (test/device/seam-build.test.ts).
 */
import { readFileSync } from "node:fs"
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { inlineU16 } from "./inline-u16.mjs"

/** The project's root directory. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..")
/** The device side of the seam. */
export const DEVICE_PLATFORM = resolve(ROOT, "src/platform.ts")
/** Its Node twin. */
export const NODE_PLATFORM = resolve(ROOT, "host/platform.ts")
/** The module that installs the Buffer methods (`installBufferMethods()`), run first by both adapters. */
export const SETUP = resolve(ROOT, "host/setup.ts")
/** The device sources the u16 rewrite applies to: poolgc's own modules. */
export const INLINE_U16_FILES = /[\\/]src[\\/]poolgc[\\/][^\\/]+\.ts$/
/** A relative import whose last segment is `platform`: the only shape that can name src/platform.ts. */
const PLATFORM_SPEC = /^\.{1,2}\/(?:.*\/)?platform(?:\.ts)?$/

/**
 * Where `spec`, imported by the file `importer` (an absolute path), goes in
 * Node: host/platform.ts if it names src/platform.ts, else null (resolved as
 * usual).
 */
export function resolveSeam(spec, importer) {
    if (!importer || !PLATFORM_SPEC.test(spec)) return null
    let target = resolve(dirname(importer.split("?")[0]), spec)
    if (!target.endsWith(".ts")) target += ".ts"
    return target === DEVICE_PLATFORM ? NODE_PLATFORM : null
}

/**
 * The source Node runs for the file at `path` (an absolute path) whose text is
 * `code`: poolgc's modules with their u16 fields rewritten, or null for any
 * other file (used as it is).
 */
export function transformSeam(path, code) {
    if (!INLINE_U16_FILES.test(path.split("?")[0])) return null
    return inlineU16(code).code
}

/** The seam as a vite/vitest plugin. */
export function vitestPlugin() {
    return {
        name: "poolgc-seam",
        enforce: "pre",
        config() {
            return { test: { setupFiles: [SETUP] } }
        },
        resolveId(spec, importer) {
            return resolveSeam(spec, importer)
        },
        transform(code, id) {
            const out = transformSeam(id, code)
            return out === null ? null : { code: out, map: null }
        },
    }
}

/** The seam as an esbuild plugin (for a bundle: `bundle: true`). */
export function esbuildPlugin() {
    return {
        name: "poolgc-seam",
        setup(build) {
            const opts = build.initialOptions
            opts.inject = [SETUP, ...(opts.inject ?? [])]
            build.onResolve({ filter: PLATFORM_SPEC }, args => {
                const path = resolveSeam(args.path, args.importer)
                return path === null ? undefined : { path }
            })
            build.onLoad({ filter: INLINE_U16_FILES }, args => ({ contents: transformSeam(args.path, readFileSync(args.path, "utf8")), loader: "ts" }))
        },
    }
}
