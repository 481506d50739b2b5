/**
 * verify's check beside a program that changes the pool between every two
 * of its runs (src/poolgc/verify.ts: per-item checks of one instant each,
 * censuses for the counts): it finishes, it never reports a sound pool
 * corrupt, and it reports a corruption that stays in place for the whole
 * check.
 */
import { describe, expect, test } from "vitest"
import { CorruptionError, Pool, Verifier, verifyPool } from "../../src/index"
import * as L from "../../src/poolgc/layout"
import { C_CALL, C_STEP, SHARE, UNIT_OPS } from "../../src/poolgc/meter"
import { rng } from "../support/rng"


const turn = () => new Promise<void>(resolve => setImmediate(resolve))

/**
 * A pool of many small objects: `kept` records in a rooted list (never
 * freed by the mutator), the rest garbage the mutator makes and drops.
 */
function busyPool(size: number, kept: number) {
    const pool = new Pool({ size: size, handles: size >> 4 })
    const K = pool.defineRecord("K", ["a", "b"])
    const keep = pool.list(kept)
    pool.setRoot("keep", keep)
    for (let i = 0; i < kept; i++) {
        const r = pool.record(K)
        if (i > 0) pool.setField(r, "a", pool.get(keep, i - 1))
        pool.push(keep, r)
    }
    return { pool, K, keep }
}

/**
 * One mutation of the kind another fiber makes in a slice: allocations
 * (unrooted, rooted, linked into a temporary list), frees, root changes,
 * collection steps, whole collections; with `move`, compactions too.
 */
function mutate(pool: Pool, K: number, rand: () => number, tmp: number[], move: boolean): void {
    const r = rand()
    try {
        if (r < 0.3) {
            const h = rand() < 0.5 ? pool.number(rand()) : rand() < 0.5 ? pool.record(K) : pool.bytes(1 + ((rand() * 60) | 0))
            if (rand() < 0.5) {
                tmp.push(h)
                pool.setRoot("t" + (tmp.length & 7), h)
            }
        } else if (r < 0.45) {
            if (tmp.length > 0) {
                const h = tmp.splice((rand() * tmp.length) | 0, 1)[0]
                if (pool.isLive(h)) pool.free(h)
            }
        } else if (r < 0.6) {
            const l = pool.list(2 + ((rand() * 6) | 0))
            pool.setRoot("l", l)
            for (let i = 0; i < 3; i++) pool.push(l, pool.number(i))
        } else if (r < 0.85) pool.collectStep(1 + ((rand() * 40) | 0))
        else if (r < 0.9) {
            if (pool.hasRoot("l")) pool.delRoot("l")
        }
        else if (r < 0.95) {
            if (move) pool.compact()
            else pool.collect()
        } else if (pool.hasRoot("t0")) pool.delRoot("t0")
    } catch (e) {
        // a full pool is part of the program's life; anything else is not
        if (!(e instanceof Error) || e.name !== "MemoryError") throw e
    }
}

