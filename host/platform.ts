/**
 * The platform seam, Node.js side: the twin of `src/platform.ts`.
 *
 * `installBufferMethods()` gives Node's Buffer the four DeviceScript Buffer
 * methods that poolgc uses, with the VM's semantics (read from the DeviceScript runtime's
 * `devs_buffer_op`, `devs_value_to_int`, `devs_value_from_double`,
 * `jd_numfmt_write_*`, `fillAt` and `blitAt`, and checked against the real VM,
 * byte for byte, by `test/device/seam.test.ts`):
 * - Numbers are what the VM can hold: NaN is the canonical NaN (payload and sign
 *   dropped), -0 and subnormal doubles are 0. `getAt` results and `setAt` values
 *   are normalised so.
 * - Offsets, lengths and `fillAt`'s byte go through the VM's `devs_value_to_int`:
 *   JS ToInt32, except NaN -> 0 and +-Infinity -> 1 (!); offsets and lengths are
 *   then unsigned, so a negative one is huge.
 * - `getAt(off, fmt)` reads little-endian; past the end it returns `undefined`.
 * - `setAt(off, fmt, v)` past the end throws RangeError("buffer store out of
 *   range"). Integers saturate to the format's range (u32: an int32 to 0..2^31-1,
 *   a larger number up to 2^32-1); other numbers are clamped and rounded half up (`trunc(v + 0.5)`,
 *   so -1.7 -> -1); NaN becomes INT_MIN before the clamp (i8 -128, i16 -32768,
 *   i32 -2^31, unsigned 0). f32/f64 store the (normalised) value.
 * - `fillAt(off, len, v)` / `blitAt(dst, src, srcOff, len)` clip silently
 *   (a string source is copied as UTF-8).
 *
 * Where the VM misbehaves, this shim throws instead of imitating it, so Node tests
 * catch code that would go wrong on a device:
 * - `getAt`/`setAt` at an offset of -size..-1 (as int32): the VM's bounds check
 *   `offset + size > length` wraps around in uint32, and it reads the bytes just
 *   before the buffer / writes there and corrupts its heap (measured: the next GC
 *   crashes the simulator). Here: RangeError("buffer offset wraps around").
 * - `blitAt` within the same memory to a HIGHER offset with overlap: the VM uses
 *   memcpy (measured: forward byte propagation below 512 bytes, memmove from 512
 *   up; devices' memcpy may differ again). Here: RangeError. An overlapping copy
 *   to a lower offset is a forward memcpy, which gives the memmove result (as Node).
 * The Node builds (host/seam.mjs, used by vitest and the bench) also rewrite poolgc's
 * `getAt(off, "u16")` / `setAt(off, "u16", v)` with a pure offset into byte
 * operations before this shim sees them (`host/inline-u16.mjs`: V8 does not
 * inline this shim into functions as large as the allocator's); the shim serves
 * every other call.
 * Not covered (native indexing, not shimmable): the VM truncates `buf[1.5]` to
 * `buf[1]` (Node: undefined), throws RangeError on `buf[length] = x` (Node ignores
 * it) and stores +-Infinity via `buf[i] = v` as 1 (Node: 0). And `slice()`:
 * the VM's returns a copy, Node's shares memory, so device code copies with
 * `Buffer.alloc` + `blitAt` and uses `slice()` only where either will do
 * (`slice(a, b).toString()`). The VM's `%` also differs: it wraps operands
 * above 2^31-1 to int32 (`(-5 >>> 0) % 7` is -5 there, 6 in JavaScript).
 */

/** Which side of the seam this is. */
export const PLATFORM = "node"

/** Milliseconds since start (fractional in Node). */
export function now(): number {
    return performance.now()
}

/** Yields to the event loop, the Node.js stand-in for `await ds.sleep(0)`. */
export function nextSlice(): Promise<void> {
    return new Promise(resolve => setImmediate(resolve))
}

/**
 * The VM's step limit has no Node.js counterpart: 0 means "none", and
 * poolgc's meter (poolgc/meter.ts) then only counts. Tests that check the
 * meter give it a limit of their own (meter.limit).
 */
export const STEP_LIMIT = 0

/**
 * The VM's run stamp (its clock, which moves only across a suspension) has
 * no use here: atNextSuspension's event-loop callback is exact. Always 0.
 */
export function runStamp(): number {
    return 0
}

let pendingFn: (() => void) | null = null

/**
 * Calls `fn` once when the running code next yields to the event loop (the
 * Node.js stand-in for the next suspension of the running fiber). A second
 * call before the first has run replaces its function.
 */
export function atNextSuspension(fn: () => void): void {
    const first = pendingFn === null
    pendingFn = fn
    if (first)
        setImmediate(() => {
            const f = pendingFn
            pendingFn = null
            if (f) f()
        })
}

