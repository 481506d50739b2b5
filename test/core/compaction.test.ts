/**
 * Compaction and long-lived placement (issue 6), in Node: what MicroPython
 * cannot do. Every test checks the pool with verify() and the independent
 * recount (checkPool), and that every object kept its contents and handle.
 */
import { describe, expect, test } from "vitest"
import { Handle, MemoryError, Pool } from "../../src/index"
import { checkPool } from "../support/check"

/** A pool of `size` bytes filled with 24-byte objects (2 blocks), every other one freed: all holes are 2 blocks. */
function fragmented(size: number, autoCompact: boolean, budget?: number) {
    const pool = new Pool({ size, autoCompact, handles: size >> 4, budget })
    const keep = pool.list(size >> 5)
    pool.setRoot("keep", keep)
    pool.disable() // the items are unrooted until pushed below
    const items: Handle[] = []
    while (true) {
        try {
            items.push(pool.bytes(24))
        } catch (e) {
            expect(e).toBeInstanceOf(MemoryError)
            break
        }
    }
    const kept: Handle[] = []
    for (let i = 0; i < items.length; i++) {
        if (i % 2 === 0) pool.free(items[i])
        else {
            // each kept object carries its own bytes, to check after moves
            pool.writeBytes(items[i], 0, Buffer.from([i & 255, (i >> 8) & 255, 0xa5, 0x5a]))
            kept.push(items[i])
        }
    }
    for (const h of kept) pool.push(keep, h)
    pool.enable()
    return { pool, keep, kept }
}

function contentsIntact(pool: Pool, kept: Handle[]) {
    for (const h of kept) {
        expect(pool.isLive(h)).toBe(true)
        const b = pool.readBytes(h)
        expect(b.length).toBe(24)
        expect(b[2]).toBe(0xa5)
        expect(b[3]).toBe(0x5a)
    }
    // and in the order they were written: item index in bytes 0-1, odd, increasing
    const idx = kept.map(h => pool.readBytes(h).readUInt16LE(0))
    for (let i = 1; i < idx.length; i++) expect(idx[i]).toBeGreaterThan(idx[i - 1])
}