describe("verify beside a program that changes the pool between its runs", () => {
    test("finishes, and never reports a sound pool corrupt (many seeds, units 1-400)", () => {
        let runsTotal = 0
        let changes = 0
        let censuses = 0
        for (let seed = 1; seed <= 60; seed++) {
            const rand = rng(seed)
            const size = [2048, 4096, 8192, 16384][seed & 3]
            const { pool, K } = busyPool(size, size >> 8)
            const tmp: number[] = []
            for (let i = 0; i < 40; i++) mutate(pool, K, rand, tmp, true)
            for (let round = 0; round < 3; round++) {
                const units = 1 + ((rand() * 400) | 0)
                // (the record kinds of the whole check; the root names change, and only verifyAsync() follows them)
                const v = new Verifier(pool.buf, [2])
                let runs = 0
                try {
                    while (!v.run(units)) {
                        // a change between every two runs
                        mutate(pool, K, rand, tmp, true)
                        runs++
                        if (runs > 200000) throw new Error("seed " + seed + ": the check did not finish in 200,000 runs")
                    }
                } catch (e) {
                    throw new Error("seed " + seed + ", round " + round + ", units " + units + ", run " + runs + ": " + (e as Error).message)
                }
                // the one-instant check agrees now
                verifyPool(pool.buf)
                runsTotal += runs
                changes += v.changes
                censuses += v.censuses
            }
        }
        console.log(`verify-mutating: 180 checks, ${runsTotal} runs, ${changes} changes between runs, ${censuses} censuses`)
        expect(changes).toBeGreaterThan(1000)
        expect(censuses).toBeGreaterThan(100)
    }, 60000)

    test("verifyAsync() finishes beside a fiber that changes the pool in every slice, at 32 KiB", async () => {
        const rand = rng(7)
        const { pool, K } = busyPool(32768, 1200)
        const tmp: number[] = []
        let stop = false
        let slices = 0
        const busy = (async () => {
            while (!stop) {
                mutate(pool, K, rand, tmp, true)
                slices++
                await turn()
            }
        })()
        for (let i = 0; i < 3; i++) {
            const before = slices
            await pool.verifyAsync()
            // (32 KiB of 1,200 records and their references: several slices of 1,600 units)
            expect(slices - before).toBeGreaterThan(3)
        }
        stop = true
        await busy
        pool.verifier().run(1e9)
    }, 30000)

    // each damage stays in place while the mutator runs (it never frees or moves the kept objects)
    const damages: [string, (pool: Pool, keep: number) => void, RegExp][] = [
        // (not its generation: its handles would go stale and the collector free it, which repairs the damage)
        ["a kept record's kind id", (pool, keep) => (pool.buf[pool.offsetOf(pool.get(keep, 700)) + L.O_AUX] = 9), /object at block \d+: record kind id: expected 1\.\.1, found 9/],
        ["H_FREE one short", pool => pool.buf.writeUInt16LE(pool.buf.readUInt16LE(L.H_FREE) - 1, L.H_FREE), /H_FREE/],
        ["a kept record's field: another pool's handle", (pool, keep) => pool.buf.writeUInt32LE(((pool.buf.readUInt16LE(L.H_POOLID) + 1) << L.POOL_SHIFT) | (1 << 12) | 1, pool.offsetOf(pool.get(keep, 900)) + L.OBJ_HEADER + 4), /object at block \d+, field 1: reference: expected 0 or a handle with pool id/],
        ["a kept object's slot entry", (pool, keep) => {
            const slot = pool.get(keep, 300) & 0xfff
            const at = pool.buf.readUInt16LE(L.H_HTAB) + slot * 2
            pool.buf.writeUInt16LE(pool.buf.readUInt16LE(at) + 1, at)
        }, /handle table entry|slot \d+: ATB code of its block|O_SLOT of its object/],
        ["H_TCOUNT of records one more", pool => {
            const at = L.H_TCOUNT + (L.T_RECORD << 1)
            pool.buf.writeUInt16LE(pool.buf.readUInt16LE(at) + 1, at)
        }, new RegExp("H_TCOUNT of type " + L.T_RECORD + ": expected \\d+ \\(objects counted\\), found")],
    ]
    for (const [name, damage, msg] of damages) {
        test("reports " + name + " while another fiber changes the pool in every slice", async () => {
            for (const seed of [1, 2, 3]) {
                const rand = rng(seed)
                const { pool, K, keep } = busyPool(32768, 1200)
                const tmp: number[] = []
                for (let i = 0; i < 50; i++) mutate(pool, K, rand, tmp, false)
                damage(pool, keep)
                let stop = false
                let slices = 0
                const busy = (async () => {
                    while (!stop) {
                        mutate(pool, K, rand, tmp, false)
                        slices++
                        await turn()
                    }
                })()
                let error: unknown = null
                try {
                    await pool.verifyAsync(100 + seed * 50)
                } catch (e) {
                    error = e
                }
                stop = true
                await busy
                expect(error).toBeInstanceOf(CorruptionError)
                expect((error as Error).message).toMatch(msg)
                expect(slices).toBeGreaterThan(1)
            }
        }, 30000)
    }

    test("every census of the largest pool fits the meter's share (verifyAsync() would otherwise wait for room forever)", () => {
        const room = Math.floor((SHARE - C_CALL - C_STEP) / UNIT_OPS)
        let most = 0
        for (const handles of [1, 16, 256, 2048]) {
            for (const names of [1, 64]) {
                const pool = new Pool({ size: 32768, handles: handles, namedRoots: names })
                const u = pool.verifier().censusUnits()
                if (u > most) most = u
            }
        }
        console.log(`verify-mutating: the largest census at 32 KiB: ${most} units (${most * UNIT_OPS} ops charged) of ${room}`)
        expect(most).toBeLessThanOrEqual(room)
    })

    test("a damage the mutator repairs or never meets between two runs is no false report: the Verifier checks each item at its run", () => {
        // a sound pool under a mutation between every run of 1 unit: no report at all
        const rand = rng(99)
        const { pool, K } = busyPool(4096, 16)
        const tmp: number[] = []
        const v = new Verifier(pool.buf)
        let runs = 0
        while (!v.run(1)) {
            mutate(pool, K, rand, tmp, true)
            runs++
        }
        expect(runs).toBeGreaterThan(100)
        expect(v.changes).toBeGreaterThan(50)
    })
})
