/**
 * The slice meter (src/poolgc/meter.ts): in Node with a limit set as on the
 * VM (the rules: refuse before changing anything, start again after a
 * suspension, async operations suspend instead of refusing), and on the real
 * VM (test/vm/meter.vm.ts: every operation in a tight loop, then the
 * caller's share of the slice burnt; a charge below the real cost panics).
 */
import { afterEach, beforeEach, describe, expect, test } from "vitest"
import { MemoryError, Pool, StepLimitError } from "../../src/index"
import { ARM_AT, C_ALLOC, charge, meter, SHARE } from "../../src/poolgc/meter"
import { runTestMode } from "../../sim/runner.mjs"
import { checkPool } from "../support/check"
import { buildChain, everyBlockOptions } from "../vm/shapes"

const turn = () => new Promise<void>(resolve => setImmediate(resolve))

/** Brings the meter to `used`, as calls that cost that much would. */
function spend(used: number) {
    charge(used - meter.used, "the test")
}

describe("the meter in Node, with the VM's limit", () => {
    beforeEach(async () => {
        await turn()
        meter.limit = SHARE
        meter.reset()
    })
    afterEach(() => {
        meter.limit = 0
        meter.reset()
    })

    test("a tight loop of allocations gets StepLimitError, with nothing changed, and goes on after a suspension", async () => {
        const pool = new Pool()
        const list = pool.list(4)
        pool.setRoot("l", list)
        let made = 0
        let error: unknown = null
        try {
            while (made < 10000) {
                pool.push(list, pool.number(made))
                made++
            }
        } catch (e) {
            error = e
        }
        expect(error).toBeInstanceOf(StepLimitError)
        expect((error as Error).message).toMatch(/since this fiber last suspended.*await a suspension/)
        expect(made).toBeGreaterThan(20)
        expect(made).toBeLessThan(SHARE / C_ALLOC)
        // nothing changed by the refused call: the list holds exactly what was made
        expect(meter.used).toBeLessThanOrEqual(SHARE)
        await turn()
        expect(meter.used).toBe(0)
        expect(pool.length(list)).toBe(made)
        for (let i = 0; i < made; i++) expect(pool.getNumber(pool.get(list, i))).toBe(i)
        checkPool(pool)
        // and so on to 10,000, suspending when told to
        let waits = 0
        while (made < 10000) {
            try {
                pool.number(made)
                made++
            } catch (e) {
                if (!(e instanceof StepLimitError)) throw e
                waits++
                await turn()
            }
        }
        expect(waits).toBeGreaterThan(10)
        checkPool(pool)
    })

    test("every kind of call is charged: accessors, roots, collections, stats", async () => {
        const pool = new Pool()
        const x = pool.number(1)
        pool.setRoot("x", x)
        const cases: [string, () => unknown][] = [
            ["getNumber", () => pool.getNumber(x)],
            ["isLive", () => pool.isLive(x)],
            ["getRoot", () => pool.getRoot("x")],
            ["memFree", () => pool.memFree()],
            ["collect", () => pool.collect()],
            ["collectStep", () => pool.collectStep(1000000)],
            ["stats", () => pool.stats()],
            ["enter", () => pool.leave(pool.enter())],
        ]
        for (const [name, op] of cases) {
            await turn()
            let calls = 0
            let error: unknown = null
            try {
                while (calls < 1e6) {
                    op()
                    calls++
                }
            } catch (e) {
                error = e
            }
            expect(error, name).toBeInstanceOf(StepLimitError)
            expect(calls, name).toBeGreaterThan(0)
        }
    })

    test("isLive() passes StepLimitError on instead of answering false", async () => {
        const pool = new Pool()
        const x = pool.number(1)
        pool.setRoot("x", x)
        spend(SHARE)
        expect(() => pool.isLive(x)).toThrow(StepLimitError)
        await turn()
        expect(pool.isLive(x)).toBe(true)
    })

    test("an allocation that would collect uses only what is left, and still fails cleanly", async () => {
        const pool = new Pool({ size: 8192, budget: 1000000 })
        const keep = pool.list(4)
        pool.setRoot("keep", keep)
        // fill with live objects, then ask for more than is free: the collection is bounded by the meter
        let n = 0
        for (;;) {
            try {
                pool.push(keep, pool.number(n++))
            } catch (e) {
                if (e instanceof StepLimitError) {
                    await turn()
                    continue
                }
                expect(e).toBeInstanceOf(MemoryError)
                break
            }
        }
        await turn()
        const before = pool.stats()
        await turn()
        spend(SHARE - 3 * C_ALLOC)
        expect(() => pool.bytes(4000)).toThrow(/memory allocation failed|since this fiber last suspended/)
        expect(meter.used).toBeLessThanOrEqual(SHARE + 14000)
        await turn()
        expect(pool.stats().live).toBe(before.live)
        checkPool(pool)
    })

    // A loop that, refused, suspends and runs its whole iteration again: every retry makes the
    // iteration's first object anew (the last attempt's is garbage), which the collection the
    // refused allocation started frees. Without the retry rule each retry's first object took
    // that room, the second failed and started a new collection, and the loop never ended.
    test("a retry loop that leaves garbage at every refusal ends with MemoryError on a full pool", async () => {
        const pool = new Pool({ size: 32768, handles: 1800 })
        const R = pool.defineRecord("R", ["a", "b", "c", "d"])
        const l = pool.list(0)
        pool.setRoot("l", l)
        let n = 0
        let refusals = 0
        let end: unknown = null
        for (let tries = 0; tries < 20000 && end === null; tries++) {
            await turn()
            try {
                const h = pool.number(n)
                const k = pool.record(R)
                pool.setField(k, "a", h)
                pool.push(l, k)
                n++
            } catch (e) {
                if (e instanceof StepLimitError) refusals++
                else end = e
            }
        }
        expect(end).toBeInstanceOf(MemoryError)
        expect(refusals).toBeGreaterThan(0) // (the collections of the full pool did not fit in a slice)
        expect(pool.length(l)).toBe(n)
        for (let i = 0; i < n; i += 97) expect(pool.getNumber(pool.getField(pool.get(l, i), "a"))).toBe(i)
        checkPool(pool)
        // and the pool is not left refusing: after the MemoryError a smaller request collects again
        await turn()
        pool.delRoot("l")
        let made = false
        for (let i = 0; i < 50 && !made; i++) {
            await turn()
            try {
                pool.bytes(64)
                made = true
            } catch (e) {
                if (!(e instanceof StepLimitError)) throw e
            }
        }
        expect(made).toBe(true)
    })

    // A step's units are charged after its work, with no check; such a charge once armed
    // nothing, so a loop of steps with a suspension between them (the clock standing still,
    // as on the VM within a millisecond) carried the count on until it refused.
    test("a loop of collection steps with a suspension between them is never refused", async () => {
        const pool = new Pool({ size: 32768, handles: 2048 })
        const l = pool.list(0)
        pool.setRoot("l", l)
        for (let i = 0; i < 1000; i++) {
            await turn()
            try {
                pool.push(l, pool.number(i))
            } catch (e) {
                if (!(e instanceof StepLimitError)) throw e
                i-- // (a collection of the list's old copies, cut short: again after a suspension)
            }
        }
        await turn()
        pool.collectStep(1)
        let steps = 0
        for (let done = false; !done; steps++) {
            await turn()
            expect(meter.used).toBeLessThan(ARM_AT)
            done = pool.collectStep(500)
        }
        expect(steps).toBeGreaterThan(4)
    })

    test("with collection off, a compaction the meter cut short goes on in the retries and the allocation succeeds", async () => {
        const pool = new Pool({ size: 32768, handles: 2048 })
        pool.disable()
        const items: number[] = []
        for (let i = 0; ; i++) {
            if ((i & 31) === 0) await turn()
            try {
                items.push(pool.bytes(24))
            } catch (e) {
                expect(e).toBeInstanceOf(MemoryError)
                break
            }
        }
        // every other object freed: the free space is all 2-block holes
        for (let i = 0; i < items.length; i += 2) {
            if ((i & 63) === 0) await turn()
            pool.free(items[i])
        }
        await turn()
        expect(pool.stats().largestFree).toBeLessThan(400)
        let done = false
        let refusals = 0
        for (let tries = 0; tries < 200 && !done; tries++) {
            await turn()
            spend(SHARE - 40000) // (little room: the compaction needs several slices)
            try {
                pool.bytes(10000)
                done = true
            } catch (e) {
                if (!(e instanceof StepLimitError)) throw e
                refusals++
            }
        }
        expect(done).toBe(true)
        expect(refusals).toBeGreaterThan(0)
        await turn()
        expect(pool.stats().compactions).toBe(1)
        checkPool(pool)
    })

    test("two stats() of the fully fragmented 32 KiB pool fit in one slice", async () => {
        meter.limit = 0 // (the build suspends only every 4 allocations)
        const pool = new Pool(everyBlockOptions(32768))
        await buildChain(pool, true, turn)
        await pool.collectAsync()
        expect(pool.stats().freeRuns).toBeGreaterThan(800)
        meter.limit = SHARE
        meter.reset() // (as the suspension the VM would need here)
        pool.stats()
        pool.stats()
        expect(meter.used).toBeLessThanOrEqual(SHARE)
    })

    test("asynchronous operations suspend rather than refuse", async () => {
        const pool = new Pool()
        pool.setRoot("x", pool.number(1))
        spend(SHARE - 100)
        await pool.collectAsync()
        await pool.compactAsync()
        expect(pool.stats().phase).toBe("idle")
    })

    test("below ARM_AT nothing is asked of the event loop; above it, the count starts again at the next turn", async () => {
        const pool = new Pool()
        const x = pool.number(1)
        await turn() // (making the pool charged more than ARM_AT)
        pool.getNumber(x)
        expect(meter.armed).toBe(false)
        while (meter.used <= ARM_AT) pool.getNumber(x)
        expect(meter.armed).toBe(true)
        await turn()
        expect(meter.used).toBe(0)
        expect(meter.armed).toBe(false)
    })
})

