/**
 * A what-if for the benchmark only (never used by poolgc or its tests): the
 * Node seam (host/platform.ts) with a fast path for the calls poolgc makes
 * most, u8/u16/u32 at an in-range offset with an in-range integer value.
 * Everything else falls through to the real shim, so the semantics are the
 * same. `npm run bench` runs "poolgc-free+fastseam" with this file in place
 * of host/platform.ts to measure what the shim costs; the proposed fix is to
 * give host/platform.ts the same fast path.
 */
import * as real from "../host/platform"

export const PLATFORM = real.PLATFORM
export const now = real.now
export const nextSlice = real.nextSlice

const proto = Buffer.prototype as any
const slowGet = proto.getAt
const slowSet = proto.setAt

proto.getAt = function (this: Buffer, off: number, fmt: string): number {
    if ((off | 0) === off && off >= 0) {
        if (fmt === "u16") {
            if (off + 2 <= this.length) return this[off] | (this[off + 1] << 8)
        } else if (fmt === "u8") {
            if (off < this.length) return this[off]
        } else if (fmt === "u32") {
            if (off + 4 <= this.length) return (this[off] | (this[off + 1] << 8) | (this[off + 2] << 16) | (this[off + 3] << 24)) >>> 0
        }
    }
    return slowGet.call(this, off, fmt)
}

proto.setAt = function (this: Buffer, off: number, fmt: string, v: number): void {
    if ((off | 0) === off && off >= 0 && (v | 0) === v && v >= 0) {
        if (fmt === "u16") {
            if (off + 2 <= this.length && v <= 0xffff) {
                this[off] = v
                this[off + 1] = v >> 8
                return
            }
        } else if (fmt === "u32") {
            if (off + 4 <= this.length) {
                this[off] = v
                this[off + 1] = v >> 8
                this[off + 2] = v >> 16
                this[off + 3] = v >>> 24
                return
            }
        } else if (fmt === "u8") {
            if (off < this.length && v <= 0xff) {
                this[off] = v
                return
            }
        }
    }
    slowSet.call(this, off, fmt, v)
}
