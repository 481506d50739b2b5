/**
 * The typed object API of a pool (ObjectPool, on PoolCore): the constructors
 * of bytes, bitmaps, numbers, strings, lists and records, their accessors,
 * list growth, record kinds and fields, long-lived placement and onFree().
 * Every accessor resolves its handle through PoolCore's head() or typed()
 * (one handle check, charged C_ACCESS) before it reads or writes the
 * object's payload, and never reaches past the object's own length (O_LEN).
 * A reference is stored through the write barrier (storeRef(), or shade()
 * inline on push()), so a collection in progress never misses it.
 *
 * ObjectPool is a whole pool without the diagnostics (stats, dumps, the
 * phantom view, verify): a program that needs none of them can use it
 * instead of Pool and leave their code out of its firmware (BENCHMARKS.md,
 * "Pool split"). MonitoredPool (diagnostics.ts) adds them but the check.
 */
import { intArg, intError, isInt } from "./args"
import { PoolCore } from "./core"
import type { RecordKind } from "./core"
import { ATB } from "./allocator"
import { pushMark, shade } from "./collector"
import { ArgumentError, CorruptionError, MemoryError } from "./errors"
import { C_ACCESS, C_BAND, C_CALL, charge, C_FIELD, C_PIXEL, meter } from "./meter"
import {
    AT_MARK,
    BM_BPP,
    BM_DATA,
    BM_HEIGHT,
    BM_STRIDE,
    BM_WIDTH,
    F_LONG,
    H_PHASE,
    LIST_COUNT,
    LIST_ITEMS,
    OBJ_HEADER,
    OF_LONG,
    O_AUX,
    O_LEN,
    O_SLOT,
    PHASE_IDLE,
    PHASE_MARK,
    TYPE_NAMES,
    T_BITMAP,
    T_BYTES,
    T_LIST,
    T_NUMBER,
    T_RECORD,
    T_STRING,
} from "./layout"
import { utf8Length } from "../platform"
import type {
    BitmapHandle,
    BytesHandle,
    Checked,
    Handle,
    HandleKind,
    HandleOf,
    ListHandle,
    NumberHandle,
    RecordHandle,
    StringHandle,
} from "./handles"

export type { RecordKind } from "./core"

/**
 * Largest payload readBytes() and getString() copy out of the pool in one
 * call: each result is a new VM allocation (getString() makes two: the bytes,
 * then the string), and the VM's out-of-memory is an uncatchable panic. On a
 * 64 KB VM heap beside a 32 KiB pool, what is left in one piece can be under
 * 10 KB (docs/boards.md). Longer payloads are read in pieces (readBytes(h,
 * at, length)) or copied into the caller's own Buffer (readInto()).
 */
export const MAX_READ = 4096

/**
 * A managed memory pool without the diagnostics: everything Pool has but
 * stats(), resetMinFree(), memInfo(), phantoms(), verify(), verifyAsync(),
 * verifier(), packedMap() and kindName(). The same pool, byte for byte, in
 * less firmware than MonitoredPool or Pool.
 *
 * ```ts
 * const pool = new ObjectPool({ size: 8192 })
 * const n = pool.number(42)
 * pool.setRoot("answer", n)
 * ```
 */
export class ObjectPool extends PoolCore {
    // ------------------------------------------------------------------
    // constructors of typed objects

    /** Raw bytes, zero-filled. */
    bytes(length: number): BytesHandle {
        if ((length | 0) !== length) throw intError(length, "bytes length", 0, 0xffff - OBJ_HEADER)
        if (length < 0) throw intError(length, "bytes length", 0, 0xffff - OBJ_HEADER)
        if (length > 0xffff - OBJ_HEADER) throw intError(length, "bytes length", 0, 0xffff - OBJ_HEADER)
        const h = this.alloc(T_BYTES, 0, length)
        if (this.finalisers.due > 0) this.drain(h)
        return h
    }

