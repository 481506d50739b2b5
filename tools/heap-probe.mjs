#!/usr/bin/env node
/**
 * Measures how much of the DeviceScript VM heap the firmware leaves free: the
 * largest `Buffer.alloc` that still succeeds after the demo's setup (the pool,
 * the story and ROUNDS rounds of the game), found by binary search. A VM
 * out-of-memory is an uncatchable panic (60004), so every probe is its own
 * simulator run (runSim, normal mode: no GC stress).
 *
 * The simulator's heap is the runtime's default, JD_GC_KB = 64 KB, fixed when
 * the WASM was compiled. A smaller chip (the ESP32-S2's 40 KB) is imitated by
 * allocating a ballast of the difference first.
 *
 *   node tools/heap-probe.mjs                         every board's (heap, pool), and the simulator's
 *   node tools/heap-probe.mjs --heap 40 --pool 16384 [--led]  one configuration (--led: with the LED heartbeat)
 *
 * Prints, per configuration, the largest allocation that works (±STEP bytes)
 * and what the firmware itself uses: heap - ballast - pool - largest free.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { runSim } from "../sim/runner.mjs"
import { loadBoards, SIM } from "./boards.mjs"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const dir = join(root, "test-artifacts", "heap")
mkdirSync(dir, { recursive: true })

/** The simulator's VM heap (JD_GC_KB in the WASM build). */
export const SIM_HEAP = 64 * 1024
/** The VM's largest single allocation (0xE000 less the object header, measured 57,332). */
const MAX_ALLOC = 57332
const STEP = 64
const ROUNDS = 16

/** The probe program: the setup, then one allocation of `k` bytes. */
export function probeSource(heapKB, pool, k, led, rounds = ROUNDS) {
    const src = relative(dir, join(root, "src")).replace(/\\/g, "/")
    const demo = relative(dir, join(root, "demo")).replace(/\\/g, "/")
    const ballast = SIM_HEAP - heapKB * 1024
    return `import * as ds from "@devicescript/core"
import { Pool } from "${src}/index"
import { runDemo } from "${demo}/demo"
const ballast = Buffer.alloc(${Math.max(ballast, 1)})
const pool = new Pool({ size: ${pool} })
await runDemo(pool, { rounds: ${rounds}, pause: 0, ledBeat: ${led ? 0x002000 : 0}, ledFail: ${led ? 0xff0000 : 0} })
await ds.sleep(0)
console.log("heap probe ready")
const b = Buffer.alloc(${k})
console.log("heap probe ok " + (b.length + ballast.length + pool.size))
`
}

async function fits(heapKB, pool, k, led) {
    const file = join(dir, `heap-${heapKB}-${pool}.ts`)
    writeFileSync(file, probeSource(heapKB, pool, k, led))
    try {
        await runSim(file, { until: /^heap probe ok/, timeoutMs: 120000 })
        return true
    } catch (e) {
        if (e.reason === "panic" && e.panicCode === 60004 && e.lines.includes("heap probe ready")) return false
        throw e
    }
}

/** The largest allocation that succeeds after the setup, to within STEP bytes. */
export async function largestFree(heapKB, pool, led) {
    let lo = 0
    let hi = MAX_ALLOC + 1
    if (!(await fits(heapKB, pool, 0, led))) return -1
    if (await fits(heapKB, pool, MAX_ALLOC, led)) return MAX_ALLOC
    while (hi - lo > STEP) {
        const mid = (lo + hi) >> 1
        if (await fits(heapKB, pool, mid, led)) lo = mid
        else hi = mid
    }
    return lo
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
    const args = process.argv.slice(2)
    const arg = name => {
        const i = args.indexOf(name)
        return i < 0 ? undefined : Number(args[i + 1])
    }
    /** @type {[number, number, boolean][]} */
    let configs
    if (arg("--heap") !== undefined) configs = [[arg("--heap"), arg("--pool") ?? 16384, args.includes("--led")]]
    else {
        const seen = new Set()
        configs = []
        for (const c of [...loadBoards().map(b => [b.poolgc.vmHeapKB, b.poolgc.pool, !!b.poolgc.led]), [SIM.vmHeapKB, SIM.pool, false]]) {
            if (!seen.has(c.join())) configs.push(c)
            seen.add(c.join())
        }
    }
    for (const [heapKB, pool, led] of configs) {
        const t0 = Date.now()
        const free = await largestFree(heapKB, pool, led)
        const ballast = SIM_HEAP - heapKB * 1024
        const own = heapKB * 1024 - pool - free
        console.log(
            `heap ${heapKB} KB, pool ${pool}${led ? ", status LED" : ""}: largest allocation after the demo's setup ${free} bytes (-${STEP}/+0); ` +
                `firmware's own VM heap use (heap - pool - largest free) ${own} bytes` +
                (ballast ? ` (ballast ${ballast})` : "") +
                ` [${((Date.now() - t0) / 1000).toFixed(0)} s]`
        )
    }
}
