/**
 * The hot paths' shortcuts (src/poolgc/core.ts alloc(), objects.ts push(), number()...):
 * the allocation's fast path writes exactly what the general path's
 * findRun() + claimRun() would, and each public call resolves each handle it
 * is given once (every resolution charges the meter C_ACCESS, so the
 * meter's count shows them).
 */
import { describe, expect, test } from "vitest"
import "../../host/platform"
import { ATB, claimRun, findRun } from "../../src/poolgc/allocator"
import { AT_HEAD, H_FREE, H_HHINT, H_HINT, H_MINFREE, H_NBLOCKS, ROW_BLOCKS, ROW_ENTRY, ROW_SHIFT, RS_INNER, RS_TRAIL } from "../../src/poolgc/layout"
import { C_ACCESS, C_ALLOC_FAST, meter } from "../../src/poolgc/meter"
import { Pool } from "../../src/index"
import { checkPool } from "../support/check"

/** xorshift32, for repeatable random sizes and frees. */
function rng(seed: number) {
    let x = seed
    return () => {
        x ^= x << 13
        x ^= x >>> 17
        x ^= x << 5
        return (x >>> 0) / 4294967296
    }
}

/**
 * Whether alloc()'s fast path applies to n blocks: in the hint's row, the lead
 * run holds them, or the trail run does and no inner run does (the inner
 * bound says so, or the hint lies in the trail run).
 */
function fastFits(buf: Buffer, n: number): boolean {
    const nb = buf.readUInt16LE(H_NBLOCKS)
    const hint = buf.readUInt16LE(H_HINT)
    const p = ATB + (nb >> 2) + (hint >> ROW_SHIFT) * ROW_ENTRY
    const re = Math.min((hint | (ROW_BLOCKS - 1)) + 1, nb)
    const t0 = re - buf[p + RS_TRAIL]
    return hint < nb && (buf[p] >= n || (re - t0 >= n && (buf[p + RS_INNER] < n || hint >= t0)))
}

/**
 * Allocates `len` bytes in `pool` and checks the result against findRun() +
 * claimRun() run on a copy of the pool's bytes from before: the same block,
 * the same ATB and row summary, the same free count, low-water mark and hint.
 * Returns the handle, or 0 if nothing fits; `fast` counts the fast path's.
 */
function checkedAlloc(pool: Pool, len: number, count: { fast: number; compared: number }): number {
    const buf = pool.buf
    const nb = buf.readUInt16LE(H_NBLOCKS)
    // the bytes the allocator owns: the ATB and the row summary
    const atbEnd = ATB + (nb >> 2) + ((nb + ROW_BLOCKS - 1) >> ROW_SHIFT) * ROW_ENTRY
    const n = (len + 8 + 15) >> 4
    const ref = Buffer.from(buf)
    const blk = findRun(ref, n)
    if (blk < 0) return 0
    if (fastFits(buf, n)) count.fast++
    claimRun(ref, blk, n, AT_HEAD)
    const h = pool.bytes(len)
    expect(pool.offsetOf(h) >> 4, "first fit").toBe(blk)
    expect(buf.subarray(ATB, atbEnd).equals(ref.subarray(ATB, atbEnd)), "ATB and row summary").toBe(true)
    for (const f of [H_FREE, H_MINFREE, H_HINT]) expect(buf.readUInt16LE(f), "header field " + f).toBe(ref.readUInt16LE(f))
    count.compared++
    return h
}

