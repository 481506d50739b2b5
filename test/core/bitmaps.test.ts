/**
 * Bulk bitmap access: readBitmap()/writeBitmap() copy a bitmap's pixel bytes
 * in the layout of docs/bitmaps.md (rows from the top, stride =
 * ceil(width * bpp / 8) bytes each, pixel x of a row at bits (x * bpp) % 8
 * and up of byte floor(x * bpp / 8)), checked against getPixel/setPixel for
 * every bpp and widths whose rows end in padding bits; bands of rows; and
 * every bad input refused before anything is written, in the pool or in the
 * caller's Buffer.
 */
import { describe, expect, test } from "vitest"
import { ArgumentError, HandleError, Pool, PoolError } from "../../src/index"
import type { BitmapHandle } from "../../src/index"
import { checkPool } from "../support/check"

const BPPS = [1, 2, 4, 8]
const WIDTHS = [1, 3, 5, 7, 9, 13, 17, 31]

/** A small deterministic generator (xorshift32), so failures repeat. */
function rng(seed: number) {
    let s = seed | 0 || 1
    return () => {
        s ^= s << 13
        s ^= s >>> 17
        s ^= s << 5
        return s >>> 0
    }
}

/** Pixel (x, y) decoded from `frame` (row `y` of it) by the documented layout alone. */
function layoutPixel(frame: Buffer, stride: number, bpp: number, x: number, y: number): number {
    const bit = x * bpp
    return (frame[y * stride + Math.floor(bit / 8)] >> (bit % 8)) & ((1 << bpp) - 1)
}

function strideOf(w: number, bpp: number): number {
    return Math.ceil((w * bpp) / 8)
}