    /** A bitmap of `width` x `height` pixels of `bpp` bits (1, 2, 4 or 8), all 0. */
    bitmap(width: number, height: number, bpp: number): BitmapHandle {
        intArg(width, "bitmap width", 1, 4096)
        intArg(height, "bitmap height", 1, 4096)
        if (bpp !== 1 && bpp !== 2 && bpp !== 4 && bpp !== 8) throw new ArgumentError("bitmap bits per pixel must be 1, 2, 4 or 8, got " + bpp)
        const stride = (width * bpp + 7) >> 3
        const len = BM_DATA + stride * height
        if (len > 0xffff - OBJ_HEADER) throw new ArgumentError("bitmap of " + width + "x" + height + "x" + bpp + " is too large")
        const h = this.alloc(T_BITMAP, 0, len)
        const p = this.allocated + OBJ_HEADER
        const buf = this.buf
        buf.setAt(p + BM_WIDTH, "u16", width)
        buf.setAt(p + BM_HEIGHT, "u16", height)
        buf[p + BM_BPP] = bpp
        buf.setAt(p + BM_STRIDE, "u16", stride)
        if (this.finalisers.due > 0) this.drain(h)
        return h
    }

    /** A number (a 64-bit float, MicroPython's boxed float). */
    number(value: number): NumberHandle {
        if (typeof value !== "number") throw new ArgumentError("number value must be a number, got " + value)
        const h = this.alloc(T_NUMBER, 0, 8)
        this.buf.setAt(this.allocated + OBJ_HEADER, "f64", value)
        if (this.finalisers.due > 0) this.drain(h)
        return h
    }

    /**
     * A string, stored as UTF-8. Its bytes go straight from the string into
     * the pool: no VM allocation on the way, whatever its length.
     */
    string(text: string): StringHandle {
        if (typeof text !== "string") throw new ArgumentError("string value must be a string, got " + text)
        const n = utf8Length(text)
        if (n > 0xffff - OBJ_HEADER) throw new ArgumentError("string of " + n + " bytes is too long")
        const h = this.alloc(T_STRING, 0, n)
        this.buf.blitAt(this.allocated + OBJ_HEADER, text, 0, n)
        if (this.finalisers.due > 0) this.drain(h)
        return h
    }

    /**
     * An empty list of references with room for `capacity` items; push() grows
     * it. `pool.list<BytesHandle>(4)` types its items (see handles.ts).
     */
    list<T extends Handle = Handle>(capacity: number): ListHandle<T> {
        intArg(capacity, "list capacity", 0, (0xffff - OBJ_HEADER - LIST_ITEMS) >> 2)
        const h = this.alloc(T_LIST, 0, LIST_ITEMS + capacity * 4)
        if (this.finalisers.due > 0) this.drain(h)
        return h
    }

    /**
     * Declares a record kind with named reference fields: a name no other
     * kind of this pool has, and an array of 1 to 255 distinct non-empty
     * names. Up to 255 kinds a pool. The pool keeps its own copy; the kind
     * returned is another.
     */
    defineRecord<F extends string>(name: string, fields: F[]): RecordKind<F> {
        charge(C_ACCESS, "defineRecord()")
        if (typeof name !== "string" || name.length === 0) throw new ArgumentError("record kind needs a name")
        if (!Array.isArray(fields) || fields.length < 1 || fields.length > 255) throw new ArgumentError("record kind " + name + " needs an array of 1 to 255 field names, got " + fields)
        for (let i = 0; i < fields.length; i++) {
            const f = fields[i]
            if (typeof f !== "string" || f.length === 0 || fields.indexOf(f) !== i)
                throw new ArgumentError("record kind " + name + ": field names must be distinct non-empty strings, field " + i + " is " + (typeof f === "string" ? JSON.stringify(f) : f))
        }
        for (let i = 0; i < this.kinds.length; i++) if (this.kinds[i].name === name) throw new ArgumentError("record kind " + name + " is already defined (kind " + (i + 1) + ")")
        if (this.kinds.length >= 255) throw new ArgumentError("too many record kinds (255)")
        // the checks above, per field and per kind (at most 255 of each: within meter.ts's UNCHECKED)
        charge(fields.length * C_FIELD + this.kinds.length * C_FIELD, "defineRecord()")
        const kind: RecordKind = { id: this.kinds.length + 1, name: name, fields: fields.slice(0), pool: this.id }
        this.kinds.push(kind)
        return this.kindCopy(kind) as RecordKind<F>
    }