describe("the allocation's fast path", () => {
    // pool sizes whose last row is whole (4096, 32768) and short (1088: 68 blocks, 4 in the last row)
    for (const size of [1088, 4096, 32768]) {
        test(`writes what findRun() + claimRun() write, at ${size} bytes`, () => {
            const pool = new Pool({ size, handles: Math.min(512, size >> 4), autoCompact: false })
            pool.disable()
            const random = rng(size)
            const live: number[] = []
            const count = { fast: 0, compared: 0 }
            for (let step = 0; step < 3000; step++) {
                // phases of growth and of shrinking, so the hint's row is sometimes packed and
                // sometimes full of holes (the first 200 steps fill the pool from the bottom)
                const dropping = step >= 200 && random() < ((step / 250) & 1 ? 0.7 : 0.15)
                if (live.length > 0 && (dropping || pool.memFree() < 1200 || live.length >= 300)) {
                    const k = Math.floor(random() * live.length)
                    pool.free(live[k])
                    live[k] = live[live.length - 1]
                    live.pop()
                    continue
                }
                // sizes of 1 to 64 blocks, the small ones most often: within one ATB byte, across
                // bytes, filling a row to its end
                const len = random() < 0.7 ? Math.floor(random() * 56) : Math.floor(random() * (64 * 16 - 8))
                const h = checkedAlloc(pool, len, count)
                if (h !== 0) live.push(h)
            }
            const fast = count.fast
            const compared = count.compared
            // the comparison covered the fast path many times, and the general path too
            console.log(`${size} bytes: ${compared} allocations compared, ${fast} on the fast path`)
            expect(fast).toBeGreaterThan(100)
            expect(fast).toBeLessThan(compared)
            checkPool(pool)
        })
    }

    test("the lead of the hint's row (the rest of it becomes an inner run) and its trail below an inner hole", () => {
        const pool = new Pool({ size: 4096, handles: 256 })
        pool.disable()
        const hs: number[] = []
        // one block each, up to the pool's end
        for (;;) {
            try {
                hs.push(pool.bytes(8))
            } catch (e) {
                break
            }
        }
        const at = (blk: number) => hs.find(h => pool.isLive(h) && pool.offsetOf(h) >> 4 === blk)
        const count = { fast: 0, compared: 0 }
        // (the objects start at block 68, in row 1: rows 2 and 3, blocks 128-255, are all objects)
        expect(pool.offsetOf(hs[0]) >> 4).toBeLessThan(128)
        // row 2 (blocks 128-191): a lead of 10 free blocks, the rest used
        for (let b = 128; b < 138; b++) pool.free(at(b))
        hs.push(checkedAlloc(pool, 40, count)) // 3 blocks at 128: the lead's start
        hs.push(checkedAlloc(pool, 8, count)) // 1 at 131: the lead is 0 now, the 6 left an inner run
        // all of row 2 free again, then filled block by block (an all-free row, then leads)
        for (const h of hs.filter(h => pool.isLive(h) && pool.offsetOf(h) >> 4 >= 128 && pool.offsetOf(h) >> 4 < 192)) pool.free(h)
        for (let b = 128; b < 192; b++) hs.push(checkedAlloc(pool, 8, count))
        // row 3, the last (192-255): one inner free block at 200 and a trail of 8 (the hint is 192:
        // the refill ended there, and no free block lies below it)
        pool.free(at(200))
        // (top down: each release joins the trail, and the row's inner bound stays 1; bottom up,
        // the growing run would raise the bound to 7 before it reached the row's end)
        for (let b = 255; b >= 248; b--) pool.free(at(b))
        hs.push(checkedAlloc(pool, 72, count)) // 5 blocks: the trail, at 248 (the hint stays)
        expect(pool.buf.readUInt16LE(H_HINT)).toBe(192)
        hs.push(checkedAlloc(pool, 8, count)) // 1 block: the inner hole, by the general path
        // every one by the fast path but the two that take an inner run (at 131 and at 200)
        expect(count.compared).toBe(68)
        expect(count.fast).toBe(66)
        checkPool(pool)
    })

    test("takes the slot at the handle cursor when it is free, else the next free one", () => {
        const pool = new Pool({ size: 4096, handles: 8 })
        pool.disable()
        const hs = [0, 1, 2, 3, 4, 5, 6].map(() => pool.bytes(8))
        expect(hs.map(h => h & 0xfff)).toEqual([0, 1, 2, 3, 4, 5, 6])
        pool.free(hs[1])
        pool.free(hs[3])
        // the cursor is at 7 (free): taken; then it wraps past 8 to the first free slot, 1, then 3
        expect(pool.bytes(8) & 0xfff).toBe(7)
        expect(pool.buf.readUInt16LE(H_HHINT)).toBe(8)
        expect(pool.bytes(8) & 0xfff).toBe(1)
        expect(pool.bytes(8) & 0xfff).toBe(3)
        checkPool(pool)
    })
})

describe("each handle is resolved once a call", () => {
    /** What `op` adds to the meter's count (in Node the meter counts and never refuses). */
    function charged(op: () => void): number {
        const before = meter.used
        op()
        return meter.used - before
    }

    test("push() resolves the list and the item once each", () => {
        const pool = new Pool()
        const l = pool.list(4)
        const x = pool.number(1)
        expect(charged(() => pool.push(l, x))).toBe(2 * C_ACCESS)
        expect(charged(() => pool.push(l, 0))).toBe(C_ACCESS)
        expect(pool.length(l)).toBe(2)
        expect(pool.get(l, 0)).toBe(x)
        expect(pool.get(l, 1)).toBe(0)
        checkPool(pool)
    })

    test("number() on the fast path is charged the fast allocation only: no resolution of the new handle", () => {
        const pool = new Pool()
        expect(charged(() => pool.number(2.5))).toBe(C_ALLOC_FAST)
        const h = pool.number(-7)
        expect(pool.getNumber(h)).toBe(-7)
        expect(charged(() => pool.string("abc"))).toBe(C_ALLOC_FAST)
        expect(charged(() => pool.bitmap(4, 4, 1))).toBe(C_ALLOC_FAST)
        checkPool(pool)
    })
})
