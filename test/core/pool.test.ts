import { describe, expect, test } from "vitest"
import { ArgumentError, HandleError, MemoryError, Pool } from "../../src/index"
import { checkPool } from "../support/check"

const BLOCK = 16

describe("the guide's story", () => {
    test("a phantom keeps its space until collect(), then the next object takes it", () => {
        const pool = new Pool()
        const base = pool.stats().meta
        const bmp = pool.bitmap(32, 32, 8) // 8 header + 8 bitmap header + 1024 pixels = 65 blocks
        pool.setRoot("blinka", bmp)
        expect(pool.offsetOf(bmp)).toBe(base)
        expect(pool.blocksOf(bmp)).toBe(65)
        const score = pool.number(50)
        pool.setRoot("score", score)
        expect(pool.offsetOf(score)).toBe(base + 65 * BLOCK)

        pool.delRoot("blinka") // dereferenced: a phantom
        const time = pool.number(655) // 10 min 55 s
        pool.setRoot("time", time)
        // first fit goes straight past the phantom
        expect(pool.offsetOf(time)).toBe(base + 66 * BLOCK)
        expect(pool.isLive(bmp)).toBe(true)

        expect(pool.collect()).toBe(true)
        expect(pool.isLive(bmp)).toBe(false)
        const next = pool.string("GAME OVER")
        expect(pool.offsetOf(next)).toBe(base)
        expect(pool.getNumber(score)).toBe(50)
        expect(pool.getNumber(time)).toBe(655)
        checkPool(pool)
    })
})

