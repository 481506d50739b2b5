#!/usr/bin/env node
/**
 * `node tools/dump-time.mjs`: runs tools/dump-time.ts in the DeviceScript
 * simulator (normal mode) and prints its figures: the time of a dump of a
 * 32 KiB fully fragmented pool, and of the demo (docs/serial-format.md,
 * "Pacing"). Each is a separate run: the two pools do not fit one VM heap.
 */
import { runSim } from "../sim/runner.mjs"

for (const entry of ["tools/dump-time.ts", "tools/demo-time.ts"]) {
    const run = await runSim(entry, { until: /^dump-time done$/, timeoutMs: 300000 })
    for (const line of run.lines) if (line.startsWith("dump-time ") && line !== "dump-time done") console.log(line)
}