describe("readBitmap and writeBitmap", () => {
    test("readBitmap copies what setPixel wrote, in the documented layout, padding bits zero, for every bpp and odd widths", () => {
        const next = rng(7)
        for (const bpp of BPPS)
            for (const w of WIDTHS) {
                const pool = new Pool({ size: 4096 })
                const ht = 5
                const bmp = pool.bitmap(w, ht, bpp)
                const want: number[] = []
                for (let y = 0; y < ht; y++)
                    for (let x = 0; x < w; x++) {
                        const c = next() & ((1 << bpp) - 1)
                        want.push(c)
                        pool.setPixel(bmp, x, y, c)
                    }
                const stride = strideOf(w, bpp)
                const dst = Buffer.alloc(stride * ht + 3, 0xa5)
                expect(pool.readBitmap(bmp, dst), `${w}x${ht}x${bpp}`).toBe(stride * ht)
                for (let y = 0; y < ht; y++) {
                    for (let x = 0; x < w; x++) expect(layoutPixel(dst, stride, bpp, x, y), `${w}x${ht}x${bpp} (${x}, ${y})`).toBe(want[y * w + x])
                    // the padding bits after the row's last pixel: setPixel never sets them
                    const used = (w * bpp) % 8
                    if (used !== 0) expect(dst[y * stride + stride - 1] >> used, `${w}x${bpp} row ${y} padding`).toBe(0)
                }
                // the bytes past the frame are not written
                expect([...dst.subarray(stride * ht)]).toEqual([0xa5, 0xa5, 0xa5])
                pool.verify()
            }
    })

    test("writeBitmap stores bytes that getPixel reads back by the documented layout, and readBitmap returns them exactly, padding included", () => {
        const next = rng(11)
        for (const bpp of BPPS)
            for (const w of WIDTHS) {
                const pool = new Pool({ size: 4096 })
                const ht = 4
                const bmp = pool.bitmap(w, ht, bpp)
                const stride = strideOf(w, bpp)
                const src = Buffer.alloc(stride * ht)
                for (let i = 0; i < src.length; i++) src[i] = next() & 0xff
                expect(pool.writeBitmap(bmp, src)).toBe(src.length)
                for (let y = 0; y < ht; y++)
                    for (let x = 0; x < w; x++) expect(pool.getPixel(bmp, x, y), `${w}x${ht}x${bpp} (${x}, ${y})`).toBe(layoutPixel(src, stride, bpp, x, y))
                const back = Buffer.alloc(src.length)
                pool.readBitmap(bmp, back)
                expect(back.equals(src), `${w}x${bpp}`).toBe(true)
                // setPixel after a write changes its own bits only
                pool.setPixel(bmp, w - 1, ht - 1, 0)
                pool.readBitmap(bmp, back)
                for (let y = 0; y < ht; y++)
                    for (let x = 0; x < w; x++)
                        expect(layoutPixel(back, stride, bpp, x, y)).toBe(x === w - 1 && y === ht - 1 ? 0 : layoutPixel(src, stride, bpp, x, y))
                pool.verify()
                checkPool(pool)
            }
    })

    test("bands of rows: readBitmap(h, dst, y0, rows) is rows y0 .. y0+rows-1 of the frame; writeBitmap changes those rows only", () => {
        const next = rng(3)
        const pool = new Pool({ size: 4096 })
        const w = 11, ht = 9, bpp = 4
        const stride = strideOf(w, bpp)
        const bmp = pool.bitmap(w, ht, bpp)
        const frame = Buffer.alloc(stride * ht)
        for (let i = 0; i < frame.length; i++) frame[i] = next() & 0xff
        pool.writeBitmap(bmp, frame)
        for (let y0 = 0; y0 < ht; y0++) {
            for (let rows = 0; rows <= ht - y0; rows++) {
                const dst = Buffer.alloc(stride * rows + 1, 0x5a)
                expect(pool.readBitmap(bmp, dst, y0, rows)).toBe(stride * rows)
                expect(dst.subarray(0, stride * rows).equals(frame.subarray(y0 * stride, (y0 + rows) * stride)), `rows ${y0}+${rows}`).toBe(true)
                expect(dst[stride * rows]).toBe(0x5a)
            }
            // rows omitted: from y0 to the last row
            const rest = Buffer.alloc(stride * (ht - y0))
            expect(pool.readBitmap(bmp, rest, y0)).toBe(rest.length)
            expect(rest.equals(frame.subarray(y0 * stride))).toBe(true)
        }
        // a band written lands in its rows; the others stay
        const band = Buffer.alloc(stride * 3)
        for (let i = 0; i < band.length; i++) band[i] = next() & 0xff
        expect(pool.writeBitmap(bmp, band, 4, 3)).toBe(band.length)
        band.copy(frame, 4 * stride)
        const all = Buffer.alloc(frame.length)
        pool.readBitmap(bmp, all)
        expect(all.equals(frame)).toBe(true)
        // writeBitmap(h, src, y0): from y0 to the last row, src longer than needed
        const tail = Buffer.alloc(stride * 2 + 5, 0x33)
        expect(pool.writeBitmap(bmp, tail, ht - 2)).toBe(stride * 2)
        pool.readBitmap(bmp, all)
        expect(all.subarray(0, (ht - 2) * stride).equals(frame.subarray(0, (ht - 2) * stride))).toBe(true)
        expect([...all.subarray((ht - 2) * stride)]).toEqual(new Array(stride * 2).fill(0x33))
        pool.verify()
    })

    test("a bitmap moved by compaction is read and written at its new place", () => {
        const pool = new Pool({ size: 4096 })
        const junk = pool.bytes(200)
        const bmp = pool.bitmap(16, 8, 2)
        pool.setRoot("b", bmp)
        pool.free(junk)
        const src = Buffer.alloc(32)
        for (let i = 0; i < 32; i++) src[i] = (i * 37) & 0xff
        pool.writeBitmap(bmp, src)
        const at = pool.offsetOf(bmp)
        pool.compact()
        expect(pool.offsetOf(bmp)).toBeLessThan(at)
        const back = Buffer.alloc(32)
        pool.readBitmap(bmp, back)
        expect(back.equals(src)).toBe(true)
    })

    test("bad input is refused before anything is written, naming the problem; pool and Buffer unchanged", () => {
        const pool = new Pool({ size: 2048 })
        const bmp = pool.bitmap(10, 4, 2) // stride 3, 12 bytes
        pool.setRoot("b", bmp)
        const src = Buffer.alloc(12)
        for (let i = 0; i < 12; i++) src[i] = 200 - i
        pool.writeBitmap(bmp, src)
        const raw = pool.bytes(12)
        pool.setRoot("raw", raw)
        const gone = pool.bitmap(2, 2, 1)
        pool.free(gone)

        function refuses(what: string, fn: (buf: Buffer) => unknown, cls: typeof ArgumentError | typeof HandleError, msg: RegExp, size = 12) {
            const before = Buffer.from(pool.buf)
            const buf = Buffer.alloc(size, 0x77)
            let err: unknown = null
            try {
                fn(buf)
            } catch (e) {
                err = e
            }
            expect(err, what + ": threw").toBeInstanceOf(cls)
            expect(err, what).toBeInstanceOf(PoolError)
            expect((err as Error).message, what).toMatch(msg)
            expect(before.equals(pool.buf), what + ": pool unchanged").toBe(true)
            expect([...buf], what + ": Buffer unchanged").toEqual(new Array(size).fill(0x77))
        }
        const bmpH = bmp as BitmapHandle
        for (const [name, call] of [
            ["readBitmap", (h: BitmapHandle, b: Buffer, y0?: number, rows?: number) => pool.readBitmap(h, b, y0, rows)],
            ["writeBitmap", (h: BitmapHandle, b: Buffer, y0?: number, rows?: number) => pool.writeBitmap(h, b, y0, rows)],
        ] as const) {
            refuses(name + " of a bytes object", b => call(raw as unknown as BitmapHandle, b), HandleError, /bitmap/)
            refuses(name + " of a freed bitmap", b => call(gone, b), HandleError, /stale handle/)
            refuses(name + " of null", b => call(0 as unknown as BitmapHandle, b), HandleError, /^not a handle: 0/)
            for (const y0 of [-1, 4, 1.5, NaN, Infinity, "1" as unknown as number, null as unknown as number])
                refuses(name + " first row " + y0, b => call(bmpH, b, y0), ArgumentError, new RegExp("^" + name + " first row must be an integer from 0 to 3, got"))
            for (const [y0, rows, hi] of [[0, 5, 4], [0, -1, 4], [2, 3, 2], [3, 2, 1], [0, 0.5, 4], [1, NaN, 3], [0, "2" as unknown as number, 4]] as [number, number, number][])
                refuses(name + " rows " + y0 + "+" + rows, b => call(bmpH, b, y0, rows), ArgumentError, new RegExp("^" + name + " rows must be an integer from 0 to " + hi + ", got"))
            refuses(name + " into 11 bytes", b => call(bmpH, b), ArgumentError, new RegExp("^" + name + ": 4 rows of 3 bytes need a Buffer of 12 bytes, got 11"), 11)
            refuses(name + " of a band into too few bytes", b => call(bmpH, b, 1, 2), ArgumentError, new RegExp("^" + name + ": 2 rows of 3 bytes need a Buffer of 6 bytes, got 5"), 5)
            for (const notBuf of [null, undefined, [1, 2, 3], "abc", new Uint8Array(12)])
                refuses(name + " with " + Object.prototype.toString.call(notBuf), () => call(bmpH, notBuf as unknown as Buffer), ArgumentError, new RegExp("^" + name + ": the pixels' Buffer must be a Buffer"))
        }
        // nothing written: the pixels are still src
        const back = Buffer.alloc(12)
        pool.readBitmap(bmp, back)
        expect(back.equals(src)).toBe(true)
        pool.verify()
        checkPool(pool)
    })

    test("the slice meter is charged before the copy: a call that would pass the share throws StepLimitError with nothing copied", async () => {
        const { meter } = await import("../../src/poolgc/meter")
        const { StepLimitError } = await import("../../src/index")
        const pool = new Pool({ size: 2048 })
        const bmp = pool.bitmap(8, 8, 8)
        const dst = Buffer.alloc(64, 9)
        const saved = [meter.used, meter.next, meter.limit, meter.armed] as const
        try {
            meter.limit = 1000
            meter.used = 900
            meter.next = 900
            expect(() => pool.readBitmap(bmp, dst)).toThrow(StepLimitError)
            expect([...dst]).toEqual(new Array(64).fill(9))
        } finally {
            meter.used = saved[0]
            meter.next = saved[1]
            meter.limit = saved[2]
            meter.armed = saved[3]
        }
    })
})