describe("allocation", () => {
    test("first fit from the lowest hole, and the hint never skips a hole", () => {
        const pool = new Pool({ size: 4096 })
        const a = pool.bytes(8) // 1 block
        const b = pool.bytes(40) // 3 blocks
        const c = pool.bytes(8)
        const base = pool.offsetOf(a)
        pool.free(b)
        const d = pool.bytes(8) // fits in b's hole
        expect(pool.offsetOf(d)).toBe(base + BLOCK)
        const e = pool.bytes(24) // 2 blocks: the rest of b's hole
        expect(pool.offsetOf(e)).toBe(base + 2 * BLOCK)
        const f = pool.bytes(8) // nothing left in the hole: after c
        expect(pool.offsetOf(f)).toBe(pool.offsetOf(c) + BLOCK)
        checkPool(pool)
    })

    test("objects carry their type, size and contents", () => {
        const pool = new Pool({ size: 4096 })
        const s = pool.string("héllo")
        expect(pool.typeOf(s)).toBe("string")
        expect(pool.getString(s)).toBe("héllo")
        expect(pool.sizeOf(s)).toBe(6)
        const n = pool.number(-2.5)
        expect(pool.getNumber(n)).toBe(-2.5)
        pool.setNumber(n, 1e300)
        expect(pool.getNumber(n)).toBe(1e300)
        const by = pool.bytes(5)
        pool.setByte(by, 4, 255)
        pool.writeBytes(by, 0, Buffer.from([1, 2]))
        expect([...pool.readBytes(by)]).toEqual([1, 2, 0, 0, 255])
        pool.readBytes(by)[0] = 99 // a copy: writing it leaves the pool alone
        expect(pool.getByte(by, 0)).toBe(1)
        const bm = pool.bitmap(10, 3, 2)
        expect(pool.bitmapSize(bm)).toEqual([10, 3, 2])
        pool.setPixel(bm, 9, 2, 3)
        pool.setPixel(bm, 0, 0, 1)
        expect(pool.getPixel(bm, 9, 2)).toBe(3)
        expect(pool.getPixel(bm, 8, 2)).toBe(0)
        expect(pool.getPixel(bm, 0, 0)).toBe(1)
        pool.fillBitmap(bm, 2)
        expect(pool.getPixel(bm, 5, 1)).toBe(2)
        const l = pool.list(1)
        expect(pool.push(l, n)).toBe(1)
        expect(pool.push(l, s)).toBe(2) // grows, keeps its handle
        expect(pool.push(l, 0)).toBe(3)
        expect(pool.length(l)).toBe(3)
        expect(pool.get(l, 1)).toBe(s)
        expect(pool.pop(l)).toBe(0)
        const K = pool.defineRecord("TileGrid", ["bitmap", "palette"])
        const r = pool.record(K)
        pool.setField(r, "bitmap", bm)
        expect(pool.getField(r, "bitmap")).toBe(bm)
        expect(pool.getField(r, "palette")).toBe(0)
        expect(pool.kindOf(r).name).toBe("TileGrid")
        checkPool(pool)
    })

    test("MemoryError says the request, the free total and the largest run; the pool is unchanged", () => {
        // compaction off: MicroPython's behaviour (test/core/compaction.test.ts has the pool with it on)
        const pool = new Pool({ size: 2048, autoCompact: false })
        const keep = pool.list(16)
        pool.setRoot("keep", keep)
        // fill with 2-block objects, then free every other one: many 32-byte holes
        const items: number[] = []
        pool.disable() // the items are unrooted until pushed below
        while (true) {
            try {
                items.push(pool.bytes(24))
            } catch (e) {
                expect(e).toBeInstanceOf(MemoryError)
                break
            }
        }
        for (let i = 0; i < items.length; i += 2) pool.free(items[i])
        for (let i = 1; i < items.length; i += 2) pool.push(keep, items[i])
        pool.enable()
        const largest = pool.stats().largestFree
        const before = Buffer.from(pool.buf)
        let err: any
        try {
            pool.bytes(largest)
        } catch (e) {
            err = e
        }
        expect(err).toBeInstanceOf(MemoryError)
        expect(err.name).toBe("MemoryError")
        const st = pool.stats()
        expect(err.message).toContain("allocating " + largest + " bytes")
        expect(err.message).toContain(st.free + " bytes free")
        expect(err.message).toContain("largest free run " + largest + " bytes")
        // the automatic collection ran (nothing to free) and the dump counter is untouched
        expect(pool.stats().collections).toBe(1)
        // the collection ran (header counters changed, the mark stack is scratch);
        // the allocation table, handles, roots and every object are as they were
        const mstack = pool.buf.readUInt16LE(24)
        const mend = mstack + 4 * pool.buf.readUInt16LE(26)
        const diff: number[] = []
        for (let i = 128; i < before.length; i++) if (before[i] !== pool.buf[i] && (i < mstack || i >= mend)) diff.push(i)
        expect(diff).toEqual([])
        checkPool(pool)
    })

    test("an allocation larger than the pool fails at once, naming the limit", () => {
        const pool = new Pool({ size: 1024 })
        expect(() => pool.bytes(5000)).toThrow(/larger than the pool/)
    })

    test("the handle table bounds the number of live objects", () => {
        const pool = new Pool({ size: 4096, handles: 3 })
        pool.setRoot("a", pool.number(1))
        pool.setRoot("b", pool.number(2))
        pool.setRoot("c", pool.number(3))
        expect(() => pool.number(4)).toThrow(/all 3 handles in use/)
        pool.delRoot("c")
        expect(pool.getNumber(pool.number(5))).toBe(5) // a collection freed a handle
        checkPool(pool)
    })
})

describe("handles", () => {
    test("a freed object's handle is stale, even after its slot and blocks are reused", () => {
        const pool = new Pool({ size: 2048, handles: 4 })
        const a = pool.number(1)
        for (let i = 0; i < 3; i++) pool.number(10 + i) // the other three slots
        pool.free(a)
        const b = pool.number(2) // the only free slot is a's, and the first free blocks too
        expect(pool.offsetOf(b)).toBe(pool.stats().meta)
        expect(b & 0xfff).toBe(a & 0xfff)
        expect(() => pool.getNumber(a)).toThrow(HandleError)
        expect(() => pool.setNumber(a, 9)).toThrow(/stale handle/)
        expect(pool.getNumber(b)).toBe(2)
    })

    test("made-up handles, wrong types and bad indexes are errors, not other objects' bytes", () => {
        const pool = new Pool({ size: 2048 })
        const n = pool.number(1)
        const l = pool.list(2)
        for (const h of [0, -1, 1.5, NaN, 4095, 123456789, undefined as any, "x" as any])
            expect(() => pool.getNumber(h)).toThrow(HandleError)
        expect(() => pool.getString(n)).toThrow(/expected a string, handle \d+ is a number/)
        expect(() => pool.get(l, 0)).toThrow(ArgumentError) // empty list
        expect(() => pool.set(l, 0, n)).toThrow(ArgumentError)
        expect(() => pool.push(l, n + 4096 * 7)).toThrow(HandleError)
        expect(() => pool.bitmap(4, 4, 3)).toThrow(/1, 2, 4 or 8/)
        for (const bad of [-1, 1.5, NaN, Infinity])
            expect(() => pool.bytes(bad)).toThrow(ArgumentError)
        checkPool(pool)
    })
})

