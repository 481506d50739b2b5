/**
 * verify() on the real VM (run by test/device/vm-model.test.ts): random operations on
 * small pools with pool.verify() after every one, the directly rooted numbers
 * checked for life and value; and a whole verifyAsync() of a full 32 KiB pool
 * whose every run(1000) chunk starts with half of its slice already used.
 * Any VM panic (step limit, call depth) fails the run.
 */
import * as ds from "@devicescript/core"
import { describe, expect, test } from "@devicescript/test"
import { CorruptionError, MemoryError, Pool, StepLimitError, Verifier } from "../../src/index"
import type { Handle } from "../../src/index"

const SLICE_ITERS = 14560

/** xorshift32: the same sequence on every run. */
class Rng {
    s: number
    constructor(seed: number) {
        this.s = seed | 0
    }
    next(n: number): number {
        let x = this.s
        x ^= x << 13
        x ^= x >>> 17
        x ^= x << 5
        this.s = x
        return Math.idiv((x >>> 1) & 0xffffff, 1) - Math.idiv((x >>> 1) & 0xffffff, n) * n
    }
}

async function randomOps(seed: number, size: number, steps: number): Promise<number> {
    const pool = new Pool({ size: size, rootStack: 8, namedRoots: 4, budget: 100 })
    const K = pool.defineRecord("K", ["a", "b"])
    const rng = new Rng(seed)
    let hs: number[] = [] // every handle handed out (some dead by now)
    const rootH: number[] = [0, 0, 0, 0] // the number rooted under "r0".."r3", or 0
    const rootV: number[] = [0, 0, 0, 0]
    const marks: number[] = []
    let memErrors = 0
    for (let i = 0; i < steps; i++) {
        // (a fresh slice for each operation and for verify(): with the slice meter, a collection and a
        // verify() of a full budget each do not fit together beside the rest in one)
        await ds.sleep(0)
        const op = rng.next(16)
        const a = rng.next(1000)
        const pick = hs.length > 0 ? hs[rng.next(hs.length)] : 0
        const live = pick !== 0 && pool.isLive(pick)
        try {
            if (op <= 1) hs.push(pool.number(a))
            else if (op === 2) hs.push(pool.bytes(a % 40))
            else if (op === 3) hs.push(pool.list(a % 4))
            else if (op === 4) hs.push(pool.record(K))
            else if (op === 5) hs.push(pool.string("s" + a))
            else if (op === 6 && live && pool.typeOf(pick) === "list") {
                const t = hs[rng.next(hs.length)]
                pool.push(pick, pool.isLive(t) ? t : 0)
            } else if (op === 7 && live && pool.typeOf(pick) === "record") {
                const t = hs[rng.next(hs.length)]
                pool.setField(pick, (a & 1) === 0 ? "a" : "b", pool.isLive(t) ? t : 0)
            } else if (op === 8 && live && pool.typeOf(pick) === "number") {
                const r = a & 3
                pool.setRoot("r" + r, pick)
                rootH[r] = pick
                rootV[r] = pool.getNumber(pick)
            } else if (op === 9) {
                const r = a & 3
                if (pool.hasRoot("r" + r)) pool.delRoot("r" + r)
                rootH[r] = 0
            } else if (op === 10 && marks.length < 3) marks.push(pool.enter())
            else if (op === 11 && marks.length > 0) pool.leave(marks.pop())
            else if (op === 12 && live && (a & 7) === 0) {
                pool.free(pick)
                for (let r = 0; r < 4; r++) if (rootH[r] === pick) rootH[r] = 0
            } else if (op === 13) pool.collectStep(1 + (a % 50))
            else if (op === 14) pool.collect()
            else if (op === 15 && live && pool.typeOf(pick) === "list" && pool.length(pick) > 0) pool.removeAt(pick, a % pool.length(pick))
        } catch (e) {
            if (!(e instanceof MemoryError)) throw e
            memErrors++
        }
        await ds.sleep(0)
        pool.verify()
        for (let r = 0; r < 4; r++) {
            if (rootH[r] !== 0) {
                if (!pool.isLive(rootH[r])) throw new Error("rooted number " + rootH[r] + " died at step " + i)
                if (pool.getNumber(rootH[r]) !== rootV[r]) throw new Error("rooted number " + rootH[r] + " changed at step " + i)
            }
        }
        if (hs.length > 64) hs = hs.slice(32)
    }
    return memErrors
}

