/**
 * Handles that cannot reach the wrong object: another pool's handle is
 * rejected by its pool id, a stale handle stays stale through a churn loop
 * (slots are taken in turn, so the loop does not wrap one slot's generation),
 * and the worst case the README states ("Known limits") is exact.
 */
import { describe, expect, test } from "vitest"
import { HandleError, Pool } from "../../src/index"
import * as L from "../../src/poolgc/layout"
import { checkPool } from "../support/check"

describe("handles carry their pool's id", () => {
    test("two pools hand out the same slot and generation: each rejects the other's handle", () => {
        const a = new Pool({ size: 1024 })
        const b = new Pool({ size: 1024 })
        const ha = a.number(1)
        const hb = b.number(2)
        // the same slot (0) and generation (1) in both
        expect(ha & 0x7ffffff).toBe(hb & 0x7ffffff)
        expect(ha).not.toBe(hb)
        expect(() => a.getNumber(hb)).toThrow(HandleError)
        expect(() => a.getNumber(hb)).toThrow(/^handle of another pool: \d+ \(pool id \d+; this pool's is \d+\)/)
        expect(() => b.free(ha)).toThrow(/^handle of another pool/)
        // nor can one be stored in the other
        const list = a.list(1)
        expect(() => a.push(list, hb)).toThrow(/^handle of another pool/)
        expect(a.getNumber(ha)).toBe(1)
        expect(b.getNumber(hb)).toBe(2)
        a.verify()
        checkPool(a)
    })

    test("pool ids run 1..15 in creation order: any 15 pools created in a row are told apart", () => {
        const pools: Pool[] = []
        for (let i = 0; i < 16; i++) pools.push(new Pool({ size: 1024 }))
        const handles = pools.map(p => p.number(0))
        const ids = handles.map(h => h >>> L.POOL_SHIFT)
        for (const id of ids) expect(id).toBeGreaterThanOrEqual(1)
        for (const id of ids) expect(id).toBeLessThanOrEqual(L.MAX_POOL_ID)
        for (let i = 0; i < 15; i++) for (let j = i + 1; j < i + 15 && j < 16; j++) expect(ids[i], i + " and " + j).not.toBe(ids[j])
        // the 16th shares the 1st one's id: the documented limit
        expect(ids[15]).toBe(ids[0])
        for (let i = 0; i < 16; i++) expect(pools[i].buf.readUInt16LE(L.H_POOLID)).toBe(ids[i])
        // a rejected pool takes no id
        const before = new Pool({ size: 1024 }).number(0) >>> L.POOL_SHIFT
        expect(() => new Pool({ size: 1000 })).toThrow()
        const after = new Pool({ size: 1024 }).number(0) >>> L.POOL_SHIFT
        expect(after).toBe((before % L.MAX_POOL_ID) + 1)
        // every handle is a positive int32
        for (const h of handles) expect(h | 0).toBe(h)
    })
})

describe("a stale handle stays stale", () => {
    test("a churn loop does not wrap one slot: 100,000 free/alloc cycles never give an old handle back", () => {
        const pool = new Pool({ size: 4096, handles: 16 })
        for (let i = 0; i < 4; i++) pool.setRoot("r" + i, pool.number(i)) // 4 live, 12 free slots
        const first = pool.number(-1)
        pool.free(first)
        const seen = new Map<number, number>() // slot -> reuses
        let h = 0
        let again = 0
        for (let i = 0; i < 100000; i++) {
            h = pool.number(i)
            seen.set(h & 0xfff, (seen.get(h & 0xfff) || 0) + 1)
            if (h === first) again++
            pool.free(h)
        }
        expect(again).toBe(0)
        expect(() => pool.getNumber(first)).toThrow(/^stale handle/)
        // the 12 free slots take turns: each was reused 100,000 / 12 times, none 32,767
        expect(seen.size).toBe(12)
        for (const n of seen.values()) expect(Math.abs(n - 100000 / 12)).toBeLessThanOrEqual(1)
        pool.verify()
        checkPool(pool)
    })

    test("before, a churn loop gave the same handle back after exactly 32,767 cycles; now it takes 32,767 passes over the free slots", () => {
        const pool = new Pool({ size: 4096, handles: 4 })
        const first = pool.number(-1)
        pool.free(first)
        let h = 0
        let cycles = 0
        while (cycles < 32767 * 4) {
            h = pool.number(0)
            cycles++
            pool.free(h)
            if (h === first) break
        }
        // 4 free slots taken in turn: slot 0 comes round every 4th allocation, and its
        // generation is back at the stale handle's after 32,767 reuses of it
        expect(cycles).toBe(32767 * 4)
    })

    test("the worst case the README states: with one slot free, a stale handle comes back after exactly 32,767 reuses", () => {
        const pool = new Pool({ size: 4096, handles: 4 })
        for (let i = 0; i < 3; i++) pool.setRoot("r" + i, pool.number(i))
        const first = pool.number(-1)
        pool.free(first)
        let reuses = 0
        let rejected = 0
        let h = 0
        do {
            h = pool.number(0)
            reuses++
            if ((h & 0xfff) !== (first & 0xfff)) break
            if (!pool.isLive(first)) rejected++
            pool.free(h)
        } while (h !== first && reuses < 40000)
        expect(reuses).toBe(L.MAX_GEN)
        expect(rejected).toBe(L.MAX_GEN - 1) // stale through every reuse before
        expect(() => pool.getNumber(first)).toThrow(/^stale handle/) // freed again
    })
})
