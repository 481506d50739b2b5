#!/usr/bin/env node
/**
 * `npm start`: runs the demo (demo/main.ts, or the file given) in the
 * DeviceScript simulator in normal mode and prints its output. The demo ends
 * by printing "poolgc demo done"; then the simulator is stopped and this
 * exits 0. A panic, an early exit or a timeout exits 1.
 */
import { runSim } from "./runner.mjs"

const entry = process.argv[2] || "demo/main.ts"
try {
    await runSim(entry, { until: /^poolgc demo done$/, timeoutMs: 120000, onLine: line => console.log(line) })
    process.exit(0)
} catch (e) {
    console.error(`poolgc: the simulator run failed (${e.reason || "error"}): ${e.message}`)
    process.exit(1)
}
