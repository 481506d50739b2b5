/**
 * The platform seam, Node.js side: the twin of `src/platform.ts`.
 *
 * Importing it gives Node's Buffer the four DeviceScript Buffer methods that
 * poolgc uses, with the VM's semantics (read from the DeviceScript runtime's
 * `devs_buffer_op`, `jd_numfmt_write_*`, `fillAt` and `blitAt`, and checked
 * against the real VM by `test/seam.test.ts`):
 * - `getAt(off, fmt)` reads little-endian; past the end it returns `undefined`.
 * - `setAt(off, fmt, v)` past the end throws RangeError. Integers saturate to
 *   the format's range (u32 to 0..2^31-1 for integers), other numbers are
 *   clamped and rounded half up (`trunc(v + 0.5)`).
 * - `fillAt(off, len, v)` / `blitAt(dst, src, srcOff, len)` clip silently.
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

function format(fmt: string): Fmt {
    const f = FORMATS[fmt]
    if (!f) throw new RangeError("buffer numfmt invalid")
    return f
}

/** The VM passes offsets and lengths as C unsigned ints. */
function u32arg(v: number): number {
    return Math.trunc(Number(v)) >>> 0
}

function isTaggedInt(v: number): boolean {
    return Number.isInteger(v) && v >= INT_MIN && v <= INT_MAX && !Object.is(v, -0)
}

/** jacdac-c clamp_double: the bounds themselves are not rounded, values inside get +0.5. */
function clampDouble(v: number, lo: number, hi: number): number {
    if (v < lo) return lo
    if (v > hi) return hi
    return v + 0.5
}

/** C's double -> int32 conversion (truncation; NaN becomes INT_MIN as in WASM's saturating convert). */
function toI32(v: number): number {
    if (Number.isNaN(v)) return 0
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
    const f = format(fmt)
    const off = u32arg(offset)
    if (off + f.size > this.length) return undefined
    switch (fmt) {
        case "u8":
            return this.readUInt8(off)
        case "u16":
            return this.readUInt16LE(off)
        case "u32":
            return this.readUInt32LE(off)
        case "i8":
            return this.readInt8(off)
        case "i16":
            return this.readInt16LE(off)
        case "i32":
            return this.readInt32LE(off)
        case "f32":
            return this.readFloatLE(off)
        default:
            return this.readDoubleLE(off)
    }
}

function setAt(this: Buffer, offset: number, fmt: string, value: number): void {
    const f = format(fmt)
    const off = u32arg(offset)
    if (off + f.size > this.length) throw new RangeError("buffer store out of range")
    const q = Number(value)
    if (f.kind === "f") {
        if (f.size === 4) this.writeFloatLE(q, off)
        else this.writeDoubleLE(q, off)
        return
    }
    if (isTaggedInt(q)) {
        writeInt(this, off, f, q)
    } else if (fmt === "u32") {
        const c = clampDouble(q, 0, 0xffffffff)
        this.writeUInt32LE(Number.isNaN(c) ? 0 : Math.trunc(c) >>> 0, off)
    } else {
        writeInt(this, off, f, toI32(clampDouble(q, INT_MIN, INT_MAX)))
    }
}

function fillAt(this: Buffer, offset: number, length: number, value: number): void {
    const off = u32arg(offset)
    let len = u32arg(length)
    if (off >= this.length) return
    if (this.length - off < len) len = this.length - off
    this.fill(toI32(Number(value)) & 0xff, off, off + len)
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

const proto = Buffer.prototype as any
proto.getAt = getAt
proto.setAt = setAt
proto.fillAt = fillAt
proto.blitAt = blitAt
