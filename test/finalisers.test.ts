/**
 * Finalisers (issue 6): a callback when an object is freed, run after the
 * sweep with a handle that can no longer reach the pool.
 */
import { describe, expect, test, vi } from "vitest"
import { HandleError, Pool } from "../src/index"
import { checkPool } from "./support/check"

describe("finalisers", () => {
    test("run once, after the sweep, for swept and freed objects, with a stale handle", () => {
        const pool = new Pool({ size: 4096 })
        const ran: number[] = []
        const a = pool.bytes(10)
        const b = pool.string("b")
        const c = pool.number(3)
        pool.setRoot("c", c)
        let seenPhase = ""
        for (const h of [a, b, c]) {
            pool.onFree(h, g => {
                ran.push(g)
                seenPhase = pool.stats().phase
                // the handle is stale: the object cannot be read or written any more
                expect(() => pool.sizeOf(g)).toThrow(HandleError)
            })
        }
        pool.free(b)
        expect(ran).toEqual([b])
        pool.collect()
        expect(ran).toEqual([b, a]) // c is rooted
        expect(seenPhase).toBe("idle") // after the sweep, never inside it
        pool.collect()
        expect(ran).toEqual([b, a])
        pool.delRoot("c")
        pool.collect()
        expect(ran).toEqual([b, a, c])
        pool.collect()
        expect(ran.length).toBe(3)
        pool.verify()
    })

    test("a finaliser may allocate; one that throws is logged and cannot break the collection or the pool", () => {
        const pool = new Pool({ size: 4096 })
        const log = vi.spyOn(console, "log").mockImplementation(() => {})
        const made: number[] = []
        const x = pool.number(1)
        const y = pool.number(2)
        pool.onFree(x, () => {
            throw new Error("boom")
        })
        pool.onFree(y, () => {
            const n = pool.number(99)
            pool.setRoot("made", n)
            made.push(n)
        })
        expect(pool.collect()).toBe(true)
        const logged = log.mock.calls.map(c => String(c[0]))
        log.mockRestore()
        expect(logged).toEqual(["poolgc: finaliser of handle " + x + " threw: Error: boom"])
        expect(made.length).toBe(1)
        expect(pool.getNumber(pool.getRoot("made"))).toBe(99)
        pool.verify()
        checkPool(pool)
    })

    test("finalisers found by an automatic collection run before the next allocation, never between an allocation and its caller", () => {
        const pool = new Pool({ size: 4096 })
        const order: string[] = []
        const g = pool.bytes(1800)
        pool.onFree(g, () => order.push("finaliser"))
        // fill the pool: the automatic collection frees g inside this allocation
        const big = pool.bytes(1800)
        order.push("allocated")
        pool.setRoot("big", big)
        expect(pool.isLive(g)).toBe(false)
        expect(order).toEqual(["allocated"])
        pool.number(1)
        expect(order).toEqual(["allocated", "finaliser"])
        pool.onFree(big, null) // removing a finaliser
        pool.delRoot("big")
        pool.collect()
        expect(order.length).toBe(2)
        expect(() => pool.onFree(pool.number(2), 5 as any)).toThrow(/onFree needs a function or null/)
    })
})
