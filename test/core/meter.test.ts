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