describe("compaction", () => {
    test("fragmentation failures: MicroPython's behaviour with compaction off, the allocation succeeds with it on", () => {
        for (const auto of [false, true]) {
            const { pool, kept } = fragmented(4096, auto)
            const st = pool.stats()
            expect(st.largestFree).toBeLessThanOrEqual(48) // every hole is 2 blocks (the last up to 3)
            expect(st.free).toBeGreaterThan(1000)
            expect(st.fragmentation).toBeGreaterThan(80)
            const want = st.free - 8 // everything that is free, in one object
            const offsets = kept.map(h => pool.offsetOf(h))
            if (!auto) {
                expect(() => pool.bytes(want)).toThrow(/largest free run \d\d bytes; the free space is in pieces: await compactAsync\(\) and retry/)
                expect(kept.map(h => pool.offsetOf(h))).toEqual(offsets)
            } else {
                const big = pool.bytes(want)
                expect(pool.sizeOf(big)).toBe(want)
                expect(pool.stats()).toMatchObject({ free: 0, compactions: 1 })
                // the kept objects slid down: same handles, lower offsets, same bytes
                const moved = kept.map(h => pool.offsetOf(h))
                expect(moved.some((o, i) => o < offsets[i])).toBe(true)
                expect(moved.every((o, i) => o <= offsets[i])).toBe(true)
            }
            contentsIntact(pool, kept)
            expect(pool.verifier().run(1e9)).toBe(true)
            checkPool(pool)
        }
    })

    test("with compaction on, an allocation fails only when the total free space is too small", async () => {
        const { pool, kept } = fragmented(8192, true)
        const { free, freeRuns } = pool.stats()
        expect(() => pool.bytes(free - 8 + 1)).toThrow(MemoryError) // one byte more than everything free
        // a compaction could not have helped, so none ran
        expect(pool.stats()).toMatchObject({ freeRuns, compactions: 0 })
        // at 8 KiB with ~170 objects to move, the compaction outgrows one allocation's
        // budget: the error says so, and the README's pattern completes it
        let all = 0
        try {
            all = pool.bytes(free - 8)
        } catch (e) {
            expect((e as Error).message).toMatch(/a collection is still in progress \(compacting\): await collectAsync\(\) and retry$/)
            await pool.collectAsync()
            all = pool.bytes(free - 8)
        }
        expect(pool.sizeOf(all)).toBe(free - 8)
        expect(pool.stats()).toMatchObject({ free: 0, compactions: 1 })
        contentsIntact(pool, kept)
        expect(pool.verifier().run(1e9)).toBe(true)
    })

    test("compact() leaves one free run; compactAsync() always completes; offsets change, handles do not", async () => {
        const { pool, keep, kept } = fragmented(16384, true)
        const before = pool.stats()
        expect(before.freeRuns).toBeGreaterThan(100)
        await pool.compactAsync()
        const after = pool.stats()
        expect(after).toMatchObject({ freeRuns: 1, fragmentation: 0, phase: "idle", free: before.free, live: before.live })
        expect(after.largestFree).toBe(before.free)
        // the live objects are packed right after the metadata: the list first, then the kept items
        let at = before.meta
        expect(pool.offsetOf(keep)).toBe(at)
        at += pool.blocksOf(keep) * 16
        for (const h of kept) {
            expect(pool.offsetOf(h)).toBe(at)
            at += 32
        }
        contentsIntact(pool, kept)
        expect(pool.verifier().run(1e9)).toBe(true)
        checkPool(pool)
    })

    test("a compaction in slices lets the program run between them: allocations, frees and stores stay correct", () => {
        const { pool, keep, kept } = fragmented(8192, true, 40)
        const extra: Handle[] = []
        let steps = 0
        expect(pool.compact()).toBe(false) // a collection, then a compaction: 40 work units is a small part of it
        while (pool.stats().phase !== "idle") {
            // the program, between slices: allocate (into the gap or beyond), free, store
            const n = pool.number(steps)
            pool.push(keep, n)
            extra.push(n)
            if (steps % 3 === 0 && kept.length > 4) {
                const gone = kept.splice(1, 1)[0]
                pool.set(keep, 1, 0)
                pool.free(gone)
            }
            expect(pool.verifier().run(1e9)).toBe(true)
            pool.collectStep(40)
            steps++
        }
        expect(steps).toBeGreaterThan(1)
        extra.forEach((h, i) => expect(pool.getNumber(h)).toBe(i))
        for (const h of kept) expect(pool.readBytes(h)[2]).toBe(0xa5)
        expect(pool.verifier().run(1e9)).toBe(true)
        checkPool(pool)
    })

    test("a fragmentation failure during a collection that outgrows the budget: that collection ends with a compaction", async () => {
        // budget 40: no collection of this heap fits in one allocation (the benchmark's VM case)
        const { pool, kept } = fragmented(8192, true, 40)
        const free = pool.stats().free
        let err: Error | null = null
        try {
            pool.bytes(free - 8)
        } catch (e) {
            err = e as Error
        }
        expect(err).toBeInstanceOf(MemoryError)
        expect(err!.message).toMatch(/a collection is still in progress \(it will compact\): await collectAsync\(\) and retry$/)
        await pool.collectAsync() // the advice: the collection, then its compaction
        expect(pool.stats()).toMatchObject({ freeRuns: 1, compactions: 1, phase: "idle" })
        expect(pool.sizeOf(pool.bytes(free - 8))).toBe(free - 8)
        contentsIntact(pool, kept)
        expect(pool.verifier().run(1e9)).toBe(true)
        checkPool(pool)
    })

    test("with automatic collection off (objects released by free()), compaction moves and frees nothing", async () => {
        const pool = new Pool({ size: 4096, handles: 256 })
        pool.disable()
        const all: Handle[] = []
        for (let i = 0; i < 60; i++) {
            const h = pool.bytes(24) // none rooted: this program frees explicitly
            pool.setByte(h, 0, i)
            all.push(h)
        }
        for (let i = 0; i < all.length; i += 2) pool.free(all[i])
        const alive = all.filter((_, i) => i % 2 === 1)
        const { free, live } = pool.stats()
        expect(pool.stats().largestFree).toBeLessThan(free)
        // the allocation compacts without collecting: every unrooted object survives
        const big = pool.bytes(free - 8)
        expect(pool.stats()).toMatchObject({ compactions: 1, collections: 0, live: live + 1 })
        alive.forEach(h => expect(pool.getByte(h, 0) % 2).toBe(1))
        pool.free(big)
        for (let i = 0; i < alive.length; i += 3) pool.free(alive[i])
        // compact(false) and compactAsync(false): the same, on request
        while (!pool.compact(false));
        expect(pool.stats()).toMatchObject({ freeRuns: 1, collections: 0, compactions: 2 })
        pool.free(alive[1])
        await pool.compactAsync(false)
        expect(pool.stats()).toMatchObject({ freeRuns: 1, collections: 0, compactions: 3 })
        alive.forEach((h, i) => expect(pool.isLive(h)).toBe(i % 3 !== 0 && i !== 1))
        expect(pool.verifier().run(1e9)).toBe(true)
        checkPool(pool)
    })

    test("a dump taken while objects move shows the pool as it was at the call", async () => {
        const { pool } = fragmented(8192, true)
        const still: string[] = []
        await pool.memInfo(true, l => still.push(l.replace(/^@\d+:/, "")))
        const lines: string[] = []
        const dumping = pool.memInfo(true, l => lines.push(l.replace(/^@\d+:/, "")))
        await pool.compactAsync() // runs while the dump walks
        await dumping
        // the map rows (and the figures from the walk) are the ones before the compaction
        const rows = (ls: string[]) => ls.filter(l => /^\d+ [0-9a-f]{5}: /.test(l))
        expect(rows(lines)).toEqual(rows(still))
        expect(pool.stats().freeRuns).toBe(1)
    })
})