    /** A copy of one of this pool's kinds, for the caller: the pool never sees it again. */
    private kindCopy(k: RecordKind): RecordKind {
        return { id: k.id, name: k.name, fields: k.fields.slice(0), pool: k.pool }
    }

    /** A record of `kind` (as defineRecord() or kindOf() returned it), all fields null. */
    record<F extends string>(kind: RecordKind<F>): RecordHandle<F> {
        const k = kind && isInt(kind.id) && kind.id >= 1 ? this.kinds[kind.id - 1] : undefined
        if (!k || kind.pool !== this.id || kind.name !== k.name) throw new ArgumentError("record kind was not defined by this pool")
        const h = this.alloc(T_RECORD, k.id, k.fields.length * 4)
        if (this.finalisers.due > 0) this.drain(h)
        return h
    }

    // ------------------------------------------------------------------
    // types

    /** The object's type: "bytes", "bitmap", "number", "string", "list" or "record". */
    typeOf(h: Handle): HandleKind {
        return TYPE_NAMES[this.buf[this.head(h)]] as HandleKind
    }

    /**
     * `h` typed as a handle of `kind`, after checking at run time that it is a
     * live object of that kind (HandleError otherwise): for a handle read back
     * untyped, from a root or a record field. `pool.cast(h, "bitmap")`.
     */
    cast<K extends HandleKind>(h: Handle, kind: K): HandleOf<K> {
        const t = TYPE_NAMES.indexOf(kind)
        if (t < 1) throw new ArgumentError("cast: no object kind " + kind + " (bytes, bitmap, number, string, list or record)")
        this.typed(h, t)
        return h as HandleOf<K>
    }

    // ------------------------------------------------------------------
    // bytes, numbers, strings

    /** Byte `i` of a bytes object. */
    getByte(h: BytesHandle, i: number): number {
        const off = this.typed(h, T_BYTES)
        intArg(i, "byte index", 0, this.buf.getAt(off + O_LEN, "u16") - 1)
        return this.buf[off + OBJ_HEADER + i]
    }

    /** Sets byte `i` of a bytes object to `v` (0..255). */
    setByte(h: BytesHandle, i: number, v: number): void {
        const off = this.typed(h, T_BYTES)
        intArg(i, "byte index", 0, this.buf.getAt(off + O_LEN, "u16") - 1)
        intArg(v, "byte value", 0, 255)
        this.buf[off + OBJ_HEADER + i] = v
    }

    /**
     * A copy of `length` bytes (default: to the end) from byte `at` (default
     * 0) of a bytes or string object's payload, in a new Buffer of at most
     * MAX_READ (4096) bytes: a longer read throws ArgumentError before any
     * VM allocation (read it in pieces, or with readInto()).
     */
    readBytes(h: BytesHandle | StringHandle, at?: number, length?: number): Buffer {
        const off = this.dataObject(h)
        const len = this.buf.getAt(off + O_LEN, "u16")
        const from = at === undefined ? 0 : intArg(at, "read offset", 0, len)
        const n = length === undefined ? len - from : intArg(length, "read length", 0, len - from)
        if (n > MAX_READ)
            throw new ArgumentError("readBytes: " + n + " bytes is more than one read copies (" + MAX_READ + "): read in pieces with readBytes(h, at, length), or copy into your own Buffer with readInto()")
        // a copy (Node's Buffer.slice() would share the pool's memory; the VM's copies)
        const out = Buffer.alloc(n)
        out.blitAt(0, this.buf, off + OBJ_HEADER + from, n)
        return out
    }

