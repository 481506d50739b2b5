/**
 * Bad input to every public Pool method: bad sizes (0, negative, fractional,
 * NaN, Infinity, larger than the pool), wrong object types, null, stale,
 * forged and mistyped handles, releasing twice, leave() without enter(),
 * collecting while collecting. Each must throw the named error
 * (ArgumentError / HandleError / MemoryError) with a message that says what
 * was wrong, and leave the pool's bytes exactly as they were.
 */
import { describe, expect, test } from "vitest"
import { ArgumentError, HandleError, MemoryError, Pool, PoolError, VERIFY_MAX_UNITS } from "../src/index"
import type { Handle, RecordKind } from "../src/index"
import { checkPool } from "./support/check"

type ErrClass = typeof ArgumentError | typeof HandleError | typeof MemoryError

/** A small pool with one object of each type, rooted, and a freed (stale) handle. */
function fixture() {
    const pool = new Pool({ size: 2048, namedRoots: 4, rootStack: 4 })
    const K = pool.defineRecord("K", ["a", "b"])
    const bytes = pool.bytes(4)
    const str = pool.string("hi")
    const num = pool.number(7)
    const bmp = pool.bitmap(4, 2, 2)
    const list = pool.list(2)
    const rec = pool.record(K)
    pool.push(list, num)
    pool.setField(rec, "a", str)
    pool.setRoot("all", list)
    for (const h of [bytes, str, bmp, rec]) pool.push(list, h)
    const gone = pool.number(1)
    pool.free(gone)
    const other = new Pool({ size: 1024 })
    const foreignKind = other.defineRecord("K", ["a", "b"])
    return { pool, K, bytes, str, num, bmp, list, rec, gone, foreignKind }
}

/** Runs `fn`, expecting `cls` with a message matching `msg`, and the pool's bytes unchanged. */
function rejects(pool: Pool, what: string, fn: () => unknown, cls: ErrClass, msg: RegExp) {
    const before = Buffer.from(pool.buf) // a copy
    let err: unknown = null
    try {
        fn()
    } catch (e) {
        err = e
    }
    if (err === null) throw new Error(what + ": did not throw")
    if (!(err instanceof cls)) throw new Error(what + ": threw " + (err as Error).name + " (" + (err as Error).message + "), expected " + cls.name)
    expect((err as Error).name, what).toBe(cls.name)
    expect(err, what).toBeInstanceOf(PoolError)
    expect((err as Error).message, what).toMatch(msg)
    const same = before.equals(pool.buf)
    if (!same) {
        let i = 0
        while (before[i] === pool.buf[i]) i++
        throw new Error(what + ": pool byte " + i + " changed from " + before[i] + " to " + pool.buf[i])
    }
    pool.verify()
    checkPool(pool)
}

const BAD_NUMBERS: [string, number][] = [
    ["negative", -1],
    ["fractional", 1.5],
    ["NaN", NaN],
    ["Infinity", Infinity],
    ["-Infinity", -Infinity],
    ["huge", 2 ** 40],
]
const NOT_NUMBERS: [string, unknown][] = [
    ["a string", "4"],
    ["null", null],
    ["undefined", undefined],
    ["an object", {}],
]

