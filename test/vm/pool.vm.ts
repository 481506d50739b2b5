/**
 * poolgc on the real DeviceScript VM (run by test/vm.test.ts in test mode,
 * with @devicescript/test). The same behaviours as test/pool.test.ts, where
 * the VM could differ from Node: Buffer semantics, exceptions and instanceof,
 * strings, numbers, suspension in collectAsync.
 */
import * as ds from "@devicescript/core"
import { describe, expect, test } from "@devicescript/test"
import { ArgumentError, HandleError, MemoryError, Pool } from "../../src/index"

function check(cond: boolean, what: string) {
    if (!cond) throw new Error("check failed: " + what)
}

describe("poolgc on the VM", () => {
    test("the guide's story: placements before and after collect()", async () => {
        await ds.sleep(0) // each test starts a fresh VM slice
        const pool = new Pool()
        const base = pool.stats().meta
        const bmp = pool.bitmap(32, 32, 8)
        pool.setRoot("blinka", bmp)
        expect(pool.offsetOf(bmp)).toBe(base)
        const score = pool.number(50)
        pool.setRoot("score", score)
        expect(pool.offsetOf(score)).toBe(base + 65 * 16)
        pool.delRoot("blinka")
        const time = pool.number(655)
        pool.setRoot("time", time)
        expect(pool.offsetOf(time)).toBe(base + 66 * 16)
        expect(pool.isLive(bmp)).toBe(true)
        expect(pool.collect()).toBe(true)
        expect(pool.isLive(bmp)).toBe(false)
        const next = pool.string("GAME OVER")
        expect(pool.offsetOf(next)).toBe(base)
        expect(pool.getNumber(time)).toBe(655)
    })

    test("contents round-trip: strings, numbers, bitmaps, lists, records", async () => {
        await ds.sleep(0) // each test starts a fresh VM slice
        const pool = new Pool({ size: 4096 })
        const s = pool.string("héllo")
        expect(pool.getString(s)).toBe("héllo")
        expect(pool.sizeOf(s)).toBe(6)
        const n = pool.number(-2.5)
        expect(pool.getNumber(n)).toBe(-2.5)
        const bm = pool.bitmap(10, 3, 2)
        pool.setPixel(bm, 9, 2, 3)
        expect(pool.getPixel(bm, 9, 2)).toBe(3)
        expect(pool.getPixel(bm, 8, 2)).toBe(0)
        const l = pool.list(1)
        pool.push(l, n)
        pool.push(l, s)
        pool.push(l, bm)
        expect(pool.length(l)).toBe(3)
        expect(pool.get(l, 2)).toBe(bm)
        expect(pool.removeAt(l, 0)).toBe(n)
        expect(pool.get(l, 0)).toBe(s)
        const K = pool.defineRecord("TileGrid", ["bitmap"])
        const r = pool.record(K)
        pool.setField(r, "bitmap", bm)
        expect(pool.getField(r, "bitmap")).toBe(bm)
    })

    test("MemoryError is catchable, says what failed, and the pool stays usable", async () => {
        await ds.sleep(0) // each test starts a fresh VM slice
        const pool = new Pool({ size: 2048 })
        const keep = pool.list(0)
        pool.setRoot("keep", keep)
        let caught: any = null
        try {
            for (let i = 0; i < 1000; i++) pool.push(keep, pool.bytes(40))
        } catch (e) {
            caught = e
        }
        check(caught instanceof MemoryError, "MemoryError expected, got " + caught)
        check(caught.message.indexOf("memory allocation failed") >= 0, caught.message)
        pool.delRoot("keep")
        const b = pool.bytes(500) // collects, then fits
        expect(pool.sizeOf(b)).toBe(500)
    })

    test("stale, made-up and mistyped handles throw HandleError", async () => {
        await ds.sleep(0) // each test starts a fresh VM slice
        const pool = new Pool({ size: 2048 })
        const a = pool.number(1)
        pool.free(a)
        const b = pool.number(2)
        let e1: any = null
        try {
            pool.getNumber(a)
        } catch (e) {
            e1 = e
        }
        check(e1 instanceof HandleError, "stale handle")
        expect(pool.getNumber(b)).toBe(2)
        expect(() => pool.getNumber(123456)).toThrow()
        expect(() => pool.getString(b)).toThrow()
    })

    test("a 4-entry mark stack overflows and rescans; collectAsync suspends and completes", async () => {
        await ds.sleep(0) // each test starts a fresh VM slice
        const pool = new Pool({ size: 8192, markStack: 4, handles: 400, budget: 100 })
        const K = pool.defineRecord("Node", ["a", "b"])
        const top = pool.list(0)
        pool.setRoot("top", top)
        const all: number[] = []
        for (let i = 0; i < 40; i++) {
            if (i % 2 === 0) await ds.sleep(0)
            const r = pool.record(K)
            pool.push(top, r)
            const c = pool.record(K)
            pool.setField(r, "a", c)
            pool.setField(c, "b", pool.number(i))
            all.push(r)
            all.push(c)
        }
        for (let i = 0; i < 30; i++) pool.number(-i)
        await ds.sleep(0)
        const t0 = ds.millis()
        await pool.collectAsync()
        for (let i = 0; i < all.length; i++) check(pool.isLive(all[i]), "object " + i + " survived")
        expect(pool.stats().live).toBe(1 + 40 * 3)
        check(pool.stats().lastWork > 100, "took more than one slice")
        check(pool.stats().lastPauseMs >= 0 && ds.millis() >= t0, "clock")
    })

    test("the write barrier keeps an object moved during marking", async () => {
        await ds.sleep(0) // each test starts a fresh VM slice
        const pool = new Pool({ size: 4096 })
        const K = pool.defineRecord("Box", ["v"])
        const root = pool.record(K)
        pool.setRoot("root", root)
        const hidden = pool.number(7)
        const garbage = pool.list(1)
        pool.push(garbage, hidden)
        pool.enter()
        pool.keep(garbage)
        pool.collectStep(1)
        expect(pool.stats().phase).toBe("mark")
        pool.setField(root, "v", hidden)
        pool.set(garbage, 0, 0)
        while (!pool.collectStep(2)) {}
        expect(pool.isLive(hidden)).toBe(true)
    })

    test("beyond MicroPython: compaction, long-lived placement, the phantom view and finalisers", async () => {
        await ds.sleep(0) // each test starts a fresh VM slice
        const pool = new Pool({ size: 4096, handles: 64, autoCompact: true })
        const keep = pool.list(40)
        pool.setRoot("keep", keep)
        const freed: number[] = []
        const items: number[] = []
        for (let i = 0; i < 40; i++) {
            const b = pool.bytes(24)
            pool.setByte(b, 0, i)
            items.push(b)
            if (i % 2 === 1) pool.push(keep, b)
        }
        pool.onFree(items[0], h => freed.push(h))
        // phantoms: the 20 even items; nothing is freed by looking
        const ph = await pool.phantoms(false, () => {})
        expect(ph.objects).toBe(20)
        expect(ph.bytes).toBe(20 * 32)
        expect(pool.isLive(items[0])).toBe(true)
        pool.collect()
        expect(freed.length).toBe(1)
        expect(freed[0]).toBe(items[0])
        check(pool.stats().freeRuns > 10, "holes after the collection")
        // an allocation that needs every free byte: it compacts, and the kept items keep their bytes
        const free = pool.stats().free
        const all = pool.bytes(free - 8)
        expect(pool.sizeOf(all)).toBe(free - 8)
        expect(pool.stats().compactions).toBe(1)
        for (let i = 1; i < 40; i += 2) expect(pool.getByte(items[i], 0)).toBe(i)
        pool.free(all)
        // long-lived placement: from the top
        pool.longLived(true)
        const top = pool.number(1)
        pool.longLived(false)
        expect(pool.offsetOf(top)).toBe(4096 - 16)
        await pool.verifyAsync()
    })

    test("memInfo lines stay under 150 characters and end with the frame", async () => {
        await ds.sleep(0) // each test starts a fresh VM slice
        const pool = new Pool({ size: 32768 })
        pool.string("x")
        const lines: string[] = []
        await pool.memInfo(true, line => {
            lines.push(line)
        })
        for (let i = 0; i < lines.length; i++) check(lines[i].length < 150, "line " + i + " is " + lines[i].length)
        check(lines[lines.length - 1].indexOf("@1:" + (lines.length - 1) + " end lines=" + (lines.length - 1) + " crc=") === 0, lines[lines.length - 1])
    })

    test("finalisers in bounded VM memory: 1,600 objects with one shared finaliser, all run; a 16th distinct function is an ArgumentError", async () => {
        await ds.sleep(0) // each test starts a fresh VM slice
        const pool = new Pool({ size: 32768, handles: 1700 })
        let ran = 0
        let sum = 0
        const shared = (h: number) => {
            ran++
            sum += h & 0xfff
        }
        let slots = 0
        for (let i = 0; i < 1600; i++) {
            if (i % 50 === 0) await ds.sleep(0)
            const h = pool.number(i)
            pool.onFree(h, shared)
            slots += h & 0xfff
        }
        await pool.collectAsync()
        expect(ran).toBe(1600)
        expect(sum).toBe(slots)
        const keep = pool.list(16)
        pool.setRoot("keep", keep)
        // a closure each, over its own value: 15 distinct functions
        const make = (k: number) => (g: number) => {
            ran += k
        }
        const made: ((g: number) => void)[] = []
        for (let i = 0; i < 15; i++) {
            const h = pool.number(i)
            pool.push(keep, h)
            made.push(make(i))
            pool.onFree(h, made[i])
        }
        const last = pool.number(15)
        pool.push(keep, last)
        pool.onFree(last, made[0]) // one already in use: accepted
        let err: any = null
        try {
            pool.onFree(last, make(15))
        } catch (e) {
            err = e
        }
        check(err instanceof ArgumentError, "a 16th distinct finaliser: " + err)
        check(err.message.indexOf("15 distinct finaliser functions are in use already") >= 0, err.message)
        await pool.verifyAsync()
    })
})