    /**
     * Copies `length` bytes (default: as many as fit in `dst` from `dstAt`, at
     * most to the payload's end) from byte `at` of a bytes or string object's
     * payload into `dst` at `dstAt` (default 0), allocating nothing. Returns
     * the bytes copied. Any length, unlike readBytes().
     */
    readInto(h: BytesHandle | StringHandle, at: number, dst: Buffer, dstAt?: number, length?: number): number {
        const off = this.dataObject(h)
        const len = this.buf.getAt(off + O_LEN, "u16")
        const from = intArg(at, "read offset", 0, len)
        if (!(dst instanceof Buffer)) throw new ArgumentError("readInto: the destination must be a Buffer, got " + dst)
        const to = dstAt === undefined ? 0 : intArg(dstAt, "destination offset", 0, dst.length)
        const room = dst.length - to
        const n = length === undefined ? (len - from < room ? len - from : room) : intArg(length, "read length", 0, len - from)
        if (n > room) throw new ArgumentError("readInto: " + n + " bytes at " + to + " do not fit in a Buffer of " + dst.length)
        dst.blitAt(to, this.buf, off + OBJ_HEADER + from, n)
        return n
    }

    /** Copies `src` into a bytes object at `at`; it must fit. */
    writeBytes(h: BytesHandle, at: number, src: Buffer): void {
        const off = this.typed(h, T_BYTES)
        const len = this.buf.getAt(off + O_LEN, "u16")
        intArg(at, "write offset", 0, len)
        // a string source would be copied as UTF-8, its length counted in characters
        if (src && !(src instanceof Buffer)) throw new ArgumentError("writeBytes: the source must be a Buffer, got " + src)
        if (!src || src.length > len - at) throw new ArgumentError("writeBytes: " + (src ? src.length : 0) + " bytes at " + at + " do not fit in " + len)
        this.buf.blitAt(off + OBJ_HEADER + at, src, 0, src.length)
    }

    /** The value of a number object. */
    getNumber(h: NumberHandle): number {
        return this.buf.getAt(this.typed(h, T_NUMBER) + OBJ_HEADER, "f64")
    }

    /** Changes the value of a number object. */
    setNumber(h: NumberHandle, value: number): void {
        const off = this.typed(h, T_NUMBER)
        if (typeof value !== "number") throw new ArgumentError("number value must be a number, got " + value)
        this.buf.setAt(off + OBJ_HEADER, "f64", value)
    }

    /**
     * The text of a string object of at most MAX_READ (4096) bytes; a longer
     * one throws ArgumentError before any VM allocation (read its bytes in
     * pieces with readBytes(h, at, length) or readInto()).
     */
    getString(h: StringHandle): string {
        const off = this.typed(h, T_STRING)
        const len = this.buf.getAt(off + O_LEN, "u16")
        if (len > MAX_READ)
            throw new ArgumentError("getString: a string of " + len + " bytes is longer than one read copies (" + MAX_READ + "): read its bytes in pieces with readBytes(h, at, length) or readInto()")
        // a copy (Node's Buffer.slice() would share the pool's memory; the VM's copies)
        const out = Buffer.alloc(len)
        out.blitAt(0, this.buf, off + OBJ_HEADER, len)
        return out.toString()
    }

    // ------------------------------------------------------------------
    // bitmaps

    /** [width, height, bpp] of a bitmap. */
    bitmapSize(h: BitmapHandle): number[] {
        const p = this.typed(h, T_BITMAP) + OBJ_HEADER
        return [this.buf.getAt(p + BM_WIDTH, "u16"), this.buf.getAt(p + BM_HEIGHT, "u16"), this.buf[p + BM_BPP]]
    }