/** Bytes of `s` in UTF-8 (the VM's `s.byteLength`; Node's strings are UTF-16). */
export function utf8Length(s: string): number {
    return Buffer.byteLength(s, "utf8")
}

/**
 * Waits `ms` milliseconds (at least 1), the Node.js stand-in for
 * `await ds.sleep(ms)`: time passes and timers due meanwhile run first.
 */
export function drainSlice(ms: number): Promise<void> {
    return new Promise(resolve => setTimeout(resolve, ms < 1 ? 1 : ms))
}

type Fmt = { size: number; kind: "u" | "i" | "f"; lo: number; hi: number }
const FORMATS: Record<string, Fmt> = {
    u8: { size: 1, kind: "u", lo: 0, hi: 0xff },
    u16: { size: 2, kind: "u", lo: 0, hi: 0xffff },
    u32: { size: 4, kind: "u", lo: 0, hi: 0x7fffffff },
    i8: { size: 1, kind: "i", lo: -0x80, hi: 0x7f },
    i16: { size: 2, kind: "i", lo: -0x8000, hi: 0x7fff },
    i32: { size: 4, kind: "i", lo: -0x80000000, hi: 0x7fffffff },
    f32: { size: 4, kind: "f", lo: 0, hi: 0 },
    f64: { size: 8, kind: "f", lo: 0, hi: 0 },
}
const INT_MIN = -0x80000000
const INT_MAX = 0x7fffffff
/** Doubles below this magnitude are subnormal; the VM turns them into 0. */
const MIN_NORMAL = 2.2250738585072014e-308

function format(fmt: string): Fmt {
    const f = FORMATS[fmt]
    if (!f) throw new RangeError("buffer numfmt invalid")
    return f
}

/** A number as the VM can hold it (`devs_value_from_double`): one NaN, no -0, no subnormals. */
function vmNumber(v: number): number {
    const n = Number(v)
    if (Number.isNaN(n)) return NaN
    if (Math.abs(n) < MIN_NORMAL) return 0
    return n
}

/** The VM's `devs_value_to_int`: ToInt32, but NaN -> 0 and +-Infinity -> 1 (they are "specials"). */
function vmToInt(v: number): number {
    const n = Number(v)
    if (Number.isNaN(n)) return 0
    if (n === Infinity || n === -Infinity) return 1
    return n | 0
}

/** The VM passes offsets and lengths as C unsigned ints. */
function u32arg(v: number): number {
    return vmToInt(v) >>> 0
}

/** An offset the VM's uint32 bounds check lets through into the bytes before the buffer. */
function checkWrap(off: number, f: Fmt) {
    if (off + f.size > 0xffffffff)
        throw new RangeError(`buffer offset wraps around (${off | 0}); the VM would touch bytes outside the buffer`)
}

function isTaggedInt(v: number): boolean {
    return Number.isInteger(v) && v >= INT_MIN && v <= INT_MAX
}

/** jacdac-c clamp_double: the bounds themselves are not rounded, values inside get +0.5. */
function clampDouble(v: number, lo: number, hi: number): number {
    if (v < lo) return lo
    if (v > hi) return hi
    return v + 0.5
}

/** C's double -> int32 as this WASM build does it (measured): truncation, NaN -> INT_MIN. */
function toI32(v: number): number {
    if (Number.isNaN(v)) return INT_MIN
    return Math.trunc(v) | 0
}

function writeInt(buf: Buffer, off: number, f: Fmt, q: number) {
    const v = q < f.lo ? f.lo : q > f.hi ? f.hi : q
    switch (f.size) {
        case 1:
            buf.writeUInt8(v & 0xff, off)
            break
        case 2:
            buf.writeUInt16LE(v & 0xffff, off)
            break
        default:
            buf.writeUInt32LE(v >>> 0, off)
    }
}

function getAt(this: Buffer, offset: number, fmt: string): number {
    // Fast path for what poolgc does all the time: an unsigned format at a
    // non-negative integer offset inside the buffer. Same results as the full
    // shim (test/device/seam.test.ts compares both with the VM). Kept this small so
    // V8 can inline it into small functions; the allocator's u16 fields do not
    // come here at all in Node (host/inline-u16.mjs rewrites them).
    if ((offset >>> 0) === offset) {
        if (fmt === "u16") {
            if (offset + 2 <= this.length) return this[offset] | (this[offset + 1] << 8)
        } else if (fmt === "u32") {
            if (offset + 4 <= this.length) return (this[offset] | (this[offset + 1] << 8) | (this[offset + 2] << 16)) + this[offset + 3] * 0x1000000
        } else if (fmt === "u8") {
            if (offset < this.length) return this[offset]
        }
    }
    return getAtFull(this, offset, fmt)
}