describe("bad input leaves the pool unchanged and says what was wrong", () => {
    test("the constructor", () => {
        for (const size of [0, -1024, 1024.5, NaN, Infinity, 1000, 512, 32768 + 64, 65536, "2048" as unknown as number]) {
            expect(() => new Pool({ size }), "size " + size).toThrow(ArgumentError)
            expect(() => new Pool({ size }), "size " + size).toThrow(/pool size must be a multiple of 64 from 1024 to 32768, got/)
        }
        for (const [opt, bad] of [
            ["handles", [0, -1, 1.5, NaN, Infinity, 65]],
            ["namedRoots", [0, -1, 1.5, NaN, 65]],
            ["rootStack", [0, 1.5, 257, NaN]],
            ["markStack", [3, 257, 4.5, NaN]],
            ["budget", [15, -1, 1.5, NaN, Infinity]],
        ] as [string, number[]][]) {
            for (const v of bad) expect(() => new Pool({ size: 1024, [opt]: v }), opt + " " + v).toThrow(new RegExp("^" + opt + " must be an integer"))
        }
        // tables that do not fit
        expect(() => new Pool({ size: 1024, handles: 64, namedRoots: 64, rootStack: 256, markStack: 256 })).toThrow(/too small for its tables/)
    })

    test("allocation sizes: 0 where not allowed, negative, fractional, NaN, Infinity, larger than the pool", () => {
        const { pool } = fixture()
        for (const [name, n] of BAD_NUMBERS) {
            rejects(pool, "bytes(" + name + ")", () => pool.bytes(n), ArgumentError, /^bytes length must be an integer from 0 to 65527, got/)
            rejects(pool, "list(" + name + ")", () => pool.list(n), ArgumentError, /^list capacity must be an integer from 0 to/)
            rejects(pool, "bitmap width " + name, () => pool.bitmap(n, 1, 1), ArgumentError, /^bitmap width must be an integer from 1 to 4096/)
            rejects(pool, "bitmap height " + name, () => pool.bitmap(1, n, 1), ArgumentError, /^bitmap height must be an integer from 1 to 4096/)
            rejects(pool, "bitmap bpp " + name, () => pool.bitmap(1, 1, n), ArgumentError, /^bitmap bits per pixel must be 1, 2, 4 or 8/)
        }
        for (const [name, v] of NOT_NUMBERS) {
            rejects(pool, "bytes(" + name + ")", () => pool.bytes(v as number), ArgumentError, /bytes length must be an integer/)
            rejects(pool, "list(" + name + ")", () => pool.list(v as number), ArgumentError, /list capacity must be an integer/)
            rejects(pool, "number(" + name + ")", () => pool.number(v as number), ArgumentError, /^number value must be a number/)
        }
        for (const v of [5, null, undefined, {}, ["a"]])
            rejects(pool, "string(" + v + ")", () => pool.string(v as unknown as string), ArgumentError, /^string value must be a string/)
        rejects(pool, "bitmap(0, 1, 1)", () => pool.bitmap(0, 1, 1), ArgumentError, /bitmap width/)
        rejects(pool, "bitmap(1, 0, 1)", () => pool.bitmap(1, 0, 1), ArgumentError, /bitmap height/)
        rejects(pool, "bitmap(1, 1, 0)", () => pool.bitmap(1, 1, 0), ArgumentError, /bits per pixel must be 1, 2, 4 or 8, got 0/)
        rejects(pool, "bitmap(1, 1, 3)", () => pool.bitmap(1, 1, 3), ArgumentError, /got 3/)
        rejects(pool, "bitmap(4096, 4096, 8)", () => pool.bitmap(4096, 4096, 8), ArgumentError, /bitmap of 4096x4096x8 is too large/)
        rejects(pool, "bytes(65528)", () => pool.bytes(65528), ArgumentError, /got 65528/)
        rejects(pool, "string of 70000 bytes", () => pool.string("x".repeat(70000)), ArgumentError, /string of 70000 bytes is too long/)
        // larger than the pool: MemoryError, and nothing collected for it
        pool.collectStep(1) // even with a collection in progress
        const larger = /^memory allocation failed, allocating \d+ bytes: larger than the pool \(\d+ bytes for objects\)/
        rejects(pool, "bytes(4096)", () => pool.bytes(4096), MemoryError, larger)
        rejects(pool, "bytes(65527)", () => pool.bytes(65527), MemoryError, larger)
        rejects(pool, "list(5000)", () => pool.list(5000), MemoryError, larger)
        rejects(pool, "string(3000)", () => pool.string("y".repeat(3000)), MemoryError, larger)
        rejects(pool, "bitmap(200, 200, 1)", () => pool.bitmap(200, 200, 1), MemoryError, larger)
    })

    test("record kinds: undefined, forged, another pool's; bad definitions", () => {
        const { pool, K, foreignKind } = fixture()
        const msg = /^record kind was not defined by this pool/
        rejects(pool, "record(undefined)", () => pool.record(undefined as unknown as RecordKind), ArgumentError, msg)
        rejects(pool, "record(copy)", () => pool.record({ ...K }), ArgumentError, msg)
        rejects(pool, "record(forged id)", () => pool.record({ id: 99, name: "X", fields: ["a"] }), ArgumentError, msg)
        rejects(pool, "record(other pool's kind)", () => pool.record(foreignKind), ArgumentError, msg)
        rejects(pool, "defineRecord('')", () => pool.defineRecord("", ["a"]), ArgumentError, /record kind needs a name/)
        rejects(pool, "defineRecord no fields", () => pool.defineRecord("X", []), ArgumentError, /record kind X needs 1 to 255 fields/)
        rejects(pool, "defineRecord null fields", () => pool.defineRecord("X", null as unknown as string[]), ArgumentError, /needs 1 to 255 fields/)
        rejects(pool, "defineRecord duplicate", () => pool.defineRecord("X", ["a", "a"]), ArgumentError, /field names must be distinct strings/)
        rejects(pool, "defineRecord non-string", () => pool.defineRecord("X", ["a", 3 as unknown as string]), ArgumentError, /distinct strings/)
        rejects(pool, "defineRecord 256 fields", () => pool.defineRecord("X", Array.from({ length: 256 }, (_, i) => "f" + i)), ArgumentError, /1 to 255 fields/)
    })

    test("null, negative, fractional, non-number, forged, stale and mistyped handles, everywhere", () => {
        const f = fixture()
        const { pool } = f
        const forged: [string, Handle, RegExp][] = [
            ["null", 0, /^not a handle: 0/],
            ["negative", -1, /^not a handle: -1/],
            ["fractional", f.num + 0.5, /^not a handle: /],
            ["NaN", NaN, /^not a handle: NaN/],
            ["Infinity", Infinity, /^not a handle: Infinity/],
            ["a string", "4097" as unknown as Handle, /^not a handle: 4097/],
            ["undefined", undefined as unknown as Handle, /^not a handle: undefined/],
            ["slot beyond the table", (1 << 12) | 0xfff, /^not a handle of this pool: /],
            ["stale", f.gone, /^stale handle \d+: its object was freed/],
            ["wrong generation", f.num + (5 << 12), /^stale handle \d+: its object was freed/],
            ["generation 0", f.num & 0xfff, /^stale handle/],
            ["never used slot", (1 << 12) | 14, /^stale handle/],
        ]
        const ops: [string, (h: Handle) => unknown][] = [
            ["typeOf", h => pool.typeOf(h)],
            ["makeLongLived", h => pool.makeLongLived(h)],
            ["isLongLived", h => pool.isLongLived(h)],
            ["onFree", h => pool.onFree(h, () => {})],
            ["sizeOf", h => pool.sizeOf(h)],
            ["blocksOf", h => pool.blocksOf(h)],
            ["offsetOf", h => pool.offsetOf(h)],
            ["free", h => pool.free(h)],
            ["getByte", h => pool.getByte(h, 0)],
            ["setByte", h => pool.setByte(h, 0, 1)],
            ["readBytes", h => pool.readBytes(h)],
            ["writeBytes", h => pool.writeBytes(h, 0, Buffer.from([1]))],
            ["getNumber", h => pool.getNumber(h)],
            ["setNumber", h => pool.setNumber(h, 1)],
            ["getString", h => pool.getString(h)],
            ["bitmapSize", h => pool.bitmapSize(h)],
            ["getPixel", h => pool.getPixel(h, 0, 0)],
            ["setPixel", h => pool.setPixel(h, 0, 0, 1)],
            ["fillBitmap", h => pool.fillBitmap(h, 1)],
            ["length", h => pool.length(h)],
            ["get", h => pool.get(h, 0)],
            ["set", h => pool.set(h, 0, 0)],
            ["push", h => pool.push(h, 0)],
            ["pop", h => pool.pop(h)],
            ["removeAt", h => pool.removeAt(h, 0)],
            ["getField", h => pool.getField(h, "a")],
            ["setField", h => pool.setField(h, "a", 0)],
            ["kindOf", h => pool.kindOf(h)],
            ["setRoot", h => pool.setRoot("x", h)],
            ["keep", h => pool.keep(h)],
            // as the value stored, into a valid object
            ["set value", h => pool.set(f.list, 0, h === 0 ? -1 : h)],
            ["push value", h => pool.push(f.list, h === 0 ? -1 : h)],
            ["setField value", h => pool.setField(f.rec, "b", h === 0 ? -1 : h)],
        ]
        for (const [hname, h, msg] of forged) {
            for (const [oname, op] of ops) {
                const m = oname.endsWith("value") && h === 0 ? /^not a handle: -1/ : msg
                rejects(pool, oname + "(" + hname + ")", () => op(h), HandleError, m)
            }
            expect(pool.isLive(h)).toBe(false)
        }
        // keep() with an open scope, too
        const mark = pool.enter()
        for (const [hname, h, msg] of forged) rejects(pool, "keep(" + hname + ") in a scope", () => pool.keep(h), HandleError, msg)
        pool.leave(mark)
        // storing null is fine where a value is expected
        pool.set(f.list, 0, 0)
        pool.setField(f.rec, "b", 0)
    })

    test("mistyped handles name the expected and the actual type", () => {
        const f = fixture()
        const { pool } = f
        const typed: [string, string, (h: Handle) => unknown, Handle[]][] = [
            ["getByte", "bytes", h => pool.getByte(h, 0), [f.str, f.num, f.bmp, f.list, f.rec]],
            ["setByte", "bytes", h => pool.setByte(h, 0, 1), [f.str, f.num, f.bmp, f.list, f.rec]],
            ["writeBytes", "bytes", h => pool.writeBytes(h, 0, Buffer.from([1])), [f.str, f.num, f.bmp, f.list, f.rec]],
            ["getNumber", "number", h => pool.getNumber(h), [f.bytes, f.str, f.bmp, f.list, f.rec]],
            ["setNumber", "number", h => pool.setNumber(h, 2), [f.bytes, f.str, f.bmp, f.list, f.rec]],
            ["getString", "string", h => pool.getString(h), [f.bytes, f.num, f.bmp, f.list, f.rec]],
            ["bitmapSize", "bitmap", h => pool.bitmapSize(h), [f.bytes, f.str, f.num, f.list, f.rec]],
            ["getPixel", "bitmap", h => pool.getPixel(h, 0, 0), [f.bytes, f.str, f.num, f.list, f.rec]],
            ["setPixel", "bitmap", h => pool.setPixel(h, 0, 0, 1), [f.bytes, f.str, f.num, f.list, f.rec]],
            ["fillBitmap", "bitmap", h => pool.fillBitmap(h, 1), [f.bytes, f.str, f.num, f.list, f.rec]],
            ["length", "list", h => pool.length(h), [f.bytes, f.str, f.num, f.bmp, f.rec]],
            ["get", "list", h => pool.get(h, 0), [f.bytes, f.str, f.num, f.bmp, f.rec]],
            ["set", "list", h => pool.set(h, 0, f.num), [f.bytes, f.str, f.num, f.bmp, f.rec]],
            ["push", "list", h => pool.push(h, f.num), [f.bytes, f.str, f.num, f.bmp, f.rec]],
            ["pop", "list", h => pool.pop(h), [f.bytes, f.str, f.num, f.bmp, f.rec]],
            ["removeAt", "list", h => pool.removeAt(h, 0), [f.bytes, f.str, f.num, f.bmp, f.rec]],
            ["getField", "record", h => pool.getField(h, "a"), [f.bytes, f.str, f.num, f.bmp, f.list]],
            ["setField", "record", h => pool.setField(h, "a", f.num), [f.bytes, f.str, f.num, f.bmp, f.list]],
            ["kindOf", "record", h => pool.kindOf(h), [f.bytes, f.str, f.num, f.bmp, f.list]],
        ]
        for (const [name, want, op, hs] of typed) {
            for (const h of hs) {
                const actual = pool.typeOf(h)
                rejects(pool, name + "(" + actual + ")", () => op(h), HandleError, new RegExp("^expected a " + want + ", handle " + h + " is a " + actual + "$"))
            }
        }
        for (const h of [f.num, f.bmp, f.list, f.rec])
            rejects(pool, "readBytes(" + pool.typeOf(h) + ")", () => pool.readBytes(h), HandleError, /^expected bytes or a string, handle \d+ is a /)
    })

    test("indices, values and names out of range", () => {
        const f = fixture()
        const { pool } = f
        const bad = [...BAD_NUMBERS.map(b => b[1]), "1" as unknown as number]
        for (const i of [...bad, 4, 100])
            rejects(pool, "getByte index " + i, () => pool.getByte(f.bytes, i), ArgumentError, /^byte index must be an integer from 0 to 3, got/)
        for (const v of [...bad, 256])
            rejects(pool, "setByte value " + v, () => pool.setByte(f.bytes, 0, v), ArgumentError, /^byte value must be an integer from 0 to 255, got/)
        for (const i of [...bad, 5]) {
            rejects(pool, "get " + i, () => pool.get(f.list, i), ArgumentError, /^list index must be an integer from 0 to 4, got/)
            rejects(pool, "set " + i, () => pool.set(f.list, i, 0), ArgumentError, /^list index must be an integer from 0 to 4, got/)
            rejects(pool, "removeAt " + i, () => pool.removeAt(f.list, i), ArgumentError, /^list index must be an integer from 0 to 4, got/)
        }
        const empty = pool.list(0)
        pool.setRoot("empty", empty)
        rejects(pool, "pop empty", () => pool.pop(empty), ArgumentError, /^pop from an empty list/)
        rejects(pool, "removeAt empty", () => pool.removeAt(empty, 0), ArgumentError, /^list index must be an integer from 0 to -1, got 0/)
        rejects(pool, "get empty", () => pool.get(empty, 0), ArgumentError, /from 0 to -1, got 0/)
        for (const x of [...bad, 4]) {
            rejects(pool, "getPixel x " + x, () => pool.getPixel(f.bmp, x, 0), ArgumentError, /^pixel x must be an integer from 0 to 3, got/)
            rejects(pool, "setPixel x " + x, () => pool.setPixel(f.bmp, x, 0, 1), ArgumentError, /^pixel x must be an integer from 0 to 3, got/)
        }
        for (const y of [...bad, 2]) rejects(pool, "setPixel y " + y, () => pool.setPixel(f.bmp, 0, y, 1), ArgumentError, /^pixel y must be an integer from 0 to 1, got/)
        for (const c of [...bad, 4]) {
            rejects(pool, "setPixel colour " + c, () => pool.setPixel(f.bmp, 0, 0, c), ArgumentError, /^pixel colour must be an integer from 0 to 3, got/)
            rejects(pool, "fillBitmap colour " + c, () => pool.fillBitmap(f.bmp, c), ArgumentError, /^pixel colour must be an integer from 0 to 3, got/)
        }
        for (const at of [...bad, 5]) rejects(pool, "writeBytes at " + at, () => pool.writeBytes(f.bytes, at, Buffer.from([1])), ArgumentError, /^write offset must be an integer from 0 to 4/)
        rejects(pool, "writeBytes too long", () => pool.writeBytes(f.bytes, 2, Buffer.from([1, 2, 3])), ArgumentError, /^writeBytes: 3 bytes at 2 do not fit in 4/)
        rejects(pool, "writeBytes null", () => pool.writeBytes(f.bytes, 0, null as unknown as Buffer), ArgumentError, /^writeBytes: 0 bytes at 0/)
        for (const src of ["ab", 5, {}, [1, 2]])
            rejects(pool, "writeBytes " + JSON.stringify(src), () => pool.writeBytes(f.bytes, 0, src as unknown as Buffer), ArgumentError, /^writeBytes: the source must be a Buffer/)
        for (const v of NOT_NUMBERS) rejects(pool, "setNumber " + v[0], () => pool.setNumber(f.num, v[1] as number), ArgumentError, /^number value must be a number/)
        rejects(pool, "getField no such", () => pool.getField(f.rec, "zz"), ArgumentError, /^record K has no field zz/)
        rejects(pool, "setField no such", () => pool.setField(f.rec, "zz", f.num), ArgumentError, /^record K has no field zz/)
        // roots
        for (const nm of ["", 5, null, undefined] as unknown as string[])
            rejects(pool, "setRoot name " + nm, () => pool.setRoot(nm, f.num), ArgumentError, /^root name must be a non-empty string/)
        rejects(pool, "getRoot missing", () => pool.getRoot("nope"), ArgumentError, /^no root named nope/)
        rejects(pool, "delRoot missing", () => pool.delRoot("nope"), ArgumentError, /^no root named nope/)
        pool.setRoot("r3", f.num)
        pool.setRoot("r4", f.num)
        rejects(pool, "setRoot with every slot in use", () => pool.setRoot("r5", f.num), MemoryError, /^all 4 named roots are in use \(raise namedRoots\)/)
        pool.delRoot("r4")
        rejects(pool, "delRoot twice", () => pool.delRoot("r4"), ArgumentError, /^no root named r4/)
        // threshold, collectStep, verifyAsync
        for (const v of [...bad, 40000]) rejects(pool, "threshold " + v, () => pool.threshold(v), ArgumentError, /^threshold must be an integer from 0 to 32768, got/)
        for (const v of [...bad, 0]) rejects(pool, "collectStep " + v, () => pool.collectStep(v), ArgumentError, /^budget must be an integer from 1 to 1000000, got/)
    })

    test("verifyAsync with a bad slice size", async () => {
        const { pool } = fixture()
        const before = Buffer.from(pool.buf)
        const limit = new RegExp("^verify units must be an integer from 1 to " + VERIFY_MAX_UNITS + " \\(what fits in half a VM slice\\)")
        for (const v of [0, -1, 1.5, NaN, VERIFY_MAX_UNITS + 1, 2 ** 31 - 1]) {
            await expect(pool.verifyAsync(v)).rejects.toThrow(limit)
            expect(() => pool.verify(v)).toThrow(limit)
        }
        expect(before.equals(pool.buf)).toBe(true)
    })

    test("releasing twice, and every handle to the released object", () => {
        const f = fixture()
        const { pool } = f
        pool.free(f.bmp) // still in the list: a stale reference there is legal
        rejects(pool, "free twice", () => pool.free(f.bmp), HandleError, /^stale handle \d+: its object was freed/)
        rejects(pool, "use after free", () => pool.getPixel(f.bmp, 0, 0), HandleError, /^stale handle/)
        const again = pool.bitmap(4, 2, 2) // takes the same slot, a new generation
        expect(again & 0xfff).toBe(f.bmp & 0xfff)
        rejects(pool, "free the old handle once the slot is reused", () => pool.free(f.bmp), HandleError, /^stale handle/)
        expect(pool.isLive(again)).toBe(true)
    })

    test("scopes: leave() without enter(), bad marks, keep() without a scope, root stack full", () => {
        const f = fixture()
        const { pool } = f
        rejects(pool, "leave without enter", () => pool.leave(0), ArgumentError, /^leave\(\) without enter\(\)/)
        rejects(pool, "keep without a scope", () => pool.keep(f.num), ArgumentError, /^keep\(\) needs an open scope: call enter\(\) first/)
        const mark = pool.enter()
        pool.keep(f.num)
        for (const m of [...BAD_NUMBERS.map(b => b[1]), 2]) rejects(pool, "leave(" + m + ")", () => pool.leave(m), ArgumentError, /^scope mark must be an integer from 0 to 1, got/)
        pool.keep(f.str)
        pool.number(1)
        pool.number(2) // the root stack (4) is full now
        rejects(pool, "keep with the root stack full", () => pool.keep(f.bmp), MemoryError, /^root stack full \(4 temporaries\)/)
        rejects(pool, "allocate with the root stack full", () => pool.number(3), MemoryError, /^root stack full \(4 temporaries\): leave\(\) a scope or raise rootStack/)
        pool.leave(mark)
        rejects(pool, "leave twice", () => pool.leave(mark), ArgumentError, /^leave\(\) without enter\(\)/)
    })

    test("the settings of issue 6: long-lived placement, automatic compaction, finalisers; options", () => {
        const f = fixture()
        const { pool } = f
        for (const v of ["yes", 1, null, NaN] as unknown[]) {
            rejects(pool, "longLived " + v, () => pool.longLived(v as boolean), ArgumentError, /^longLived takes true or false, got /)
            rejects(pool, "autoCompact " + v, () => pool.autoCompact(v as boolean), ArgumentError, /^autoCompact takes true or false, got /)
            rejects(pool, "packedMap " + v, () => pool.packedMap(v as boolean), ArgumentError, /^packedMap takes true or false, got /)
        }
        rejects(pool, "onFree with a number", () => pool.onFree(f.num, 5 as any), ArgumentError, /^onFree needs a function or null, got 5/)
        for (const opt of ["autoCompact", "debug", "packedMap"])
            for (const v of ["yes", 0, 1, null])
                expect(() => new Pool({ size: 1024, [opt]: v }), opt + " " + v).toThrow(new RegExp("^" + opt + " must be true or false, got "))
        // a phantom view while collecting, and compacting while collecting: see below
    })

    test("collecting while collecting changes nothing; a second collectAsync() runs after the first", async () => {
        const f = fixture()
        const { pool } = f
        pool.delRoot("all")
        const running = pool.collectAsync()
        // collectAsync suspends before its first step; then it is running
        const before = Buffer.from(pool.buf)
        expect(pool.collect()).toBe(false)
        expect(pool.collectStep(5)).toBe(false)
        expect(pool.compact()).toBe(false)
        expect(pool.compact(false)).toBe(false)
        expect(before.equals(pool.buf)).toBe(true)
        const second = pool.collectAsync() // waits for the first, then runs a collection of its own
        await running
        expect(pool.stats().collections).toBe(1)
        await second
        expect(pool.stats().collections).toBe(2)
        expect(pool.stats().live).toBe(0)
        pool.verify()
    })

    test("a pool stays usable after every rejection", () => {
        const f = fixture()
        const { pool } = f
        expect(() => pool.bytes(-1)).toThrow(ArgumentError)
        expect(() => pool.free(f.gone)).toThrow(HandleError)
        expect(() => pool.bytes(5000)).toThrow(MemoryError)
        const h = pool.string("still fine")
        pool.push(f.list, h)
        expect(pool.getString(pool.get(f.list, 5))).toBe("still fine")
        expect(pool.collect()).toBe(true)
        expect(pool.getString(h)).toBe("still fine")
        pool.verify()
        checkPool(pool)
    })
})