describe("long-lived placement", () => {
    test("long-lived objects go from the top down, short-lived from the bottom up; makeLongLived moves one up", () => {
        const pool = new Pool({ size: 4096 })
        const meta = pool.stats().meta
        const s1 = pool.number(1)
        expect(pool.offsetOf(s1)).toBe(meta)
        pool.longLived(true)
        const l1 = pool.number(2)
        const l2 = pool.bytes(40) // 3 blocks
        pool.longLived(false)
        expect(pool.offsetOf(l1)).toBe(4096 - 16)
        expect(pool.offsetOf(l2)).toBe(4096 - 16 - 48)
        expect(pool.isLongLived(l1)).toBe(true)
        expect(pool.isLongLived(s1)).toBe(false)
        const s2 = pool.string("short")
        expect(pool.offsetOf(s2)).toBe(meta + 16)
        const g = pool.bitmap(8, 8, 8)
        pool.setPixel(g, 3, 4, 77)
        expect(pool.makeLongLived(g)).toBe(g)
        expect(pool.isLongLived(g)).toBe(true)
        expect(pool.offsetOf(g)).toBe(4096 - 16 - 48 - pool.blocksOf(g) * 16)
        expect(pool.getPixel(g, 3, 4)).toBe(77)
        expect(pool.getNumber(l1)).toBe(2)
        expect(pool.verifier().run(1e9)).toBe(true)
        checkPool(pool)
    })

    test("makeLongLived never moves an object down: with room only below it, it stays where it is, marked long-lived", () => {
        // (found by the model test: the highest run that fitted lay below the object, and it moved down)
        const pool = new Pool({ size: 4096, handles: 256, autoCompact: false })
        pool.disable()
        const hole = pool.bytes(200) // 13 blocks at the bottom
        const g = pool.bitmap(8, 8, 8) // 5 blocks above it
        pool.setPixel(g, 1, 2, 99)
        const fill: Handle[] = []
        try {
            for (;;) fill.push(pool.number(fill.length))
        } catch (e) {
            expect(e).toBeInstanceOf(MemoryError)
            expect((e as Error).message).not.toMatch(/handles/) // full of blocks, not of handles
        }
        expect(pool.stats().free).toBe(0)
        pool.free(hole) // the only free run, below g
        const at = pool.offsetOf(g)
        const st = pool.stats()
        expect(pool.makeLongLived(g)).toBe(g)
        expect(pool.offsetOf(g)).toBe(at)
        expect(pool.isLongLived(g)).toBe(true)
        expect(pool.getPixel(g, 1, 2)).toBe(99)
        // the run it tried is free again, and counted as poolgc's own, not as a free()
        const after = pool.stats()
        expect(after.free).toBe(st.free)
        expect(after.largestFree).toBe(st.largestFree)
        expect(after.releases).toBe(st.releases)
        expect(pool.verifier().run(1e9)).toBe(true)
        checkPool(pool)
    })

    test("compaction slides short-lived objects down and lifts long-lived ones back to the top", () => {
        const pool = new Pool({ size: 4096, handles: 256 })
        const keep = pool.list(64)
        pool.setRoot("keep", keep)
        pool.disable()
        const longs: Handle[] = []
        const shorts: Handle[] = []
        for (let i = 0; i < 40; i++) {
            pool.longLived(i % 2 === 0)
            const h = pool.number(i)
            if (i % 4 < 2) {
                pool.push(keep, h)
                ;(i % 2 === 0 ? longs : shorts).push(h)
            }
        }
        pool.longLived(false)
        pool.enable()
        pool.collect()
        expect(pool.stats().freeRuns).toBeGreaterThan(2)
        while (!pool.compact());
        const st = pool.stats()
        expect(st.freeRuns).toBe(1)
        // long-lived: packed against the end of the pool, in address order
        const lo = longs.map(h => pool.offsetOf(h)).sort((a, b) => a - b)
        expect(lo[lo.length - 1]).toBe(4096 - 16)
        for (let i = 1; i < lo.length; i++) expect(lo[i] - lo[i - 1]).toBe(16)
        // short-lived: packed after the metadata and the list
        const so = shorts.map(h => pool.offsetOf(h)).sort((a, b) => a - b)
        expect(so[0]).toBe(st.meta + pool.blocksOf(keep) * 16)
        for (let i = 1; i < so.length; i++) expect(so[i] - so[i - 1]).toBe(16)
        longs.forEach(h => expect(pool.getNumber(h) % 2).toBe(0))
        shorts.forEach(h => expect(pool.getNumber(h) % 2).toBe(1))
        expect(pool.verifier().run(1e9)).toBe(true)
        checkPool(pool)
    })
})