    /** The colour index of pixel (x, y). */
    getPixel(h: BitmapHandle, x: number, y: number): number {
        const p = this.typed(h, T_BITMAP) + OBJ_HEADER
        // (a pixel access costs more than the access head() charged: the bounds and the bits)
        meter.used = meter.used + C_PIXEL
        const buf = this.buf
        // (the bounds checked inline: intArg()'s checks and errors)
        const w = buf.getAt(p + BM_WIDTH, "u16")
        if ((x | 0) !== x) throw intError(x, "pixel x", 0, w - 1)
        if (x < 0) throw intError(x, "pixel x", 0, w - 1)
        if (x >= w) throw intError(x, "pixel x", 0, w - 1)
        const ht = buf.getAt(p + BM_HEIGHT, "u16")
        if ((y | 0) !== y) throw intError(y, "pixel y", 0, ht - 1)
        if (y < 0) throw intError(y, "pixel y", 0, ht - 1)
        if (y >= ht) throw intError(y, "pixel y", 0, ht - 1)
        const bpp = buf[p + BM_BPP]
        const bit = x * bpp
        return (buf[p + BM_DATA + y * buf.getAt(p + BM_STRIDE, "u16") + (bit >> 3)] >> (bit & 7)) & ((1 << bpp) - 1)
    }

    /** Sets pixel (x, y) to colour index `c` (0 .. 2^bpp - 1). */
    setPixel(h: BitmapHandle, x: number, y: number, c: number): void {
        const p = this.typed(h, T_BITMAP) + OBJ_HEADER
        meter.used = meter.used + C_PIXEL
        const buf = this.buf
        const w = buf.getAt(p + BM_WIDTH, "u16")
        if ((x | 0) !== x) throw intError(x, "pixel x", 0, w - 1)
        if (x < 0) throw intError(x, "pixel x", 0, w - 1)
        if (x >= w) throw intError(x, "pixel x", 0, w - 1)
        const ht = buf.getAt(p + BM_HEIGHT, "u16")
        if ((y | 0) !== y) throw intError(y, "pixel y", 0, ht - 1)
        if (y < 0) throw intError(y, "pixel y", 0, ht - 1)
        if (y >= ht) throw intError(y, "pixel y", 0, ht - 1)
        const bpp = buf[p + BM_BPP]
        const mask = (1 << bpp) - 1
        if ((c | 0) !== c) throw intError(c, "pixel colour", 0, mask)
        if (c < 0) throw intError(c, "pixel colour", 0, mask)
        if (c > mask) throw intError(c, "pixel colour", 0, mask)
        const bit = x * bpp
        const at = p + BM_DATA + y * buf.getAt(p + BM_STRIDE, "u16") + (bit >> 3)
        const sh = bit & 7
        buf[at] = (buf[at] & ~(mask << sh)) | (c << sh)
    }

    /** Fills a bitmap with colour index `c`. */
    fillBitmap(h: BitmapHandle, c: number): void {
        const p = this.typed(h, T_BITMAP) + OBJ_HEADER
        const buf = this.buf
        const bpp = buf[p + BM_BPP]
        intArg(c, "pixel colour", 0, (1 << bpp) - 1)
        let byte = c
        for (let b = bpp; b < 8; b <<= 1) byte |= byte << b
        buf.fillAt(p + BM_DATA, buf.getAt(p + BM_STRIDE, "u16") * buf.getAt(p + BM_HEIGHT, "u16"), byte & 0xff)
    }

    /**
     * Copies rows `y0` .. `y0 + rows - 1` (default: from row 0, every row
     * from `y0` down) of a bitmap's pixel bytes into `dst` from offset 0,
     * in the pool's own layout (docs/bitmaps.md: rows from the top, `stride`
     * = ceil(width * bpp / 8) bytes each, the first pixel of a byte in its
     * lowest bits, padding bits after a row's last pixel copied as they are),
     * with one Buffer copy and no VM allocation. Returns the bytes copied,
     * `rows * stride`. Bad input (rows out of range, a `dst` too small) is an
     * ArgumentError before anything is written.
     */
    readBitmap(h: BitmapHandle, dst: Buffer, y0?: number, rows?: number): number {
        const p = this.typed(h, T_BITMAP) + OBJ_HEADER
        const n = bitmapBand(this.buf, p, "readBitmap", dst, y0, rows)
        dst.blitAt(0, this.buf, p + BM_DATA + (y0 === undefined ? 0 : y0 * this.buf.getAt(p + BM_STRIDE, "u16")), n)
        return n
    }

