import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"
import { INLINE_U16_FILES, inlineU16 } from "./host/inline-u16.mjs"

// The device code imports "./platform" or "../platform"; in Node that is host/platform.ts,
// the Node.js side of the seam (it also gives Buffer the VM's getAt/setAt/blitAt/fillAt).
const nodePlatform = fileURLToPath(new URL("./host/platform.ts", import.meta.url))

export default defineConfig({
    resolve: {
        alias: [{ find: /^\.{1,2}\/platform$/, replacement: nodePlatform }],
    },
    plugins: [
        {
            // poolgc's u16 getAt/setAt as byte operations in Node (host/inline-u16.mjs), as
            // bench/bench.mjs does: the tests run the code the benchmark measures
            name: "inline-u16",
            enforce: "pre",
            transform(code: string, id: string) {
                if (!INLINE_U16_FILES.test(id.split("?")[0])) return null
                return { code: inlineU16(code).code, map: null }
            },
        },
    ],
    test: {
        include: ["test/**/*.test.ts"],
        testTimeout: 300000,
        hookTimeout: 300000,
    },
})