describe("the meter in Node without a limit (the default)", () => {
    test("counts but never refuses", () => {
        const pool = new Pool()
        for (let i = 0; i < 20000; i++) pool.number(i)
        expect(meter.limit).toBe(0)
    })
})

describe("the meter on the DeviceScript VM", () => {
    test("test/vm/firstslice.vm.ts: the very first suspension of a program starts the count again", async () => {
        const r = await runTestMode("test/vm/firstslice.vm.ts", { timeoutMs: 300000 })
        if (r.code !== 0) throw new Error("firstslice.vm.ts failed on the VM:\n" + r.stdout.slice(-3000) + r.stderr.slice(-2000))
        // 12 runs of 50 allocations (70,000 operations charged each), a suspension after each
        expect(r.lines).toContain("first slice: 600 made, 0 refused, 0 suspensions without a reset")
    })

    test("test/vm/meter.vm.ts: no tight loop of pool calls trips the step limit", async () => {
        const r = await runTestMode("test/vm/meter.vm.ts", { timeoutMs: 600000 })
        if (r.code !== 0 || !r.lines.includes("meter done")) throw new Error("meter.vm.ts failed on the VM:\n" + r.stdout.slice(-6000) + r.stderr.slice(-2000))
        const scen = r.lines.filter((l: string) => l.startsWith("scenario "))
        console.log(scen.join("\n"))
        expect(scen.length).toBeGreaterThanOrEqual(16)
        // every tight loop ended with StepLimitError, not a panic, and (but where collect() came
        // first and may have left too little for an allocation) made progress first
        for (const l of scen) {
            expect(l, l).toMatch(/then StepLimitError$/)
            if (!l.startsWith("scenario collect-then-fail")) expect(Number(l.match(/: (\d+) calls/)![1]), l).toBeGreaterThan(0)
        }
        // stats() is charged an upper bound of its walk that lets two of the worst case share a slice
        expect(Number(scen.find((l: string) => l.startsWith("scenario stats-fragmented"))!.match(/: (\d+) calls/)![1])).toBeGreaterThanOrEqual(2)
        expect(r.lines).toContain("tight loop: 10000 objects, " + r.lines.find((l: string) => l.startsWith("tight loop"))!.match(/(\d+) suspensions/)![1] + " suspensions asked for")
    })
})