describe("verify() on the VM", () => {
    test("random operations with verify() after each (2 KiB)", async () => {
        await ds.sleep(0)
        const m = await randomOps(12345, 2048, 1000)
        console.log("model ops 1000 at 2048, MemoryErrors " + m)
        expect(m > 0).toBe(true)
    })

    test("random operations with verify() after each (1 KiB and 4 KiB)", async () => {
        await ds.sleep(0)
        const m1 = await randomOps(777, 1024, 500)
        await ds.sleep(0)
        const m2 = await randomOps(4242, 4096, 500)
        console.log("model ops 500 at 1024 and 500 at 4096, MemoryErrors " + m1 + " " + m2)
    })

    test("a damaged pool throws CorruptionError naming the block", async () => {
        await ds.sleep(0)
        const pool = new Pool({ size: 1024 })
        const h = pool.number(5)
        pool.setRoot("n", h)
        pool.verify()
        const off = pool.offsetOf(h)
        pool.buf[off] = 9 // a type that does not exist
        let msg = ""
        try {
            pool.verify()
        } catch (e) {
            if (e instanceof CorruptionError) msg = e.message
        }
        console.log(msg)
        expect(msg.indexOf("object at block " + (off >> 4) + ": type: expected 1..6, found 9") >= 0).toBe(true)
    })

    test("writeBytes takes a Buffer and rejects anything else (instanceof Buffer on the VM)", async () => {
        await ds.sleep(0)
        const pool = new Pool({ size: 1024 })
        const b = pool.bytes(4)
        const src = Buffer.alloc(2)
        src[0] = 7
        src[1] = 9
        pool.writeBytes(b, 1, src)
        expect(pool.getByte(b, 1)).toBe(7)
        expect(pool.getByte(b, 2)).toBe(9)
        let msg = ""
        try {
            pool.writeBytes(b, 0, "ab" as any)
        } catch (e) {
            msg = (e as Error).message
        }
        expect(msg.indexOf("the source must be a Buffer") >= 0).toBe(true)
        pool.verify()
    })

    test("verifyAsync of a full 32 KiB pool: every run(1000) fits in half a slice", async () => {
        await ds.sleep(0)
        const pool = new Pool({ size: 32768, handles: 1800 })
        const R = pool.defineRecord("R", ["a", "b", "c", "d"])
        const l = pool.list(0)
        pool.setRoot("l", l)
        let n = 0
        let prev = 0
        let full = false
        while (!full) {
            await ds.sleep(0)
            try {
                const isList = (n & 3) === 0 && prev !== 0
                const h: Handle = isList ? pool.list(2) : pool.number(n)
                if (isList) {
                    pool.push(h, prev)
                    pool.push(h, l)
                }
                const k = pool.record(R)
                pool.setField(k, "a", h)
                pool.push(l, k)
                prev = h
                n++
            } catch (e) {
                // (the slice meter: the loop suspends at its top, then goes on)
                if (e instanceof StepLimitError) continue
                if (!(e instanceof MemoryError)) throw e
                full = true
            }
        }
        await ds.sleep(0)
        const v = new Verifier(pool.buf)
        let chunks = 0
        let done = false
        while (!done) {
            await ds.sleep(0)
            let j = 0
            while (j < SLICE_ITERS >> 1) j++
            done = v.run(1000)
            chunks++
        }
        await ds.sleep(0) // (stats() walks the table: not in the slice the last chunk shared with the burn)
        const live = pool.stats().live // (one stats() a slice: the meter charges it most of one at 32 KiB)
        console.log("verify chunks " + chunks + " for " + live + " objects")
        expect(live > 900).toBe(true)
        await pool.verifyAsync()
    })
})