    /**
     * Copies `src` from offset 0 into rows `y0` .. `y0 + rows - 1` (default:
     * from row 0, every row from `y0` down) of a bitmap, in readBitmap()'s
     * layout: `rows * stride` bytes, which `src` must hold (it may hold more;
     * the rest is not read). Returns the bytes copied. Bad input is an
     * ArgumentError before anything is written.
     */
    writeBitmap(h: BitmapHandle, src: Buffer, y0?: number, rows?: number): number {
        const p = this.typed(h, T_BITMAP) + OBJ_HEADER
        const n = bitmapBand(this.buf, p, "writeBitmap", src, y0, rows)
        this.buf.blitAt(p + BM_DATA + (y0 === undefined ? 0 : y0 * this.buf.getAt(p + BM_STRIDE, "u16")), src, 0, n)
        return n
    }

    // ------------------------------------------------------------------
    // lists

    /** Items in a list. */
    length<T extends Handle>(h: ListHandle<T>): number {
        return this.buf.getAt(this.typed(h, T_LIST) + OBJ_HEADER + LIST_COUNT, "u32")
    }

    /** Item `i` of a list (0 for null). */
    get<T extends Handle>(h: ListHandle<T>, i: number): T {
        const off = this.typed(h, T_LIST) + OBJ_HEADER
        intArg(i, "list index", 0, this.buf.getAt(off + LIST_COUNT, "u32") - 1)
        return this.buf.getAt(off + LIST_ITEMS + (i << 2), "u32") as T
    }

    /** Sets item `i` of a list to `v` (a live handle or 0). */
    set<T extends Handle>(h: ListHandle<T>, i: number, v: Checked<T> | 0): void {
        const off = this.typed(h, T_LIST) + OBJ_HEADER
        intArg(i, "list index", 0, this.buf.getAt(off + LIST_COUNT, "u32") - 1)
        this.storeRef(off + LIST_ITEMS + (i << 2), v)
    }

    /**
     * Appends `v` to a list, moving the list to a run twice as large when it
     * is full (its handle stays the same). Returns the new length.
     */
    push<T extends Handle>(h: ListHandle<T>, v: Checked<T> | 0): number {
        // v is checked once, here: a growth's allocation keeps it alive (pinned), so the
        // store below needs no second check (storeRef's)
        if (v !== 0) this.head(v)
        let off = this.typed(h, T_LIST)
        const buf = this.buf
        const count = buf.getAt(off + OBJ_HEADER + LIST_COUNT, "u32")
        const cap = (buf.getAt(off + O_LEN, "u16") - LIST_ITEMS) >> 2
        if (count >= cap) off = this.growList(h, cap < 2 ? 4 : cap * 2, v)
        buf.setAt(off + OBJ_HEADER + LIST_ITEMS + (count << 2), "u32", v)
        // the write barrier (shade() returns at once outside a collection)
        if (v !== 0) if (buf[H_PHASE] !== PHASE_IDLE) shade(buf, v)
        buf.setAt(off + OBJ_HEADER + LIST_COUNT, "u32", count + 1)
        if (this.finalisers.due > 0) this.drain(0)
        return count + 1
    }

    /** Removes and returns the last item of a list. */
    pop<T extends Handle>(h: ListHandle<T>): T {
        const off = this.typed(h, T_LIST) + OBJ_HEADER
        const count = this.buf.getAt(off + LIST_COUNT, "u32")
        if (count === 0) throw new ArgumentError("pop from an empty list")
        const v = this.buf.getAt(off + LIST_ITEMS + ((count - 1) << 2), "u32")
        this.buf.setAt(off + LIST_ITEMS + ((count - 1) << 2), "u32", 0)
        this.buf.setAt(off + LIST_COUNT, "u32", count - 1)
        return v as T
    }

