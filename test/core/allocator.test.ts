import { describe, expect, test } from "vitest"
import { AT_FREE } from "../../src/poolgc/layout"
import { codeOf, findRun, findRunTop, FIT, largestRun } from "../../src/poolgc/allocator"
import { MemoryError, Pool } from "../../src/index"

/** The runs of k in 0..n-1 where free(k) holds, one k at a time: [start, length][]. */
function runsWhere(n: number, free: (k: number) => boolean): number[][] {
    const out: number[][] = []
    let start = -1
    for (let k = 0; k <= n; k++) {
        const f = k < n && free(k)
        if (f && start < 0) start = k
        if (!f && start >= 0) {
            out.push([start, k - start])
            start = -1
        }
    }
    return out
}

/** The free runs of ATB byte v, block by block. */
const runsOf = (v: number) => runsWhere(4, k => ((v >> (2 * k)) & 3) === 0)

describe("the FIT table", () => {
    test("lead, trail and inner runs describe every free run of every ATB byte", () => {
        for (let v = 1; v < 256; v++) {
            const t = FIT[v]
            const lead = t & 7
            const trail = (t >> 3) & 7
            const inner = t >> 6
            const runs = runsOf(v)
            const expected: number[][] = []
            if (lead) expected.push([0, lead])
            if (inner) expected.push([((v >> 2) & 3) === 0 ? 1 : 2, inner])
            if (trail) expected.push([4 - trail, trail])
            expect(runs, "byte " + v).toEqual(expected)
        }
        expect(FIT[0] & 7).toBe(4)
    })
})

/** Every free run of the pool, block by block. */
const freeRunsOf = (buf: Buffer) => runsWhere(buf.readUInt16LE(4), b => codeOf(buf, b) === AT_FREE)

describe("the searches over the row summary", () => {
    test("findRun is exactly first fit, findRunTop exactly top-down fit and largestRun the longest run, on random heaps of every pool size shape", () => {
        let rng = 0x2545f491
        const rand = (k: number) => {
            rng ^= rng << 13
            rng ^= rng >>> 17
            rng ^= rng << 5
            return (rng >>> 0) % k
        }
        let searches = 0
        let found = 0
        for (let round = 0; round < 40; round++) {
            // sizes whose last row is partial as well as whole rows (64 blocks = 1024 bytes)
            const size = 1024 + 64 * rand(8 * 16)
            const pool = new Pool({ size, handles: Math.min(128, size >> 4), autoCompact: false })
            pool.disable()
            const live: number[] = []
            for (let op = 0; op < 300; op++) {
                if (live.length > 0 && rand(5) < 2) {
                    pool.free(live.splice(rand(live.length), 1)[0])
                } else {
                    pool.longLived(rand(4) === 0)
                    try {
                        live.push(pool.bytes(rand(4) === 0 ? rand(1200) : rand(100)))
                    } catch (e) {
                        if (!(e instanceof MemoryError)) throw e
                    }
                }
                const buf = pool.buf
                const runs = freeRunsOf(buf)
                for (const n of [1, 2, 3, 4, 5, 7, 16, 33, 64, 65, 100]) {
                    const first = runs.find(r => r[1] >= n)
                    const top = runs.filter(r => r[1] >= n).pop()
                    expect(findRun(buf, n), `first fit of ${n} blocks, pool ${size}, op ${op}`).toBe(first ? first[0] : -1)
                    expect(findRunTop(buf, n), `top-down fit of ${n} blocks, pool ${size}, op ${op}`).toBe(top ? top[0] + top[1] - n : -1)
                    searches += 2
                    if (first) found++
                }
                expect(largestRun(buf), `largest free run, pool ${size}, op ${op}`).toBe(Math.max(0, ...runs.map(r => r[1])))
                if (op % 50 === 0) expect(pool.verifier().run(100000)).toBe(true)
            }
            expect(pool.verifier().run(100000)).toBe(true)
        }
        expect(found).toBeGreaterThan(searches / 4)
        expect(found).toBeLessThan(searches / 2)
    })
})
