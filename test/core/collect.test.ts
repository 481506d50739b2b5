/**
 * collect() and collectAsync() are gc.collect(): when they report a complete
 * collection, it is one that started after the call, so everything
 * unreachable at the call is freed, even when a collection that marked from
 * older roots was in progress (a failed allocation leaves one).
 */
import { describe, expect, test } from "vitest"
import { MemoryError, Pool } from "../../src/index"
import { checkPool } from "../support/check"

/** A pool with a rooted big object and a cycle in MARK that has marked it already. */
function markedThenDropped(budget: number) {
    const pool = new Pool({ size: 8192, budget: budget, handles: 256 })
    const keep = pool.list(100)
    pool.setRoot("keep", keep)
    for (let i = 0; i < 100; i++) pool.push(keep, pool.number(i))
    const big = pool.bytes(3000)
    pool.setRoot("big", big)
    return { pool, big }
}

describe("collect() is gc.collect()", () => {
    test("a cycle in progress that marked an object before it was dropped: collect() still frees it", () => {
        const { pool, big } = markedThenDropped(1200)
        expect(pool.collectStep(1)).toBe(false) // a cycle starts: the roots, big among them, are marked
        expect(pool.stats().phase).toBe("mark")
        pool.delRoot("big")
        expect(pool.collect()).toBe(true)
        expect(pool.isLive(big)).toBe(false)
        expect(pool.verifier().run(1e9)).toBe(true)
        checkPool(pool)
    })

    test("MicroPython's pattern: catch MemoryError, drop references, collect, retry", async () => {
        // a budget too small for the failing allocation's collection to finish: it stays in MARK
        const { pool, big } = markedThenDropped(16)
        let err: unknown = null
        try {
            pool.bytes(3000)
        } catch (e) {
            err = e
        }
        expect(err).toBeInstanceOf(MemoryError)
        expect(pool.stats().phase).toBe("mark")
        pool.delRoot("big")
        await pool.collectAsync()
        expect(pool.isLive(big)).toBe(false)
        const again = pool.bytes(3000)
        expect(pool.isLive(again)).toBe(true)
        expect(pool.verifier().run(1e9)).toBe(true)
    })

    test("a budget too small for a whole collection: collect() says so (false), and every call ends with its own collection in progress", () => {
        const { pool } = markedThenDropped(16)
        const c0 = pool.stats().collections
        for (let i = 0; i < 300; i++) expect(pool.collect()).toBe(false)
        // the calls carried each collection to its end, and then started another
        expect(pool.stats().collections).toBeGreaterThan(c0)
        expect(pool.stats().phase).not.toBe("idle")
        // collectStep() carries on with the cycle in progress, as allocations do
        for (let i = 0; i < 1000 && !pool.collectStep(16); i++);
        expect(pool.stats().phase).toBe("idle")
        expect(pool.verifier().run(1e9)).toBe(true)
    })

    test("collectAsync() suspends after its last step, and a second call runs its own collection", async () => {
        const pool = new Pool({ size: 4096 })
        pool.setRoot("n", pool.number(1))
        let ticks = 0
        let running = true
        const counter = (async () => {
            while (running) {
                ticks++
                await new Promise(r => setImmediate(r))
            }
        })()
        const t0 = ticks
        await pool.collectAsync()
        // one collection of a small pool is one step: a suspension before it and one after
        expect(ticks - t0).toBeGreaterThanOrEqual(2)
        const c = pool.stats().collections
        const first = pool.collectAsync()
        const second = pool.collectAsync()
        await first
        await second
        expect(pool.stats().collections).toBe(c + 2)
        running = false
        await counter
    })

    test("removeAt() during marking moves items below the index the collector resumes at: none of them is lost", () => {
        // found by test/core/concurrency.test.ts (CONC_SEED=667078138): a black list referencing a white item
        const pool = new Pool({ size: 4096, handles: 64 })
        const list = pool.list(40)
        pool.setRoot("list", list)
        for (let i = 0; i < 40; i++) pool.push(list, pool.number(i))
        // the cycle's first step scans the list's first chunk (32 items) and stops: it resumes at item 32
        expect(pool.collectStep(1)).toBe(false)
        pool.removeAt(list, 0) // item 32 moves to 31, where the collector has been already
        for (let i = 0; i < 100 && !pool.collectStep(1); i++);
        expect(pool.stats().phase).toBe("idle")
        for (let i = 0; i < 39; i++) expect(pool.getNumber(pool.get(list, i))).toBe(i + 1)
        expect(pool.verifier().run(1e9)).toBe(true)
        checkPool(pool)
    })
})
