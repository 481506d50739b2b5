/**
 * The slice meter on the real VM (run by test/core/meter.test.ts in test mode).
 * Each scenario calls one public operation in a tight loop, without ever
 * suspending, until poolgc throws StepLimitError; then burns what the rule
 * leaves the caller (131,072 - SHARE - UNCHECKED operations, less the loop's
 * own cost) in an empty loop. Had poolgc spent more than it charged, the VM
 * would panic (InfiniteLoop) before "scenario ... ok" and the run would fail.
 */
import * as ds from "@devicescript/core"
import { MemoryError, Pool, StepLimitError } from "../../src/index"
import { meter, SHARE, UNCHECKED } from "../../src/poolgc/meter"
import { buildChain, everyBlockOptions } from "./shapes"

const pause = async () => {
    await ds.sleep(0)
}

/** Empty-loop iterations (9 operations each) for the caller's part of the slice, less a margin for the loops' own counting. */
const CALLER_ITERS = Math.idiv(131072 - SHARE - UNCHECKED - 6000, 9)

async function scenario(name: string, op: () => void, most?: number) {
    await ds.sleep(0)
    const limit = most === undefined ? 1000000 : most
    let calls = 0
    let stopped = "no error"
    try {
        while (calls < limit) {
            op()
            calls++
        }
    } catch (e) {
        stopped = e instanceof StepLimitError ? "StepLimitError" : "" + e
    }
    const used = meter.used
    let i = 0
    while (i < CALLER_ITERS) i++
    console.log("scenario " + name + ": " + calls + " calls, " + used + " charged, then " + stopped)
    await ds.sleep(0)
}

async function chainPool(garbage: boolean, size: number): Promise<Pool> {
    const pool = new Pool(everyBlockOptions(size))
    await buildChain(pool, garbage, pause)
    await pause()
    if (garbage) await pool.collectAsync()
    return pool
}

// each group in a function of its own, so that its pool is garbage for the VM after it
async function small() {
    // small objects, unrooted: the automatic collection frees them as the pool fills
    const pool = new Pool()
    await scenario("number", () => {
        pool.number(1)
    })
    const bmp = pool.bitmap(32, 32, 8)
    pool.setRoot("bmp", bmp)
    await scenario("setPixel", () => {
        pool.setPixel(bmp, 3, 4, 7)
    })
    const raw = pool.bytes(64)
    pool.setRoot("raw", raw)
    await scenario("getByte", () => {
        pool.getByte(raw, 9)
    })
    const l = pool.list(8)
    pool.setRoot("l", l)
    const x = pool.number(5)
    await scenario("push-pop", () => {
        pool.push(l, x)
        pool.pop(l)
    })
    await scenario("free", () => {
        pool.free(pool.number(2))
    })
    await scenario("roots", () => {
        pool.setRoot("r", x)
        pool.getRoot("r")
    })
    await scenario("isLive", () => {
        pool.isLive(x)
    })
    await scenario("memFree", () => {
        pool.memFree()
    })
    await scenario("collect-small", () => {
        pool.collect()
    })
}

// the case: 10,000 small objects in a tight loop; awaiting only when told to
async function tight() {
    const pool = new Pool()
    await ds.sleep(0)
    let made = 0
    let waits = 0
    while (made < 10000) {
        try {
            pool.number(made)
            made++
        } catch (e) {
            if (!(e instanceof StepLimitError)) throw e
            waits++
            await ds.sleep(0)
        }
    }
    console.log("tight loop: 10000 objects, " + waits + " suspensions asked for")
}

// the worst shapes: the fully fragmented chain at 32 KiB
async function fragmented() {
    const pool = await chainPool(true, 32768)
    const big = pool.stats().largestFree
    await scenario("alloc-fail-fragmented", () => {
        try {
            pool.bytes(big)
        } catch (e) {
            if (e instanceof MemoryError) return
            throw e
        }
    })
    await scenario("stats-fragmented", () => {
        pool.stats()
    })
    await scenario("collectStep-1000000", () => {
        pool.collectStep(1000000)
    })
    // collect(), then allocations that fail, in one slice (the case)
    await ds.sleep(0)
    let stopped = "no error"
    let n = 0
    try {
        pool.collect()
        while (n < 100) {
            try {
                pool.bytes(big)
            } catch (e) {
                if (!(e instanceof MemoryError)) throw e
            }
            n++
        }
    } catch (e) {
        stopped = e instanceof StepLimitError ? "StepLimitError" : "" + e
    }
    let i = 0
    while (i < CALLER_ITERS) i++
    console.log("scenario collect-then-fail: " + n + " failing allocations, then " + stopped)
}
async function collecting() {
    // a collection in progress: every allocation advances it (the issue: 3-4 panicked)
    const pool = await chainPool(false, 32768)
    pool.delRoot("chain")
    pool.collectStep(1)
    await scenario("alloc-during-collection", () => {
        try {
            pool.number(1)
        } catch (e) {
            if (e instanceof MemoryError) return
            throw e
        }
    })
    await scenario("collect-chain", () => {
        pool.collect()
    })
}
async function hugeBudget() {
    const pool = new Pool({ size: 32768, handles: 2048, budget: 1000000 })
    await buildChain(pool, false, pause)
    await pause()
    await scenario("collect-budget-1000000", () => {
        pool.collect()
    })
}
await small()
await tight()
await fragmented()
await collecting()
await hugeBudget()
console.log("meter done")
ds.restart()
