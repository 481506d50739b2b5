/**
 * Bad input to every public Pool method: bad sizes (0, negative, fractional,
 * NaN, Infinity, larger than the pool), wrong object types, null, stale,
 * forged and mistyped handles, releasing twice, leave() without enter(),
 * collecting while collecting. Each must throw the named error
 * (ArgumentError / HandleError / MemoryError) with a message that says what
 * was wrong, and leave the pool's bytes exactly as they were.
 */
import { describe, expect, test } from "vitest"
import { ArgumentError, CorruptionError, HandleError, MAX_READ, MemoryError, Pool, PoolError, VERIFY_MAX_UNITS } from "../../src/index"
import type { Handle, RecordKind } from "../../src/index"
import { checkPool } from "../support/check"

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
    // another pool's object in the same slot with the same generation: only the pool id differs
    const foreign = other.number(7)
    return { pool, K, bytes, str, num, bmp, list, rec, gone, foreignKind, other, foreign }
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
        rejects(pool, "record(renamed copy)", () => pool.record({ ...K, name: "L" }), ArgumentError, msg)
        rejects(pool, "record(forged id)", () => pool.record({ id: 99, name: "X", fields: ["a"], pool: K.pool }), ArgumentError, msg)
        rejects(pool, "record(id 0)", () => pool.record({ ...K, id: 0 }), ArgumentError, msg)
        rejects(pool, "record(fractional id)", () => pool.record({ ...K, id: 0.5 }), ArgumentError, msg)
        rejects(pool, "record(other pool's kind)", () => pool.record(foreignKind), ArgumentError, msg)
        rejects(pool, "defineRecord('')", () => pool.defineRecord("", ["a"]), ArgumentError, /record kind needs a name/)
        rejects(pool, "defineRecord no fields", () => pool.defineRecord("X", []), ArgumentError, /^record kind X needs an array of 1 to 255 field names, got /)
        rejects(pool, "defineRecord null fields", () => pool.defineRecord("X", null as unknown as string[]), ArgumentError, /needs an array of 1 to 255 field names, got null/)
        rejects(pool, "defineRecord a string as fields", () => pool.defineRecord("X", "ab" as unknown as string[]), ArgumentError, /needs an array of 1 to 255 field names, got ab/)
        rejects(pool, "defineRecord an array-like", () => pool.defineRecord("X", { length: 1, 0: "a" } as unknown as string[]), ArgumentError, /needs an array/)
        rejects(pool, "defineRecord duplicate", () => pool.defineRecord("X", ["a", "a"]), ArgumentError, /^record kind X: field names must be distinct non-empty strings, field 1 is "a"/)
        rejects(pool, "defineRecord non-string", () => pool.defineRecord("X", ["a", 3 as unknown as string]), ArgumentError, /distinct non-empty strings, field 1 is 3/)
        rejects(pool, "defineRecord empty field name", () => pool.defineRecord("X", ["a", ""]), ArgumentError, /distinct non-empty strings, field 1 is ""/)
        rejects(pool, "defineRecord a kind name twice", () => pool.defineRecord("K", ["c"]), ArgumentError, /^record kind K is already defined \(kind 1\)/)
        rejects(pool, "defineRecord 256 fields", () => pool.defineRecord("X", Array.from({ length: 256 }, (_, i) => "f" + i)), ArgumentError, /1 to 255 field names/)
    })

    test("a record kind is a copy: changing it changes nothing in the pool, and no field access leaves its record", () => {
        const { pool, K, rec, num, str } = fixture()
        // the caller's kind grows a field: the pool's does not
        K.fields.push("c", "d", "e")
        rejects(pool, "setField through a grown kind", () => pool.setField(rec, "e", num), ArgumentError, /^record K has no field e/)
        rejects(pool, "getField through a grown kind", () => pool.getField(rec, "c"), ArgumentError, /^record K has no field c/)
        K.fields[0] = "zz"
        expect(pool.getField(rec, "a")).toBe(str)
        expect(pool.kindOf(rec).fields).toEqual(["a", "b"])
        // still a kind of this pool (by pool, id and name): a record of 2 fields
        const r2 = pool.record(K)
        expect(pool.sizeOf(r2)).toBe(8)
        // kindOf() hands out copies too
        const k = pool.kindOf(rec)
        k.fields.push("x")
        k.name = "Other"
        expect(pool.kindOf(rec)).toEqual({ id: 1, name: "K", fields: ["a", "b"], pool: K.pool })
        expect(pool.kindName(1)).toBe("K")
        // bytes written from outside the API: a record of kind K (2 fields) relabelled as a kind of 3
        const K3 = pool.defineRecord("K3", ["x", "y", "z"])
        const small = pool.record(K)
        pool.setRoot("small", small)
        pool.buf[pool.offsetOf(small) + 1] = K3.id // O_AUX
        expect(pool.getField(small, "y")).toBe(0) // inside its 8 bytes
        const before = Buffer.from(pool.buf)
        expect(() => pool.setField(small, "z", num)).toThrow(/^pool corrupt: the record at block \d+ has 8 bytes, too few for field 2 \(z\) of its kind K3/)
        expect(() => pool.getField(small, "z")).toThrow(CorruptionError)
        expect(before.equals(pool.buf)).toBe(true)
        pool.buf[pool.offsetOf(small) + 1] = 77 // a kind id never defined
        expect(() => pool.getField(small, "a")).toThrow(/^pool corrupt: the record at block \d+ has kind id 77, which this pool never defined/)
        expect(() => pool.kindOf(small)).toThrow(CorruptionError)
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
            ["slot beyond the table", (f.num & ~0x7ffffff) | (1 << 12) | 0xfff, /^not a handle: \d+ \(slot 4095; this pool has 16 handle slots\)/],
            ["stale", f.gone, /^stale handle \d+: its object was freed/],
            ["wrong generation", f.num + (5 << 12), /^stale handle \d+: its object was freed/],
            ["generation 0", f.num & ~(0x7fff << 12), /^not a handle: \d+ \(generation 0\)/],
            ["never used slot", (f.num & ~0x7ffffff) | (1 << 12) | 14, /^stale handle/],
            ["no pool id: slot and generation alone", f.num & 0x7ffffff, /^not a handle: \d+ \(no pool id: a handle of pool \d+ is at least \d+\)/],
            ["a small number", 42, /^not a handle: 42 \(no pool id/],
            ["above 2^31", 2 ** 31 + f.num, /^not a handle: /],
            ["another pool's, same slot and generation", f.foreign, /^handle of another pool: \d+ \(pool id \d+; this pool's is \d+\)/],
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
            ["readBitmap", h => pool.readBitmap(h, Buffer.alloc(8))],
            ["writeBitmap", h => pool.writeBitmap(h, Buffer.alloc(8))],
            ["cast", h => pool.cast(h, "number")],
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
            ["readBitmap", "bitmap", h => pool.readBitmap(h, Buffer.alloc(8)), [f.bytes, f.str, f.num, f.list, f.rec]],
            ["writeBitmap", "bitmap", h => pool.writeBitmap(h, Buffer.alloc(8)), [f.bytes, f.str, f.num, f.list, f.rec]],
            ["cast", "list", h => pool.cast(h, "list"), [f.bytes, f.str, f.num, f.bmp, f.rec]],
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

    test("reads: ranges, destinations, and lengths a single read would copy into VM memory", () => {
        const f = fixture()
        const { pool } = f
        const large = new Pool({ size: 16384 })
        const big = large.bytes(MAX_READ + 1)
        large.setRoot("big", big)
        const long = large.string("é".repeat(2100)) // 4,200 bytes
        large.setRoot("long", long)
        const tooMuch = /^readBytes: 4097 bytes is more than one read copies \(4096\): read in pieces with readBytes\(h, at, length\), or copy into your own Buffer with readInto\(\)/
        rejects(large, "readBytes of 4,097 bytes", () => large.readBytes(big), ArgumentError, tooMuch)
        rejects(large, "readBytes(h, 0, 4097)", () => large.readBytes(big, 0, 4097), ArgumentError, tooMuch)
        rejects(large, "readBytes of a 4,200-byte string", () => large.readBytes(long), ArgumentError, /^readBytes: 4200 bytes is more than/)
        rejects(large, "getString of 4,200 bytes", () => large.getString(long), ArgumentError, /^getString: a string of 4200 bytes is longer than one read copies \(4096\): read its bytes in pieces with readBytes\(h, at, length\) or readInto\(\)/)
        for (const v of [...BAD_NUMBERS.map(b => b[1]), "1" as unknown as number, 5]) {
            rejects(pool, "readBytes at " + v, () => pool.readBytes(f.bytes, v), ArgumentError, /^read offset must be an integer from 0 to 4, got/)
            rejects(pool, "readInto at " + v, () => pool.readInto(f.bytes, v, Buffer.alloc(4)), ArgumentError, /^read offset must be an integer from 0 to 4, got/)
            rejects(pool, "readInto dstAt " + v, () => pool.readInto(f.bytes, 0, Buffer.alloc(4), v === 5 ? 5 : v), ArgumentError, /^destination offset must be an integer from 0 to 4, got/)
        }
        rejects(pool, "readBytes length past the end", () => pool.readBytes(f.bytes, 1, 4), ArgumentError, /^read length must be an integer from 0 to 3, got 4/)
        rejects(pool, "readBytes negative length", () => pool.readBytes(f.bytes, 0, -1), ArgumentError, /^read length must be an integer from 0 to 4, got -1/)
        rejects(pool, "readInto length past the end", () => pool.readInto(f.bytes, 2, Buffer.alloc(8), 0, 3), ArgumentError, /^read length must be an integer from 0 to 2, got 3/)
        rejects(pool, "readInto past the destination", () => pool.readInto(f.bytes, 0, Buffer.alloc(8), 6, 4), ArgumentError, /^readInto: 4 bytes at 6 do not fit in a Buffer of 8/)
        for (const dst of [null, undefined, "abcd", [0, 0, 0, 0], {}])
            rejects(pool, "readInto into " + JSON.stringify(dst), () => pool.readInto(f.bytes, 0, dst as unknown as Buffer), ArgumentError, /^readInto: the destination must be a Buffer, got/)
        for (const h of [f.num, f.bmp, f.list, f.rec]) rejects(pool, "readInto(" + pool.typeOf(h) + ")", () => pool.readInto(h, 0, Buffer.alloc(4)), HandleError, /^expected bytes or a string, handle \d+ is a /)
        // what works: pieces of at most MAX_READ, and readInto of any length
        large.writeBytes(big, MAX_READ, Buffer.from([9]))
        expect([...large.readBytes(big, MAX_READ)]).toEqual([9])
        expect(large.readBytes(big, 1, MAX_READ).length).toBe(MAX_READ)
        const dst = Buffer.alloc(4200)
        expect(large.readInto(long, 0, dst)).toBe(4200)
        expect(dst.toString()).toBe("é".repeat(2100))
        expect(large.readInto(big, MAX_READ, dst, 10)).toBe(1) // to the payload's end
        expect(dst[10]).toBe(9)
        expect(pool.readInto(f.str, 0, dst, 4199)).toBe(1) // as much as fits
        expect(pool.readInto(f.str, 2, dst)).toBe(0)
        expect(large.getString(large.string("x".repeat(MAX_READ)))).toBe("x".repeat(MAX_READ))
        large.verify()
    })

    test("the small holes: scopes nested 65,535 deep, compact()'s flag, a number where a handle belongs", async () => {
        const f = fixture()
        const { pool } = f
        for (const v of ["no", 0, 1, null, NaN] as unknown[]) {
            rejects(pool, "compact(" + v + ")", () => pool.compact(v as boolean), ArgumentError, /^compact's collect must be true or false, got /)
            const before = Buffer.from(pool.buf)
            await expect(pool.compactAsync(v as boolean)).rejects.toThrow(/^compactAsync's collect must be true or false, got /)
            expect(before.equals(pool.buf)).toBe(true)
        }
        // a number that is no handle, stored into a record: it says so, not "stale"
        rejects(pool, "setField(rec, a, 42)", () => pool.setField(f.rec, "a", 42), HandleError, /^not a handle: 42 \(no pool id/)
        // scopes: 65,535 open, then a named error (before, Node wrapped the u16 depth to 0 and the VM stuck at 65,535)
        for (let i = 0; i < 65535; i++) pool.enter()
        rejects(pool, "enter() at depth 65,535", () => pool.enter(), MemoryError, /^too many open scopes \(65535\): every enter\(\) needs its leave\(\)/)
        for (let i = 0; i < 65535; i++) pool.leave(0)
        rejects(pool, "leave() after the last", () => pool.leave(0), ArgumentError, /^leave\(\) without enter\(\)/)
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
        // slots are taken in turn: the 16 slots come round to the bitmap's again within 16 allocations
        let again = 0
        for (let i = 0; i < 16 && (again & 0xfff) !== (f.bmp & 0xfff); i++) {
            if (again !== 0) pool.free(again)
            again = pool.bitmap(4, 2, 2)
        }
        expect(again & 0xfff).toBe(f.bmp & 0xfff) // the same slot, a new generation
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
