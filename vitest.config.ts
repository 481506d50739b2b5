import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

// The device code imports "./platform" or "../platform"; in Node that is host/platform.ts,
// the Node.js side of the seam (it also gives Buffer the VM's getAt/setAt/blitAt/fillAt).
const nodePlatform = fileURLToPath(new URL("./host/platform.ts", import.meta.url))

export default defineConfig({
    resolve: {
        alias: [{ find: /^\.{1,2}\/platform$/, replacement: nodePlatform }],
    },
    test: {
        include: ["test/**/*.test.ts"],
        testTimeout: 300000,
        hookTimeout: 300000,
    },
})