/** Everything getAt's fast path leaves: other formats, odd offsets, reads past the end. */
function getAtFull(buf: Buffer, offset: number, fmt: string): number {
    const f = format(fmt)
    const off = u32arg(offset)
    checkWrap(off, f)
    if (off + f.size > buf.length) return undefined
    switch (fmt) {
        case "u8":
            return buf.readUInt8(off)
        case "u16":
            return buf.readUInt16LE(off)
        case "u32":
            return buf.readUInt32LE(off)
        case "i8":
            return buf.readInt8(off)
        case "i16":
            return buf.readInt16LE(off)
        case "i32":
            return buf.readInt32LE(off)
        case "f32":
            return vmNumber(buf.readFloatLE(off))
        default:
            return vmNumber(buf.readDoubleLE(off))
    }
}

function setAt(this: Buffer, offset: number, fmt: string, value: number): void {
    // Fast path: an unsigned format, an in-range integer offset and an
    // integer value the format holds without saturating (the VM stores it as
    // is). Small enough for V8 to inline, as getAt.
    if ((offset >>> 0) === offset && (value | 0) === value && value >= 0) {
        if (fmt === "u16") {
            if (value <= 0xffff && offset + 2 <= this.length) {
                this[offset] = value
                this[offset + 1] = value >> 8
                return
            }
        } else if (fmt === "u32") {
            if (offset + 4 <= this.length) {
                this[offset] = value
                this[offset + 1] = value >> 8
                this[offset + 2] = value >> 16
                this[offset + 3] = value >> 24
                return
            }
        } else if (fmt === "u8") {
            if (value <= 0xff && offset < this.length) {
                this[offset] = value
                return
            }
        }
    }
    setAtFull(this, offset, fmt, value)
}

/** Everything setAt's fast path leaves: saturation, rounding, NaN, signed and float formats, bad offsets. */
function setAtFull(buf: Buffer, offset: number, fmt: string, value: number): void {
    const f = format(fmt)
    const off = u32arg(offset)
    checkWrap(off, f)
    if (off + f.size > buf.length) throw new RangeError("buffer store out of range")
    const q = vmNumber(value)
    if (f.kind === "f") {
        if (f.size === 4) buf.writeFloatLE(q, off)
        else buf.writeDoubleLE(q, off)
        return
    }
    if (isTaggedInt(q)) {
        writeInt(buf, off, f, q)
    } else if (fmt === "u32") {
        // a double into uint32_t: NaN (NaN + 0.5) converts to 0
        const c = clampDouble(q, 0, 0xffffffff)
        buf.writeUInt32LE(Number.isNaN(c) ? 0 : Math.trunc(c) >>> 0, off)
    } else {
        writeInt(buf, off, f, toI32(clampDouble(q, INT_MIN, INT_MAX)))
    }
}

/** Uint8Array's fill: Buffer.prototype.fill validates its arguments in JavaScript (~50 ns a call). */
const u8fill = Uint8Array.prototype.fill

function fillAt(this: Buffer, offset: number, length: number, value: number): void {
    // fast path: integer offset, length and byte, all in range (the common case)
    if ((offset >>> 0) === offset && (length >>> 0) === length && (value & 0xff) === value && offset + length <= this.length) {
        u8fill.call(this, value, offset, offset + length)
        return
    }
    const off = u32arg(offset)
    let len = u32arg(length)
    if (off >= this.length) return
    if (this.length - off < len) len = this.length - off
    this.fill(vmToInt(value) & 0xff, off, off + len)
}

function blitAt(this: Buffer, offset: number, src: Buffer | string, srcOffset: number, length: number): void {
    const from = typeof src === "string" ? Buffer.from(src, "utf8") : src
    const dst = u32arg(offset)
    const so = u32arg(srcOffset)
    let len = u32arg(length)
    if (so >= from.length) return
    if (from.length - so < len) len = from.length - so
    if (dst >= this.length) return
    if (this.length - dst < len) len = this.length - dst
    if (len > 0 && from.buffer === this.buffer) {
        const a = from.byteOffset + so // source start in the shared memory
        const b = this.byteOffset + dst // destination start
        if (b > a && b < a + len)
            throw new RangeError("blitAt: overlapping copy to a higher offset; the VM's memcpy result is undefined")
    }
    from.copy(this, dst, so, so + len)
}

declare global {
    interface Buffer {
        getAt(offset: number, format: string): number
        setAt(offset: number, format: string, value: number): void
        fillAt(offset: number, length: number, value: number): void
        blitAt(offset: number, src: Buffer | string, srcOffset: number, length: number): void
    }
}

/**
 * Gives Node's Buffer the four methods above, in place of whatever it had
 * under these names. Called once per process (or vitest worker) before any
 * device code runs, by host/setup.ts, which host/seam.mjs puts first in every
 * Node build; importing this module does not do it. Calling it again changes
 * nothing.
 */
export function installBufferMethods(): void {
    const proto = Buffer.prototype as any
    proto.getAt = getAt
    proto.setAt = setAt
    proto.fillAt = fillAt
    proto.blitAt = blitAt
}
