import { defineConfig } from "vitest/config"
import { vitestPlugin } from "./host/seam.mjs"

export default defineConfig({
    // the Node seam (host/seam.mjs): src/platform.ts -> host/platform.ts, poolgc's u16
    // fields as byte operations, the VM's Buffer methods installed first; the bench
    // builds with the same module, so the tests run the code the benchmark measures
    plugins: [vitestPlugin()],
    test: {
        include: ["test/**/*.test.ts"],
        testTimeout: 300000,
        hookTimeout: 300000,
    },
})