describe("the collector", () => {
    test("frees what no root reaches and keeps what one does, through lists and records", () => {
        const pool = new Pool({ size: 8192 })
        const K = pool.defineRecord("Group", ["child", "next"])
        const g = pool.record(K)
        pool.setRoot("group", g)
        const tg = pool.record(K)
        pool.setField(g, "child", tg)
        const l = pool.list(2)
        pool.setField(tg, "next", l)
        const kept = [pool.number(1), pool.string("kept")]
        for (const h of kept) pool.push(l, h)
        const lost = [pool.number(2), pool.bitmap(8, 8, 1), pool.list(3)]
        pool.push(lost[2], kept[0]) // garbage may point at live objects
        const cycle = pool.record(K)
        pool.setField(cycle, "next", cycle) // and at itself
        expect(pool.collect()).toBe(true)
        for (const h of [g, tg, l, ...kept]) expect(pool.isLive(h)).toBe(true)
        for (const h of [...lost, cycle]) expect(pool.isLive(h)).toBe(false)
        expect(pool.stats().live).toBe(5)
        checkPool(pool)
    })

    test("a mark-stack overflow is recovered by rescanning (wide and deep graphs, a 4-entry stack)", async () => {
        const pool = new Pool({ size: 16384, markStack: 4, handles: 1000 })
        const K = pool.defineRecord("Node", ["a", "b"])
        const top = pool.list(0)
        pool.setRoot("top", top)
        const all: number[] = []
        // a wide list of small trees, each 3 deep
        for (let i = 0; i < 60; i++) {
            const r = pool.record(K)
            pool.push(top, r)
            const c1 = pool.record(K)
            const c2 = pool.record(K)
            pool.setField(r, "a", c1)
            pool.setField(r, "b", c2)
            pool.setField(c1, "a", pool.number(i))
            all.push(r, c1, c2)
        }
        for (let i = 0; i < 50; i++) pool.number(-i) // garbage
        expect(pool.collect()).toBe(false) // rescans take more than one budget
        expect(pool.stats().phase).toBe("mark")
        await pool.collectAsync()
        expect(pool.stats().phase).toBe("idle")
        for (const h of all) expect(pool.isLive(h)).toBe(true)
        expect(pool.stats().live).toBe(1 + 60 * 4)
        checkPool(pool)
    })

    test("scopes root temporaries until leave()", () => {
        const pool = new Pool({ size: 4096 })
        const outer = pool.enter()
        const a = pool.number(1)
        const inner = pool.enter()
        const b = pool.number(2)
        pool.collect()
        expect(pool.isLive(a) && pool.isLive(b)).toBe(true)
        pool.leave(inner)
        pool.collect()
        expect(pool.isLive(a)).toBe(true)
        expect(pool.isLive(b)).toBe(false)
        pool.leave(outer)
        pool.collect()
        expect(pool.isLive(a)).toBe(false)
        expect(() => pool.leave(0)).toThrow(/leave\(\) without enter\(\)/)
        checkPool(pool)
    })

    test("automatic collection on a failed allocation, and disable()/enable()", () => {
        const pool = new Pool({ size: 2048 })
        const room = pool.stats().largestFree
        pool.bytes(room - 8) // fills the pool, unrooted
        pool.disable()
        expect(() => pool.bytes(8)).toThrow(/automatic collection is disabled/)
        pool.enable()
        const b = pool.bytes(8) // collects, then fits
        expect(pool.offsetOf(b)).toBe(pool.stats().meta)
        expect(pool.stats().collections).toBe(1)
    })

    test("threshold() starts a collection after that many bytes", () => {
        const pool = new Pool({ size: 4096 })
        expect(pool.threshold()).toBe(0)
        pool.threshold(256)
        for (let i = 0; i < 16; i++) pool.number(i) // 256 bytes
        expect(pool.stats().collections).toBe(0)
        pool.number(99)
        expect(pool.stats().collections).toBe(1)
        expect(() => pool.threshold(-1)).toThrow(ArgumentError)
    })

    test("threshold(): bytes allocated while no threshold was set do not count; setting one starts the count", () => {
        const pool = new Pool({ size: 4096, handles: 128 })
        for (let i = 0; i < 32; i++) pool.number(i) // 512 bytes, no threshold
        pool.threshold(256)
        pool.number(32) // the count starts here: no collection yet
        expect(pool.stats().collections).toBe(0)
        for (let i = 0; i < 15; i++) pool.number(i) // 256 bytes since threshold() now
        expect(pool.stats().collections).toBe(0)
        pool.number(99)
        expect(pool.stats().collections).toBe(1)
        // after a collection the count starts again, from the allocation that started it
        for (let i = 0; i < 15; i++) pool.number(i)
        expect(pool.stats().collections).toBe(1)
        pool.number(100)
        expect(pool.stats().collections).toBe(2)
    })

    test("statistics: used + free = total, low-water mark, counts", () => {
        const pool = new Pool({ size: 4096 })
        const st0 = pool.stats()
        expect(st0.used + st0.free).toBe(4096)
        expect(st0.used).toBe(st0.meta)
        const x = pool.bytes(1000)
        pool.free(x)
        const st = pool.stats()
        expect(st.free).toBe(st0.free)
        expect(st.minFree).toBe(st0.free - pool_blocks(1000) * BLOCK)
        expect(st.allocs).toBe(1)
        expect(st.frees).toBe(1)
        expect(st.freeRuns).toBe(1)
        expect(pool.memFree()).toBe(st.free)
        expect(pool.memAlloc()).toBe(st.used)
    })
})