    /** Removes item `i` of a list, moving the later items down, and returns it (Python's `pop(i)`). */
    removeAt<T extends Handle>(h: ListHandle<T>, i: number): T {
        const off = this.typed(h, T_LIST) + OBJ_HEADER
        const buf = this.buf
        const count = buf.getAt(off + LIST_COUNT, "u32")
        if ((i | 0) !== i || i < 0 || i >= count) throw intError(i, "list index", 0, count - 1)
        const at = off + LIST_ITEMS + (i << 2)
        const v = buf.getAt(at, "u32")
        // an overlapping copy towards lower offsets is safe on the VM and in Node
        buf.blitAt(at, buf, at + 4, (count - 1 - i) << 2)
        // during MARK the collector may have scanned the list up to an index past i (it resumes
        // there): an item moved below that index would never be scanned, so a marked list is
        // scanned again (an unmarked one will be, in full)
        if (buf[H_PHASE] === PHASE_MARK && i < count - 1) {
            const blk = (off - OBJ_HEADER) >> 4
            if (((buf[ATB + (blk >> 2)] >> ((blk & 3) << 1)) & 3) === AT_MARK) pushMark(buf, blk, 0)
        }
        buf.setAt(off + LIST_ITEMS + ((count - 1) << 2), "u32", 0)
        buf.setAt(off + LIST_COUNT, "u32", count - 1)
        return v as T
    }

    /** Moves list `h` to a new run with room for `cap` items; returns its new offset. */
    private growList(h: Handle, cap: number, item: Handle): number {
        const max = (0xffff - OBJ_HEADER - LIST_ITEMS) >> 2
        if (cap > max) cap = max
        const oldLen = this.buf.getAt(this.head(h) + O_LEN, "u16")
        if ((oldLen - LIST_ITEMS) >> 2 >= cap) throw new MemoryError("list is at its largest (" + max + " items)")
        return this.relocate(h, LIST_ITEMS + cap * 4, item, this.isLongLived(h))
    }

    // ------------------------------------------------------------------
    // long-lived objects

    /**
     * Moves an object to the long-lived end of the pool (the top), as
     * CircuitPython's gc_make_long_lived did, so the space short-lived objects
     * come and go in stays in one piece. Its handle stays the same. Returns `h`.
     * Never moves it down: when the highest free run that fits lies below it,
     * it stays where it is (as gc_make_long_lived keeps the old pointer),
     * marked long-lived all the same (so its later moves, a list's growth, go
     * top-down; a compaction lifts only the long-lived objects above every
     * short-lived one, so it does not move this one up).
     */
    makeLongLived<H extends Handle>(h: H): H {
        if (!this.isLongLived(h)) this.relocate(h, this.buf.getAt(this.head(h) + O_LEN, "u16"), 0, true, true)
        if (this.finalisers.due > 0) this.drain(0)
        return h
    }

    /** True if the object is long-lived (placed from the top; compaction lifts it back up). */
    isLongLived(h: Handle): boolean {
        return (this.buf.getAt(this.head(h) + O_SLOT, "u16") & OF_LONG) !== 0
    }

    /**
     * Placement of new objects: with `on` true, every new object is long-lived
     * (placed from the top of the pool down) until longLived(false); the
     * default places from the bottom up. Returns the setting.
     */
    longLived(on?: boolean): boolean {
        charge(C_CALL, "longLived()")
        return this.flag(F_LONG, on, "longLived")
    }

    // ------------------------------------------------------------------
    // finalisers

    /**
     * Registers `fn` to run once after the object is freed, by a collection or
     * by free() (MicroPython's `__del__`). It gets the handle, already stale:
     * it can log or release outside resources, not touch the object. It runs
     * at the end of the outermost public call that freed the object (see
     * finalisers.ts for the bounds: 64 a call, found 256 slots a call), never
     * inside one; an exception it throws is logged and dropped. Pass null to
     * remove the finaliser. At most MAX_FINALISERS (15) distinct functions at
     * once: a 16th is an ArgumentError, and nothing changes.
     */
    onFree<H extends Handle>(h: H, fn: (h: H) => void): void {
        this.head(h)
        if (fn === null || fn === undefined) this.finalisers.remove(h)
        else if (typeof fn !== "function") throw new ArgumentError("onFree needs a function or null, got " + fn)
        else this.finalisers.add(this.buf, h, fn as (h: Handle) => void)
    }

