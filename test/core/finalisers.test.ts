/**
 * Finalisers (issue 6): a callback when an object is freed, run after the
 * sweep with a handle that can no longer reach the pool.
 */
import { describe, expect, test, vi } from "vitest"
import { ArgumentError, HandleError, Pool } from "../../src/index"
import { CHECK_SLOTS, MAX_FINALISERS } from "../../src/poolgc/finalisers"
import { checkPool } from "../support/check"

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

    test("finalisers found by an automatic collection run at the end of that allocation, its new object kept alive meanwhile", () => {
        const pool = new Pool({ size: 4096 })
        const order: string[] = []
        const g = pool.bytes(1800)
        let made = 0
        pool.onFree(g, () => {
            order.push("finaliser")
            // a finaliser that allocates and collects cannot take the object its allocation returns
            made = pool.number(7)
            expect(pool.collect()).toBe(true)
        })
        // fill the pool: the automatic collection frees g inside this allocation
        const big = pool.bytes(1800)
        order.push("allocated")
        expect(pool.isLive(big)).toBe(true)
        expect(pool.isLive(made)).toBe(false) // nothing kept it
        pool.setRoot("big", big)
        expect(pool.isLive(g)).toBe(false)
        expect(order).toEqual(["finaliser", "allocated"])
        pool.number(1)
        expect(order).toEqual(["finaliser", "allocated"])
        pool.onFree(big, null) // removing a finaliser
        pool.delRoot("big")
        pool.collect()
        expect(order.length).toBe(2)
        expect(() => pool.onFree(pool.number(2), 5 as any)).toThrow(/onFree needs a function or null/)
        pool.verify()
    })

    // a finaliser that changes a list while push() grows it: it must run after the push, not inside it
    for (const what of ["push", "removeAt", "free"] as const) {
        test(`a finaliser that does ${what} on the list push() is growing runs after the push, never inside it`, () => {
            const pool = new Pool({ size: 4096, budget: 4000 })
            const list = pool.list(2)
            pool.setRoot("list", list)
            const a = pool.number(1)
            const b = pool.number(2)
            pool.push(list, a)
            pool.push(list, b) // full: the next push moves it
            const extra = pool.number(3)
            pool.setRoot("extra", extra)
            const c = pool.number(4)
            pool.setRoot("c", c)
            const x = pool.bytes(1000) // garbage with a finaliser
            let ran = 0
            pool.onFree(x, () => {
                ran++
                if (what === "push") pool.push(list, extra)
                else if (what === "removeAt") pool.removeAt(list, 0)
                else pool.free(list)
            })
            // larger than the free run: this allocation's collection frees x (and its finaliser runs as it ends)
            const filler = pool.bytes(pool.stats().largestAllocatable + 512)
            pool.setRoot("filler", filler)
            pool.delRoot("filler")
            if (what === "free") {
                expect(pool.isLive(list)).toBe(false)
                expect(() => pool.push(list, c)).toThrow(HandleError)
            } else {
                const before = what === "push" ? [a, b, extra] : [b]
                expect(pool.push(list, c)).toBe(before.length + 1)
                const items = []
                for (let i = 0; i < pool.length(list); i++) items.push(pool.get(list, i))
                expect(items).toEqual([...before, c])
            }
            expect(ran).toBe(1)
            pool.verify()
            checkPool(pool)
        })
    }

    test("bounded memory: one shared function on every object; at most MAX_FINALISERS distinct functions at once, then a named error that changes nothing", async () => {
        const pool = new Pool({ size: 32768, handles: 1700 })
        const ran: number[] = []
        const shared = (g: number) => ran.push(g)
        const hs: number[] = []
        for (let i = 0; i < 1600; i++) {
            const h = pool.number(i)
            pool.onFree(h, shared)
            hs.push(h)
        }
        expect(pool.collect()).toBe(false) // 1,600 objects: more than one budget
        // (a walk of 1,700 slots takes several checks: collectAsync() resolves when all are found)
        await pool.collectAsync()
        expect(ran.sort((p, q) => p - q)).toEqual(hs.slice().sort((p, q) => p - q))
        // distinct functions: MAX_FINALISERS of them, each on a live object
        const keep = pool.list(MAX_FINALISERS + 1)
        pool.setRoot("keep", keep)
        const fns: ((h: number) => void)[] = []
        for (let i = 0; i <= MAX_FINALISERS; i++) {
            const h = pool.number(i)
            pool.push(keep, h)
            fns.push(() => ran.push(-i))
            if (i < MAX_FINALISERS) pool.onFree(h, fns[i])
        }
        const last = pool.get(keep, MAX_FINALISERS)
        expect(() => pool.onFree(last, fns[MAX_FINALISERS])).toThrow(ArgumentError)
        expect(() => pool.onFree(last, fns[MAX_FINALISERS])).toThrow(/15 distinct finaliser functions are in use already/)
        // one already in the table is accepted, and a freed object gives its entry back
        pool.onFree(last, fns[0])
        pool.onFree(last, null)
        const first = pool.get(keep, 0)
        pool.free(first)
        expect(ran[ran.length - 1]).toBe(-0)
        pool.onFree(last, fns[MAX_FINALISERS])
        pool.free(last)
        expect(ran[ran.length - 1]).toBe(-MAX_FINALISERS)
        await pool.verifyAsync()
    })

    test("the VM objects a pool keeps for its life (finaliser tables, root names) all exist after the constructor and never grow", () => {
        // On the VM a long-lived object allocated (or an array grown) late lands in the middle of
        // the VM heap's free space (its allocator is first-fit and never moves objects): so the
        // pool makes them all next to its Buffer. Their sizes are fixed from the constructor on.
        const pool = new Pool({ size: 4096, namedRoots: 5 })
        const p = pool as unknown as { finalisers: { regs: Buffer; gens: Buffer; fns: unknown[]; uses: number[] }; rootNames: (string | null)[] }
        const f = p.finalisers
        const hcap = (4096 >> 4) >> 3
        const regs = f.regs
        const gens = f.gens
        expect(regs).not.toBeNull()
        expect(regs.length).toBe(hcap)
        expect(gens.length).toBe(hcap * 2)
        expect(f.fns.length).toBe(MAX_FINALISERS)
        expect(f.uses.length).toBe(MAX_FINALISERS)
        expect(p.rootNames.length).toBe(5)
        const ran: number[] = []
        for (let i = 0; i < MAX_FINALISERS; i++) {
            const h = pool.number(i)
            pool.onFree(h, () => ran.push(i))
            if (i < 5) pool.setRoot("r" + i, h)
        }
        expect(() => pool.setRoot("r5", pool.number(5))).toThrow(/all 5 named roots are in use/)
        pool.delRoot("r0")
        pool.collect()
        expect(ran.sort((a, b) => a - b)).toEqual([0, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14])
        expect(f.regs).toBe(regs)
        expect(f.gens).toBe(gens)
        expect(f.fns.length).toBe(MAX_FINALISERS)
        expect(f.uses.length).toBe(MAX_FINALISERS)
        expect(p.rootNames.length).toBe(5)
        pool.verify()
        checkPool(pool)
    })

    test("on a pool of more handles than one check walks, a finaliser found late still gets its own handle, once, even after its slot was reused", async () => {
        const pool = new Pool({ size: 32768, handles: 1000 })
        expect(1000).toBeGreaterThan(CHECK_SLOTS)
        const keep = pool.list(1100)
        pool.setRoot("keep", keep)
        for (let i = 0; i < 800; i++) pool.push(keep, pool.number(i))
        const ran: number[] = []
        const fn = (g: number) => ran.push(g)
        const old = pool.number(-1) // garbage, in a slot far past the first walk's CHECK_SLOTS
        expect(old & 0xfff).toBeGreaterThan(CHECK_SLOTS)
        pool.onFree(old, fn)
        expect(pool.collect()).toBe(false)
        while (!pool.collectStep(1200));
        expect(pool.isLive(old)).toBe(false)
        // the slot is taken again before a walk reached it, and the new object registers too
        let reused = 0
        for (let i = 0; i < 400 && reused === 0; i++) {
            const h = pool.number(i)
            pool.push(keep, h)
            if ((h & 0xfff) === (old & 0xfff)) reused = h
        }
        expect(reused).not.toBe(0)
        pool.onFree(reused, fn)
        await pool.collectAsync()
        expect(ran).toEqual([old])
        pool.removeAt(keep, pool.length(keep) - 1)
        await pool.collectAsync()
        expect(ran).toEqual([old, reused])
    })
})