function pool_blocks(len: number) {
    return Math.ceil((len + 8) / BLOCK)
}

describe("incremental collection", () => {
    test("the program may run between steps: the write barrier keeps what it stores", () => {
        const pool = new Pool({ size: 8192 })
        const K = pool.defineRecord("Box", ["v"])
        const root = pool.record(K)
        pool.setRoot("root", root)
        const hidden = pool.number(7) // referenced only from garbage at first
        const garbage = pool.list(1)
        pool.push(garbage, hidden)
        pool.enter()
        pool.keep(garbage)
        pool.collectStep(1) // starts the cycle, roots marked
        expect(pool.stats().phase).toBe("mark")
        // move the only reference from a not-yet-scanned object into the scanned root
        pool.setField(root, "v", hidden)
        pool.set(garbage, 0, 0)
        const born = pool.number(8) // allocated during the cycle: survives it
        while (!pool.collectStep(2)) {}
        expect(pool.isLive(hidden)).toBe(true)
        expect(pool.isLive(born)).toBe(true) // kept by the scope too
        checkPool(pool)
    })

    test("collectAsync completes in slices", async () => {
        const pool = new Pool({ size: 32768, handles: 2048, budget: 50 })
        const l = pool.list(0)
        pool.setRoot("l", l)
        for (let i = 0; i < 500; i++) pool.push(l, pool.number(i))
        for (let i = 0; i < 500; i++) pool.number(i)
        await pool.collectAsync()
        expect(pool.stats().live).toBe(501)
        expect(pool.stats().lastWork).toBeGreaterThan(50)
        checkPool(pool)
    })
})

describe("edges", () => {
    test("a free run that ends at the last block of the pool is found", () => {
        const pool = new Pool({ size: 1024, handles: 40 }) // 64 blocks
        const meta = pool.stats().meta / 16
        const fill: number[] = []
        pool.disable()
        for (let b = meta; b < 61; b++) fill.push(pool.number(b)) // leave the last 3 blocks
        expect(pool.stats().largestFree).toBe(48)
        const last = pool.bytes(40) // 3 blocks
        expect(pool.offsetOf(last)).toBe(61 * 16)
        checkPool(pool)
    })
})
