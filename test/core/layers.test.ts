/**
 * The pool's layers: ObjectPool (core + typed objects), MonitoredPool (+ stats,
 * dumps, phantom view) and Pool (+ verify). Each lighter class has exactly
 * its layer's methods, and drives the pool's bytes exactly as Pool does.
 */
import { describe, expect, test } from "vitest"
import { MonitoredPool, ObjectPool, Pool, verifyPool } from "../../src/index"
import type { Handle, ListHandle, RecordHandle } from "../../src/index"
import { rng } from "../support/rng"

const DIAGNOSTICS = ["stats", "resetMinFree", "packedMap", "memInfo", "phantoms", "kindName"]
const CHECK = ["verify", "verifyAsync", "verifier"]
const OBJECTS = ["bytes", "bitmap", "number", "string", "list", "record", "defineRecord", "getPixel", "push", "removeAt", "getField", "makeLongLived", "onFree"]
const CORE = ["free", "isLive", "offsetOf", "setRoot", "enter", "leave", "keep", "collect", "collectAsync", "compact", "compactAsync", "collectStep", "threshold", "memFree"]

/** Calls a seeded workload makes on `pool`: objects of every type, references, roots, frees, collections and compactions. */
function workload(pool: ObjectPool, seed: number): { kinds: number[]; roots: number } {
    const r = rng(seed)
    const K = pool.defineRecord("K", ["a", "b", "c"])
    const list = pool.list<Handle>(2)
    pool.setRoot("list", list)
    // the records stay reachable (a list of them), so setField() always finds one live
    const recs = pool.list<RecordHandle<"a" | "b" | "c">>(2)
    pool.setRoot("recs", recs)
    for (let i = 0; i < 400; i++) {
        const x = r()
        try {
            let h: Handle
            let rec = false
            if (x < 0.2) h = pool.bytes(Math.floor(r() * 200))
            else if (x < 0.35) h = pool.number(r())
            else if (x < 0.45) h = pool.string("s" + i)
            else if (x < 0.55) h = pool.bitmap(1 + Math.floor(r() * 20), 1 + Math.floor(r() * 20), 4)
            else if (x < 0.65) h = pool.list(Math.floor(r() * 6))
            else {
                const k = pool.record(K)
                if (r() < 0.3) pool.push(recs, k)
                h = k
                rec = true
            }
            const y = r()
            const nr = pool.length(recs)
            if (y < 0.4) pool.push(list, h)
            else if (y < 0.5 && nr > 0) pool.setField(pool.get(recs, Math.floor(r() * nr)), "b", h)
            else if (y < 0.6 && !rec) pool.free(h)
            if (y > 0.97) pool.makeLongLived(list as ListHandle<Handle>)
            const n = pool.length(list)
            if (n > 0 && r() < 0.3) pool.removeAt(list, Math.floor(r() * n))
        } catch (e) {
            if (!(e instanceof Error) || e.name !== "MemoryError") throw e
            pool.compact()
        }
        if (i % 97 === 0) pool.collect()
        if (i % 151 === 0) pool.compact()
    }
    return { kinds: [3], roots: 2 }
}

describe("the pool's layers", () => {
    test("each class has its layer's methods and those below, and none above", () => {
        const o = new ObjectPool({ size: 2048 }) as any
        const m = new MonitoredPool({ size: 2048 }) as any
        const p = new Pool({ size: 2048 }) as any
        expect(p).toBeInstanceOf(MonitoredPool)
        expect(m).toBeInstanceOf(ObjectPool)
        for (const name of [...CORE, ...OBJECTS]) for (const pool of [o, m, p]) expect(typeof pool[name], name).toBe("function")
        for (const name of DIAGNOSTICS) {
            expect(o[name], name).toBeUndefined()
            expect(typeof m[name], name).toBe("function")
            expect(typeof p[name], name).toBe("function")
        }
        for (const name of CHECK) {
            expect(o[name], name).toBeUndefined()
            expect(m[name], name).toBeUndefined()
            expect(typeof p[name], name).toBe("function")
        }
    })

    for (const seed of [1, 2, 3]) {
        test(`seed ${seed}: an ObjectPool, a MonitoredPool and a Pool given the same calls hold the same bytes, and the integrity check passes on the lighter ones`, async () => {
            // pools number themselves 1..15 in creation order: 14 pools between two give them the same id,
            // so their handles (and every reference and root holding one) are the same numbers
            const make = <P>(ctor: () => P): P => {
                const pool = ctor()
                for (let i = 0; i < 14; i++) new ObjectPool({ size: 1024 })
                return pool
            }
            const o = make(() => new ObjectPool({ size: 8192, handles: 256 }))
            const m = make(() => new MonitoredPool({ size: 8192, handles: 256 }))
            const p = make(() => new Pool({ size: 8192, handles: 256 }))
            expect(m.id).toBe(o.id)
            expect(p.id).toBe(o.id)
            const shape = workload(o, seed)
            workload(m, seed)
            workload(p, seed)
            expect(Buffer.compare(o.buf, p.buf)).toBe(0)
            expect(Buffer.compare(m.buf, p.buf)).toBe(0)
            const named = [true, true, ...new Array(14).fill(false)]
            verifyPool(o.buf, shape.kinds, named)
            verifyPool(m.buf, shape.kinds, named)
            await p.verifyAsync()
            // and the workload did work: objects live, collections and compactions done
            const s = p.stats()
            expect(s.live).toBeGreaterThan(10)
            expect(s.collections).toBeGreaterThan(2)
            expect(s.compactions).toBeGreaterThan(1)
        })
    }
})