    // ------------------------------------------------------------------
    // records

    /** Reference field `name` of a record (0 for null). */
    getField<F extends string>(h: RecordHandle<F>, name: Checked<F>): Handle {
        const off = this.typed(h, T_RECORD)
        return this.buf.getAt(off + OBJ_HEADER + (this.fieldIndex(off, name) << 2), "u32")
    }

    /** Sets reference field `name` of a record to `v` (a live handle or 0). */
    setField<F extends string>(h: RecordHandle<F>, name: Checked<F>, v: Handle): void {
        const off = this.typed(h, T_RECORD)
        this.storeRef(off + OBJ_HEADER + (this.fieldIndex(off, name) << 2), v)
    }

    /** The record kind of a record (a copy, as defineRecord() returns). */
    kindOf<F extends string>(h: RecordHandle<F>): RecordKind<F> {
        return this.kindCopy(this.recordKind(this.typed(h, T_RECORD))) as RecordKind<F>
    }

    /** The kind of the record at `off`; CorruptionError if its header names none of this pool's. */
    private recordKind(off: number): RecordKind {
        const kind = this.kinds[this.buf[off + O_AUX] - 1]
        if (kind === undefined) throw new CorruptionError("pool corrupt: the record at block " + (off >> 4) + " has kind id " + this.buf[off + O_AUX] + ", which this pool never defined")
        return kind
    }

    /**
     * Byte offset of field `name` in the record at `off`, checked against the
     * record's own length (O_LEN), not only its kind: an access never leaves
     * the record, whatever its bytes say.
     */
    private fieldIndex(off: number, name: string): number {
        const kind = this.recordKind(off)
        const i = kind.fields.indexOf(name)
        if (i < 0) throw new ArgumentError("record " + kind.name + " has no field " + name)
        const len = this.buf.getAt(off + O_LEN, "u16")
        if ((i << 2) + 4 > len) throw new CorruptionError("pool corrupt: the record at block " + (off >> 4) + " has " + len + " bytes, too few for field " + i + " (" + name + ") of its kind " + kind.name)
        return i
    }

    /** Stores a reference through the write barrier. */
    private storeRef(at: number, v: Handle): void {
        if (v !== 0) this.head(v)
        this.buf.setAt(at, "u32", v)
        if (v !== 0) shade(this.buf, v)
    }
}

/**
 * The bytes of the band of rows `y0` .. `y0 + rows - 1` of the bitmap whose
 * payload is at `p` in `buf`, checked (rows within the bitmap, `other` a
 * Buffer that holds the band from offset 0) and charged to the slice meter
 * (C_BAND, before the copy): readBitmap()'s and writeBitmap()'s checks.
 */
function bitmapBand(buf: Buffer, p: number, what: string, other: Buffer, y0: number, rows: number): number {
    if (!(other instanceof Buffer)) throw new ArgumentError(what + ": the pixels' Buffer must be a Buffer, got " + other)
    const ht = buf.getAt(p + BM_HEIGHT, "u16")
    const from = y0 === undefined ? 0 : intArg(y0, what + " first row", 0, ht - 1)
    const n = rows === undefined ? ht - from : intArg(rows, what + " rows", 0, ht - from)
    const stride = buf.getAt(p + BM_STRIDE, "u16")
    const bytes = n * stride
    if (bytes > other.length)
        throw new ArgumentError(what + ": " + n + " rows of " + stride + " bytes need a Buffer of " + bytes + " bytes, got " + other.length)
    charge(C_BAND, what + "()")
    return bytes
}
