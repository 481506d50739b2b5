/**
 * poolgc on the real DeviceScript VM (run by test/device/vm.test.ts in test mode,
 * with @devicescript/test). The same behaviours as test/core/pool.test.ts, where
 * the VM could differ from Node: Buffer semantics, exceptions and instanceof,
 * strings, numbers, suspension in collectAsync.
 */
import * as ds from "@devicescript/core"
import { describe, expect, test } from "@devicescript/test"
import { ArgumentError, HandleError, MAX_READ, MemoryError, Pool } from "../../src/index"
import type { Handle } from "../../src/index"

function check(cond: boolean, what: string) {
    if (!cond) throw new Error("check failed: " + what)
}

/** The error `fn` throws, or null. */
function caught(fn: () => void): any {
    try {
        fn()
    } catch (e) {
        return e
    }
    return null
}

/** A string of `n` copies of `c` (n a power of two; DeviceScript has no repeat()). */
function repeated(c: string, n: number): string {
    let s = c
    while (s.length < n) s = s + s
    return s
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
        // (a number where a string is expected: the compiler refuses it typed, the pool at run time)
        expect(() => pool.getString(b as Handle)).toThrow()
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

    test("no VM out-of-memory: long strings go in without a copy, long reads are refused before any allocation", async () => {
        await ds.sleep(0) // each test starts a fresh VM slice
        const pool = new Pool({ size: 32768 })
        // an 8,192-char string: stored straight from the string. Before, Buffer.from made an
        // 8 KB copy first: with the program holding another 4 KB, that panicked (60004)
        let text = repeated("ab", 8192)
        await ds.sleep(0)
        let ballast = Buffer.alloc(4096)
        const s = pool.string(text)
        text = null
        ballast = null
        expect(pool.sizeOf(s)).toBe(8192)
        const e1 = caught(() => pool.getString(s))
        check(e1 instanceof ArgumentError, "getString of 8,192 bytes: ArgumentError, got " + e1)
        check(e1.message.indexOf("longer than one read copies (4096)") >= 0, e1.message)
        // readInto any length, in pieces through the caller's own small Buffer
        let dst = Buffer.alloc(1024)
        let sum = 0
        for (let at = 0; at < 8192; at += 1024) {
            expect(pool.readInto(s, at, dst)).toBe(1024)
            for (let i = 0; i < 1024; i += 64) sum += dst[i] + dst[i + 1]
        }
        expect(sum).toBe(128 * (97 + 98))
        dst = null
        await ds.sleep(0)
        // readBytes in pieces of at most MAX_READ
        let piece = pool.readBytes(s, 4096, MAX_READ)
        check(piece.length === MAX_READ && piece[0] === 97 && piece[4095] === 98, "a piece")
        piece = null
        await ds.sleep(0)
        pool.free(s)
        // a 30,000-byte object: readBytes refuses it (before: a 30,000-byte VM allocation, panic 60004)
        const big = pool.bytes(30000)
        const e2 = caught(() => pool.readBytes(big))
        check(e2 instanceof ArgumentError, "readBytes of 30,000 bytes: ArgumentError, got " + e2)
        check(e2.message.indexOf("readBytes: 30000 bytes is more than one read copies (4096)") === 0, e2.message)
        // the largest reads, beside a 32 KiB pool (each result dropped before the next read):
        // MAX_READ bytes, and a string of MAX_READ bytes (a Buffer and a string of that size)
        pool.writeBytes(big, 29999, Buffer.from([7]))
        let last = pool.readBytes(big, 30000 - MAX_READ)
        check(last.length === MAX_READ && last[MAX_READ - 1] === 7, "the last MAX_READ bytes")
        last = null
        pool.free(big)
        const t = pool.string(repeated("xy", MAX_READ))
        await ds.sleep(0)
        const back = pool.getString(t)
        check(back.length === MAX_READ && back.charAt(0) === "x" && back.charAt(MAX_READ - 1) === "y", "getString of MAX_READ bytes")
        await pool.verifyAsync()
    })

    test("handles: another pool's is refused; 65,535 open scopes, then a named error", async () => {
        await ds.sleep(0) // each test starts a fresh VM slice
        const a = new Pool({ size: 1024 })
        const b = new Pool({ size: 1024 })
        const ha = a.number(1)
        const hb = b.number(2)
        check((ha & 0x7ffffff) === (hb & 0x7ffffff) && ha !== hb, "same slot and generation, another pool id")
        check((ha | 0) === ha && ha > 0, "a positive int32")
        const e1 = caught(() => a.getNumber(hb))
        check(e1 instanceof HandleError, "HandleError, got " + e1)
        check(e1.message.indexOf("handle of another pool: ") === 0, e1.message)
        const e2 = caught(() => a.getNumber(42))
        check(e2 instanceof HandleError && e2.message.indexOf("not a handle: 42 (no pool id") === 0, "42: " + e2)
        // the VM's setAt saturates a u16 at 65,535 (Node's would wrap): both now stop there with MemoryError
        a.buf.setAt(68, "u16", 65534) // H_DEPTH: 65,534 scopes open (the enter() loop would take minutes in test mode)
        a.enter()
        expect(a.buf.getAt(68, "u16")).toBe(65535)
        const e3 = caught(() => a.enter())
        check(e3 instanceof MemoryError, "MemoryError, got " + e3)
        check(e3.message.indexOf("too many open scopes (65535)") === 0, e3.message)
        expect(a.buf.getAt(68, "u16")).toBe(65535)
        a.leave(0)
        expect(a.buf.getAt(68, "u16")).toBe(65534)
        a.buf.setAt(68, "u16", 0)
        a.verify()
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
