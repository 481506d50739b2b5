/**
 * Debug mode (issue 7): freed blocks hold a poison pattern, and an allocation
 * that finds it overwritten throws CorruptionError before it changes anything.
 */
import { describe, expect, test } from "vitest"
import { CorruptionError, Pool } from "../../src/index"
import { checkPool } from "../support/check"

const POISON = 0xdb

/** True if bytes 4-15 of every block of [off, off+len) hold the poison. */
function poisoned(pool: Pool, off: number, len: number): boolean {
    for (let b = off; b < off + len; b += 16) for (let k = 4; k < 16; k++) if (pool.buf[b + k] !== POISON) return false
    return true
}

describe("debug mode: poisoned free blocks", () => {
    test("free blocks hold the poison from the start, after free(), after a sweep and where compaction moved objects away", () => {
        const pool = new Pool({ size: 4096, debug: true })
        const meta = pool.stats().meta
        expect(poisoned(pool, meta, 4096 - meta)).toBe(true)
        const keep = pool.list(8)
        pool.setRoot("keep", keep)
        const a = pool.bytes(40)
        pool.writeBytes(a, 0, Buffer.alloc(40, 7))
        const aOff = pool.offsetOf(a)
        const gone = pool.string("garbage")
        const gOff = pool.offsetOf(gone)
        const b = pool.number(5)
        pool.push(keep, b)
        pool.free(a)
        expect(poisoned(pool, aOff, 48)).toBe(true)
        pool.collect()
        expect(pool.isLive(gone)).toBe(false)
        expect(poisoned(pool, gOff, 16)).toBe(true)
        const bOff = pool.offsetOf(b)
        while (!pool.compact());
        expect(pool.offsetOf(b)).toBeLessThan(bOff)
        expect(poisoned(pool, bOff, 16)).toBe(true)
        // every free block, and allocation still works everywhere
        expect(pool.stats().freeRuns).toBe(1)
        const end = pool.offsetOf(b) + 16
        expect(poisoned(pool, end, 4096 - end)).toBe(true)
        expect(pool.getNumber(pool.number(9))).toBe(9)
        pool.verify()
        checkPool(pool)
    })

    test("a write into freed memory is caught by the next allocation there, which changes nothing", () => {
        const pool = new Pool({ size: 4096, debug: true })
        const a = pool.bytes(100)
        const off = pool.offsetOf(a)
        pool.free(a)
        pool.buf[off + 40] = 1 // a stray write from outside the API, into the freed run
        const before = Buffer.from(pool.buf)
        expect(() => pool.bytes(100)).toThrow(CorruptionError)
        expect(() => pool.bytes(100)).toThrow(new RegExp("freed block " + ((off + 40) >> 4) + " was written after it was freed"))
        expect(pool.buf.equals(before)).toBe(true)
        // without debug mode the same write goes unnoticed: the check is what catches it
        const plain = new Pool({ size: 4096 })
        const p = plain.bytes(100)
        const pOff = plain.offsetOf(p)
        plain.free(p)
        plain.buf[pOff + 40] = 1
        expect(plain.sizeOf(plain.bytes(100))).toBe(100)
    })

    test("a large run is checked at both ends (the bound that keeps an allocation inside the VM's step limit)", () => {
        const pool = new Pool({ size: 32768, debug: true })
        const meta = pool.stats().meta
        const all = (32768 - meta) >> 4
        pool.buf[meta + 16 * (all - 10) + 5] = 0 // near the end of the one free run
        expect(() => pool.bytes(32768 - meta - 8)).toThrow(CorruptionError)
        pool.buf[meta + 16 * (all - 10) + 5] = POISON
        pool.buf[meta + 16 * 500 + 5] = 0 // in the middle: not checked
        expect(pool.sizeOf(pool.bytes(32768 - meta - 8))).toBe(32768 - meta - 8)
    })
})
