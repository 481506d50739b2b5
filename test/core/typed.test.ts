import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, test } from "vitest"
import { ArgumentError, HandleError, Pool } from "../../src/index"
import { withSimLock } from "../../sim/lock.mjs"
import { checkPool } from "../support/check"
import { rng } from "../support/rng"

const ROOT = join(__dirname, "../..")
const FIXTURE = "test/fixtures/typed-handles.ts"

describe("typed handles, checked by the DeviceScript compiler", () => {
    test("every misuse in the fixture is refused, and nothing else", async () => {
        const r = await withSimLock(async () =>
            spawnSync(process.execPath, [join(ROOT, "node_modules/@devicescript/cli/devicescript"), "--no-colors", "build", FIXTURE], { cwd: ROOT, encoding: "utf8", timeout: 240000 })
        )
        const out = (r.stdout || "") + (r.stderr || "")
        if (r.error) throw new Error("the DeviceScript compiler did not run: " + r.error.message)
        const lines = readFileSync(join(ROOT, FIXTURE), "utf8").split("\n")
        const expected = lines.map((l, i) => (/\/\/ type error$/.test(l) ? i + 1 : 0)).filter(n => n > 0)
        const found = [...out.matchAll(/typed-handles\.ts\((\d+),\d+\): error TS\d+/g)].map(m => Number(m[1]))
        // each marked line refused (once or more), no line refused that is not marked
        expect([...new Set(found)].sort((a, b) => a - b)).toEqual(expected)
        expect(expected.length).toBe(12)
        expect(r.status).not.toBe(0)
    })
})

describe("cast()", () => {
    test("types a handle of the kind named, and refuses any other", () => {
        const pool = new Pool({ size: 4096 })
        const b = pool.bitmap(4, 4, 2)
        pool.setRoot("b", b)
        expect(pool.cast(pool.getRoot("b"), "bitmap")).toBe(b)
        expect(() => pool.cast(b, "bytes")).toThrow(HandleError)
        expect(() => pool.cast(b, "bytes")).toThrow(/expected a bytes, handle \d+ is a bitmap/)
        expect(() => pool.cast(b, "image" as any)).toThrow(ArgumentError)
        expect(() => pool.cast(b, "?" as any)).toThrow(/no object kind \?/)
        const s = pool.string("x")
        pool.free(s)
        expect(() => pool.cast(s, "string")).toThrow(/stale handle/)
        expect(() => pool.cast(0, "list")).toThrow(HandleError)
    })
})

/** The documented layout, computed apart from the pool: pixel (x, y) of a w-wide, bpp-deep bitmap. */
function place(w: number, bpp: number, x: number, y: number): [number, number] {
    const stride = Math.ceil((w * bpp) / 8)
    return [y * stride + Math.floor((x * bpp) / 8), (x * bpp) % 8]
}

describe("readBitmap() and writeBitmap()", () => {
    test("read the pixels in the documented layout, for every depth and odd widths", () => {
        const next = rng(7)
        for (const bpp of [1, 2, 4, 8]) {
            for (const w of [1, 3, 8, 13, 33]) {
                const h = 1 + Math.floor(next() * 9)
                const pool = new Pool({ size: 8192 })
                const bmp = pool.bitmap(w, h, bpp)
                const stride = Math.ceil((w * bpp) / 8)
                const want = Buffer.alloc(stride * h)
                for (let y = 0; y < h; y++) {
                    for (let x = 0; x < w; x++) {
                        const c = Math.floor(next() * (1 << bpp))
                        pool.setPixel(bmp, x, y, c)
                        const [byte, shift] = place(w, bpp, x, y)
                        want[byte] |= c << shift
                    }
                }
                const got = Buffer.alloc(stride * h + 3, 0xee)
                expect(pool.readBitmap(bmp, got, 3)).toBe(stride * h)
                expect(got.subarray(3).equals(want)).toBe(true)
                expect(got.subarray(0, 3).equals(Buffer.from([0xee, 0xee, 0xee]))).toBe(true)
            }
        }
    })

    test("write a frame that getPixel() then reads, row ranges included", () => {
        const next = rng(11)
        const pool = new Pool({ size: 8192 })
        const w = 21
        const h = 10
        const bmp = pool.bitmap(w, h, 2)
        const stride = Math.ceil((w * 2) / 8)
        const frame = Buffer.alloc(stride * h)
        for (let i = 0; i < frame.length; i++) frame[i] = Math.floor(next() * 256)
        expect(pool.writeBitmap(bmp, frame)).toBe(frame.length)
        for (let y = 0; y < h; y++) {
            for (let x = 0; x < w; x++) {
                const [byte, shift] = place(w, 2, x, y)
                expect(pool.getPixel(bmp, x, y)).toBe((frame[byte] >> shift) & 3)
            }
        }
        // rows 4..6 from a buffer offset, the rest unchanged
        const part = Buffer.alloc(1 + stride * 3, 0)
        expect(pool.writeBitmap(bmp, part, 1, 4, 3)).toBe(stride * 3)
        const back = Buffer.alloc(stride * h)
        pool.readBitmap(bmp, back)
        for (let y = 0; y < h; y++) {
            const row = back.subarray(y * stride, (y + 1) * stride)
            if (y >= 4 && y < 7) expect(row.every(v => v === 0)).toBe(true)
            else expect(row.equals(frame.subarray(y * stride, (y + 1) * stride))).toBe(true)
        }
        const one = Buffer.alloc(stride)
        expect(pool.readBitmap(bmp, one, 0, 9, 1)).toBe(stride)
        expect(one.equals(frame.subarray(9 * stride))).toBe(true)
        checkPool(pool)
    })

    test("bad arguments are named errors, and nothing changes", () => {
        const pool = new Pool({ size: 4096 })
        const bmp = pool.bitmap(16, 4, 1)
        pool.setPixel(bmp, 3, 2, 1)
        const before = Buffer.alloc(8)
        pool.readBitmap(bmp, before)
        const neighbour = pool.bytes(8)
        pool.setByte(neighbour, 0, 42)
        expect(() => pool.writeBitmap(bmp, Buffer.alloc(7))).toThrow(/writeBitmap: 4 rows of 2 bytes need 8 bytes from offset 0, the Buffer has 7/)
        expect(() => pool.readBitmap(bmp, Buffer.alloc(8), 1)).toThrow(/readBitmap: 4 rows of 2 bytes need 8 bytes from offset 1, the Buffer has 7/)
        expect(() => pool.readBitmap(bmp, Buffer.alloc(8), 0, 4)).toThrow(/readBitmap first row must be an integer from 0 to 3, got 4/)
        expect(() => pool.readBitmap(bmp, Buffer.alloc(8), 0, 1, 4)).toThrow(/readBitmap rows must be an integer from 0 to 3, got 4/)
        expect(() => pool.readBitmap(bmp, Buffer.alloc(8), -1)).toThrow(ArgumentError)
        expect(() => pool.writeBitmap(bmp, "xxxxxxxx" as any)).toThrow(/writeBitmap: needs a Buffer/)
        expect(() => pool.readBitmap(neighbour as any, Buffer.alloc(8))).toThrow(/expected a bitmap/)
        const after = Buffer.alloc(8)
        pool.readBitmap(bmp, after)
        expect(after.equals(before)).toBe(true)
        expect(pool.getByte(neighbour, 0)).toBe(42)
        expect(pool.readBitmap(bmp, Buffer.alloc(0), 0, 0, 0)).toBe(0)
        checkPool(pool)
    })
})
