/**
 * Objects that hold no references (bytes, strings, numbers, bitmaps) are never
 * scanned by the mark phase (issue 6): their payload is data, even when its
 * bytes happen to look like a handle.
 */
import { expect, test } from "vitest"
import { Pool } from "../../src/index"

test("a handle's bytes inside bytes, a string or a bitmap keep nothing alive, and scanning them costs nothing", () => {
    const pool = new Pool({ size: 8192 })
    const victim = pool.number(42) // referenced by nothing but look-alike bytes
    const raw = Buffer.alloc(4)
    raw.writeUInt32LE(victim, 0)
    const b = pool.bytes(64)
    for (let i = 0; i < 64; i += 4) pool.writeBytes(b, i, raw)
    pool.setRoot("bytes", b)
    const bmp = pool.bitmap(16, 16, 8)
    for (let x = 0; x < 16; x++) for (let y = 0; y < 16; y++) pool.setPixel(bmp, x, y, raw[x & 3])
    pool.setRoot("bitmap", bmp)
    pool.setRoot("string", pool.string(raw.toString("latin1").repeat(8)))
    expect(pool.collect()).toBe(true)
    expect(pool.isLive(victim)).toBe(false)

    // the mark work does not grow with the size of data objects: a 16-byte and a 4000-byte bitmap cost the same
    const work = (w: number) => {
        const p = new Pool({ size: 8192 })
        p.setRoot("b", p.bitmap(w, 1, 8))
        p.collect()
        return p.stats().lastWork
    }
    expect(work(4000)).toBe(work(16))
    // while a list is scanned reference by reference: 4 units each, and 2 for each
    // further chunk of 32 references (40 references are popped twice)
    const listWork = (n: number) => {
        const p = new Pool({ size: 8192 })
        const l = p.list(n)
        for (let i = 0; i < n; i++) p.push(l, 0)
        p.setRoot("l", l)
        p.collect()
        return p.stats().lastWork
    }
    expect(listWork(40) - listWork(8)).toBe(4 * 32 + 2)
})
