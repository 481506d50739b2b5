import { describe, expect, test } from "vitest"
import { Handle, Pool } from "../../src/index"
import { checkPool } from "../support/check"
import { makeRandom } from "../vm/sequence"

/** Every object reachable from the roots, found through the public API. */
function reachable(pool: Pool, roots: Handle[]): Set<Handle> {
    const seen = new Set<Handle>()
    const stack = roots.filter(h => h !== 0)
    while (stack.length) {
        const h = stack.pop()!
        if (h === 0 || seen.has(h)) continue
        expect(pool.isLive(h), "reachable handle " + h + " must be live").toBe(true)
        seen.add(h)
        const t = pool.typeOf(h)
        if (t === "list") for (let i = 0; i < pool.length(h); i++) stack.push(pool.get(h, i))
        else if (t === "record") for (const f of pool.kindOf(h).fields) stack.push(pool.getField(h, f))
    }
    return seen
}

describe("incremental collection under mutation", () => {
    for (const seed of [3, 99, 2026, 7, 31337, 4242]) {
        test("seed " + seed + ": nothing reachable is ever freed, everything unreachable is freed by a quiet cycle", () => {
            const r = makeRandom(seed)
            const pool = new Pool({ size: 16384, handles: 512, markStack: 4 })
            const K = pool.defineRecord("Pair", ["a", "b"])
            const names = ["x", "y", "z"]
            const roots = new Map<string, Handle>()
            let known: Handle[] = []
            const live = () => {
                known = known.filter(h => pool.isLive(h))
                return known.length ? known[r(known.length)] : 0
            }
            for (let step = 0; step < 4000; step++) {
                const op = r(12)
                try {
                    if (op < 3) known.push(pool.record(K))
                    else if (op < 5) known.push(pool.list(r(3)))
                    else if (op < 6) known.push(pool.number(step))
                    else if (op < 8) {
                        const t = live()
                        const v = live()
                        if (t && pool.typeOf(t) === "record") pool.setField(t, r(2) ? "a" : "b", v)
                        else if (t && pool.typeOf(t) === "list") pool.push(t, v)
                    } else if (op < 9) {
                        const name = names[r(3)]
                        const v = live()
                        if (v) {
                            pool.setRoot(name, v)
                            roots.set(name, v)
                        }
                    } else if (op < 10) {
                        const name = names[r(3)]
                        if (roots.has(name)) {
                            pool.delRoot(name)
                            roots.delete(name)
                        }
                    } else pool.collectStep(1 + r(30)) // a small slice of collection, then the program again
                } catch (e: any) {
                    expect(e.name + ": " + e.message + " at step " + step + " op " + op).toMatch(/^MemoryError/)
                }
                try {
                    reachable(pool, [...roots.values()])
                } catch (e: any) {
                    throw new Error("step " + step + " op " + op + " phase " + pool.stats().phase + ": " + e.message)
                }
                if (step % 500 === 499) {
                    // a quiet cycle: finish the one in progress, run one more without mutations
                    while (!pool.collectStep(100)) {}
                    while (!pool.collectStep(100)) {}
                    const reach = reachable(pool, [...roots.values()])
                    expect(pool.stats().live).toBe(reach.size)
                    checkPool(pool)
                }
            }
        })
    }

    test("collectAsync in one task while another allocates and links between its slices", async () => {
        const pool = new Pool({ size: 32768, handles: 2048, budget: 40 })
        const K = pool.defineRecord("Node", ["next"])
        let head = pool.record(K)
        pool.setRoot("head", head)
        for (let i = 0; i < 600; i++) {
            const rec = pool.record(K)
            pool.setField(rec, "next", head)
            pool.setRoot("head", rec)
            head = rec
        }
        let stop = false
        const mutator = (async () => {
            let n = 0
            while (!stop) {
                await new Promise(res => setImmediate(res))
                try {
                    const rec = pool.record(K)
                    pool.setField(rec, "next", head)
                    pool.setRoot("head", rec)
                    head = rec
                    pool.number(n++) // garbage
                } catch (e: any) {
                    expect(e.name).toBe("MemoryError")
                }
            }
            return n
        })()
        await pool.collectAsync()
        await pool.collectAsync()
        stop = true
        const made = await mutator
        expect(made).toBeGreaterThan(10)
        const chain = reachable(pool, [pool.getRoot("head")])
        expect(chain.size).toBe(601 + made)
        // numbers born during the last cycle survived it (floating garbage); a quiet cycle frees them
        expect(pool.stats().live).toBeGreaterThan(chain.size)
        await pool.collectAsync()
        expect(pool.stats().live).toBe(chain.size)
        checkPool(pool)
    })
})

describe("collectAsync", () => {
    test("does no collection work before its first suspension (it may follow a failed allocation in the same slice)", async () => {
        const pool = new Pool({ size: 4096 })
        pool.number(1)
        const done = pool.collectAsync()
        expect(pool.stats().phase).toBe("idle")
        expect(pool.stats().collections).toBe(0)
        await done
        expect(pool.stats().collections).toBe(1)
        expect(pool.stats().live).toBe(0)
    })
})
