/**
 * verifyAsync() on the real VM beside fibers that change the pool in every
 * slice (run by test/device/verify-vm.test.ts in test mode): a 32 KiB pool of
 * 1,200 kept 1-block records in a rooted list, and two mutator fibers that
 * allocate, link, free, set and drop roots and step the collector, then
 * suspend. verifyAsync() must finish (three times), report a damaged kept
 * record, and nothing may panic (a VM step-limit panic ends the run without
 * "vasync done"). The check's own slices are counted with a Verifier driven
 * as verifyAsync() drives it, quiet and busy.
 */
import * as ds from "@devicescript/core"
import { CorruptionError, MemoryError, Pool, StepLimitError, VERIFY_MAX_UNITS, Verifier } from "../../src/index"
import { O_AUX } from "../../src/poolgc/layout"
import { meter } from "../../src/poolgc/meter"

const KEPT = 1200

const pool = new Pool({ size: 32768, handles: 1600 })
const K = pool.defineRecord("K", ["a", "b"])
const keep = pool.list(KEPT)
pool.setRoot("keep", keep)
let prev = 0
for (let i = 0; i < KEPT; i++) {
    if (i % 20 === 0) {
        await ds.sleep(0)
        meter.reset()
    }
    const r = pool.record(K)
    if (prev !== 0) pool.setField(r, "a", prev)
    pool.push(keep, r)
    prev = r
}
await ds.sleep(0)
console.log("built: " + pool.stats().used + " bytes used")

let stop = false
let slices = 0
let running = 0
let failure = ""

async function mutator(seed: number) {
    running++
    let x = seed
    while (!stop) {
        x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff
        const r = (x >> 8) % 10
        try {
            if (r < 3) {
                const h = (x & 32) !== 0 ? pool.number(x) : pool.record(K)
                if ((x & 16) !== 0) pool.setRoot("t" + seed + (x & 3), h)
            } else if (r === 3) {
                const l = pool.list(4)
                pool.setRoot("l" + seed, l)
                pool.push(l, pool.number(1))
                pool.push(l, pool.get(keep, x % KEPT))
            } else if (r === 4) {
                const name = "t" + seed + (x & 3)
                if (pool.hasRoot(name)) {
                    const h = pool.getRoot(name)
                    pool.delRoot(name)
                    if (pool.isLive(h)) pool.free(h)
                }
            } else if (r === 5) {
                if (pool.hasRoot("l" + seed)) pool.delRoot("l" + seed)
            } else pool.collectStep(30)
        } catch (e) {
            // a full pool and a used-up slice are part of the program's life; anything else is not
            if (!(e instanceof MemoryError) && !(e instanceof StepLimitError)) failure = "mutator: " + e
        }
        slices++
        await ds.sleep(0)
        meter.reset()
    }
    running--
}

/** Runs a Verifier as verifyAsync() does (a census gets its own units); its run count and figures. */
async function counted(what: string) {
    await ds.sleep(0)
    meter.reset()
    const v = new Verifier(pool.buf, [2])
    let runs = 1
    let census = 0
    const t0 = ds.millis()
    while (true) {
        const due = v.censusDue()
        const done = v.run(due ? v.censusUnits() : VERIFY_MAX_UNITS)
        if (due && v.lastWork > census) census = v.lastWork
        if (done) break
        await ds.sleep(0)
        meter.reset()
        runs++
    }
    console.log("slices " + what + ": " + runs + " runs, " + v.changes + " changes, " + v.censuses + " censuses (largest " + census + " units), " + (ds.millis() - t0) + " ms")
}

await counted("quiet")
mutator.start(1)
mutator.start(2)
await ds.sleep(0)
for (let i = 0; i < 3; i++) {
    const before = slices
    await pool.verifyAsync()
    console.log("verifyAsync " + i + " done: " + (slices - before) + " mutator slices meanwhile")
}
await counted("busy")

// a damage that stays in place (the mutators never free or move the kept records)
const at = pool.offsetOf(pool.get(keep, 700)) + O_AUX
pool.buf[at] = 9
let found = "nothing"
const before = slices
try {
    await pool.verifyAsync()
} catch (e) {
    found = e instanceof CorruptionError ? "CorruptionError " + e.message : "" + e
}
console.log("damage: " + found)
console.log("damage: " + (slices - before) + " mutator slices meanwhile")
pool.buf[at] = 1
stop = true
while (running > 0) await ds.sleep(1)
await pool.verifyAsync()
if (failure !== "") console.log("failure: " + failure)
console.log("vasync done")
ds.restart()
