/**
 * Times dumps of a 32 KiB fully fragmented pool (every other block a live
 * 1-block record) in the simulator: memInfo(true), memInfo(true) with
 * packedMap, phantoms(true), each ROUNDS times; prints the median of each.
 * Run by tools/dump-time.mjs in normal mode (never --test: GC stress).
 */
import * as ds from "@devicescript/core"
import { Pool } from "../src/index"
import { buildChain, everyBlockOptions } from "../test/vm/shapes"

const ROUNDS = 11

function median(xs: number[]): number {
    xs.sort((a, b) => a - b)
    return xs[xs.length >> 1]
}

async function time(label: string, run: () => Promise<void>) {
    const ms: number[] = []
    for (let i = 0; i < ROUNDS; i++) {
        await ds.sleep(0)
        const t0 = ds.millis()
        await run()
        ms.push(ds.millis() - t0)
    }
    console.log("dump-time " + label + ": " + median(ms) + " ms (" + ms.join(" ") + ")")
}

const pool = new Pool(everyBlockOptions(32768))
await buildChain(pool, true, async () => {
    await ds.sleep(0)
})
await pool.collectAsync()
const st = pool.stats()
console.log("dump-time shape: " + st.live + " objects, " + st.freeRuns + " free runs")
await time("memInfo", async () => {
    await pool.memInfo(true)
})
pool.packedMap(true)
await time("memInfo packed", async () => {
    await pool.memInfo(true)
})
pool.packedMap(false)
await time("phantoms", async () => {
    await pool.phantoms(true)
})
console.log("dump-time done")
