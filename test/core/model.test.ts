/**
 * Model-based random testing (fast-check): random sequences of every pool
 * operation run against a plain reference model of which objects exist, what
 * they hold, what they reference and what is rooted. After every step:
 * pool.verify() (every byte-level invariant) and checkPool() (the independent
 * recount), every object the model can reach is still live, objects the pool
 * no longer has are unreachable in the model; contents of touched objects are
 * compared at once and of every object after each collection op. After a
 * quiet full collection, the unreachable objects are gone. MemoryError is
 * accepted only when the pool really is short (largest free run too small,
 * handles or a fixed table full, or a collection it could not finish in its
 * budget) and the pool must stay valid and usable after it. fast-check shrinks
 * a failure to a minimal op sequence and prints it with its seed.
 *
 * MODEL_RUNS / MODEL_OPS scale the run (defaults fit ~25 s on 2 cores).
 * MODEL_SEED and MODEL_PATH (the `seed` and `path` a failure prints) replay
 * that failure; MODEL_CASE (its counterexample's JSON) runs that one case.
 */
import fc from "fast-check"
import { describe, expect, test } from "vitest"
import { HandleError, MemoryError, Pool, PoolError } from "../../src/index"
import type { Handle, RecordKind } from "../../src/index"
import { checkPool } from "../support/check"

type Obj =
    | { t: "bytes"; data: number[] }
    | { t: "string"; s: string }
    | { t: "number"; v: number }
    | { t: "bitmap"; w: number; h: number; bpp: number; px: Map<number, number> }
    | { t: "list"; items: Handle[] }
    | { t: "record"; kind: number; fields: Handle[] }

/** [op, a, b, c]: op picks the command, a/b/c its arguments (objects picked modulo the live ones). */
type Op = [number, number, number, number]

const OPS = [
    "number", "bytes", "string", "bitmap", "list", "record", // 0-5 allocate
    "setByte", "setPixel", "setNumber", // 6-8 contents
    "set", "push", "removeAt", "pop", "setField", // 9-13 references
    "setRoot", "delRoot", "enter", "leave", "keep", // 14-18 roots
    "free", "collect", "collectStep", "collectAsync", "fullCollect", // 19-23
    "push", "setRoot", "number", "list", // 24-27 extra weight
    "compact", "longLived", "makeLongLived", "phantoms", "onFree", // 28-32 beyond MicroPython
] as const

export interface Config {
    size: number
    handles?: number
    budget: number
    rootStack: number
    namedRoots: number
    markStack: number
    debug?: boolean
}

const KINDS: [string, string[]][] = [
    ["Pair", ["a", "b"]],
    ["Box", ["v"]],
    ["Tri", ["x", "y", "z"]],
]

/** A cheap assertion for the hot paths (vitest's expect costs microseconds a call). */
function eq(found: unknown, expected: unknown): void {
    if (found !== expected) throw new Error("model mismatch: expected " + String(expected) + ", found " + String(found))
}

const blocks = (payload: number) => (payload + 8 + 15) >> 4

export class Model {
    pool: Pool
    objs = new Map<Handle, Obj>()
    named = new Map<string, Handle>()
    stack: Handle[] = []
    marks: number[] = []
    kinds: RecordKind[]
    ops = 0
    memoryErrors = 0
    /** Handles given a finaliser, and those whose finaliser ran. */
    finalisable = new Set<Handle>()
    finalised: Handle[] = []

    constructor(public cfg: Config) {
        this.pool = new Pool(cfg)
        this.kinds = KINDS.map(([n, f]) => this.pool.defineRecord(n, f))
    }

    pick(a: number): Handle {
        const hs = this.keys()
        if (hs.length === 0) return 0
        return hs[a % hs.length]
    }
    pickType(a: number, t: Obj["t"]): Handle {
        const hs = this.keys().filter(h => this.objs.get(h)!.t === t)
        if (hs.length === 0) return 0
        return hs[a % hs.length]
    }
    /** A target for a reference: a live object, or null when c says so. */
    target(c: number): Handle {
        return c % 5 === 0 ? 0 : this.pick(c >>> 3)
    }

    private keyCache: Handle[] | null = null
    private keyCount = -1
    /** The live objects' handles, in allocation order (cached while the set is unchanged). */
    keys(): Handle[] {
        if (this.keyCache === null || this.keyCount !== this.changes) {
            this.keyCache = [...this.objs.keys()]
            this.keyCount = this.changes
        }
        return this.keyCache
    }
    changes = 0

    reachable(): Set<Handle> {
        const seen = new Set<Handle>()
        const todo: Handle[] = [...this.named.values(), ...this.stack]
        while (todo.length) {
            const h = todo.pop()!
            if (h === 0 || seen.has(h)) continue
            const o = this.objs.get(h)
            if (!o) continue // explicitly freed: a stale handle
            seen.add(h)
            if (o.t === "list") todo.push(...o.items)
            else if (o.t === "record") todo.push(...o.fields)
        }
        return seen
    }

    /** An allocation through `make`; registers the object, or checks the MemoryError was deserved. */
    alloc(n: number, make: () => Handle, obj: Obj): void {
        const pool = this.pool
        const before = pool.stats()
        try {
            const h = make()
            eq(this.objs.has(h), false)
            this.objs.set(h, obj)
            this.changes++
            if (this.marks.length > 0) this.stack.push(h)
            this.checkContents(h)
        } catch (e) {
            if (!(e instanceof MemoryError)) throw e
            this.deserved(e, n, before.live)
        }
    }

    /** A MemoryError is right only when the pool is really short. */
    deserved(e: MemoryError, n: number, _liveBefore: number): void {
        this.memoryErrors++
        const pool = this.pool
        const s = pool.stats()
        const msg = e.message
        const hcap = pool.buf.readUInt16LE(12)
        const ok =
            /root stack full/.test(msg) ||
            /collection is still in progress/.test(msg) ||
            /larger than the pool/.test(msg) ||
            /list is at its largest/.test(msg) ||
            (/handles in use/.test(msg) && s.live === hcap) ||
            // with automatic compaction, fragmentation alone never fails an allocation
            (/largest free run/.test(msg) && s.free < n * 16)
        if (!ok) throw new Error("undeserved MemoryError: " + msg + " " + JSON.stringify(s) + " needing " + n + " blocks")
    }

    checkContents(h: Handle): void {
        const o = this.objs.get(h)!
        const pool = this.pool
        switch (o.t) {
            case "bytes": {
                const b = pool.readBytes(h)
                eq(b.length, o.data.length)
                for (let i = 0; i < o.data.length; i++) if (b[i] !== o.data[i]) expect([h, i, b[i]]).toEqual([h, i, o.data[i]])
                break
            }
            case "string":
                eq(pool.getString(h), o.s)
                break
            case "number":
                eq(pool.getNumber(h), o.v)
                break
            case "bitmap":
                eq(pool.bitmapSize(h).join("x"), [o.w, o.h, o.bpp].join("x"))
                for (let y = 0; y < o.h; y++)
                    for (let x = 0; x < o.w; x++) {
                        const want = o.px.get(y * o.w + x) ?? 0
                        if (pool.getPixel(h, x, y) !== want) expect([h, x, y, pool.getPixel(h, x, y)]).toEqual([h, x, y, want])
                    }
                break
            case "list":
                eq(pool.length(h), o.items.length)
                for (let i = 0; i < o.items.length; i++) if (pool.get(h, i) !== o.items[i]) expect([h, i, pool.get(h, i)]).toEqual([h, i, o.items[i]])
                break
            case "record": {
                const k = this.kinds[o.kind]
                // (kindOf() returns a copy: the same kind by id and name)
                eq(pool.kindOf(h).id, k.id)
                eq(pool.kindOf(h).name, k.name)
                k.fields.forEach((f, i) => eq(pool.getField(h, f), o.fields[i]))
                break
            }
        }
    }

    checkAll(): void {
        for (const h of this.objs.keys()) this.checkContents(h)
    }

    /** After every op: the pool is valid, the reachable are live, the gone are unreachable. */
    settle(): void {
        const pool = this.pool
        try {
            pool.verify()
        } catch (e) {
            // a check larger than half a VM slice: the same check, unbounded (Node has no slice)
            if (!(e instanceof PoolError) || !/did not finish within/.test((e as Error).message)) throw e
            eq(pool.verifier().run(1e9), true)
        }
        if ((this.ops & 15) === 0) checkPool(pool) // the independent recount, less often: it is slower
        const reach = this.reachable()
        for (const h of [...this.objs.keys()]) {
            if (pool.isLive(h)) continue
            if (reach.has(h)) throw new Error("reachable object " + h + " (" + this.objs.get(h)!.t + ") is no longer live")
            this.objs.delete(h)
                this.changes++
        }
        if (pool.stats().live < this.objs.size) throw new Error("objects live (H_ALLOCS - H_FREES) below the model's object count")
    }

    /** Carries the collection in progress to its end (collect() would start a new one each call). */
    finishCollection(): void {
        for (let i = 0; i < 10000 && !this.pool.collectStep(this.cfg.budget); i++);
        eq(this.pool.stats().phase, "idle")
    }

    /**
     * The finalisers: three shared functions (a pool keeps at most
     * MAX_FINALISERS distinct ones), each checking it gets a handle it was
     * registered for, now stale.
     */
    fins = [0, 1, 2].map(() => (g: Handle) => {
        eq(this.finalisable.has(g), true)
        eq(this.pool.isLive(g), false)
        this.finalised.push(g)
    })

    async apply(op: Op): Promise<void> {
        const [k, a, b, c] = op
        const pool = this.pool
        const name = OPS[k % OPS.length]
        this.ops++
        switch (name) {
            case "number": {
                const v = (a - 500) / 4
                this.alloc(1, () => pool.number(v), { t: "number", v })
                break
            }
            case "bytes": {
                const n = a % 64
                this.alloc(blocks(n), () => pool.bytes(n), { t: "bytes", data: new Array(n).fill(0) })
                break
            }
            case "string": {
                const s = "s".repeat(a % 24) + (b % 3 === 0 ? "é" : "") + String(c % 100)
                this.alloc(blocks(Buffer.byteLength(s)), () => pool.string(s), { t: "string", s })
                break
            }
            case "bitmap": {
                const w = 1 + (a % 9), h = 1 + (b % 7), bpp = [1, 2, 4, 8][c & 3]
                this.alloc(blocks(8 + ((w * bpp + 7) >> 3) * h), () => pool.bitmap(w, h, bpp), { t: "bitmap", w, h, bpp, px: new Map() })
                break
            }
            case "list": {
                const cap = a % 7
                this.alloc(blocks(4 + cap * 4), () => pool.list(cap), { t: "list", items: [] })
                break
            }
            case "record": {
                const ki = a % KINDS.length
                this.alloc(blocks(KINDS[ki][1].length * 4), () => pool.record(this.kinds[ki]), {
                    t: "record",
                    kind: ki,
                    fields: KINDS[ki][1].map(() => 0),
                })
                break
            }
            case "setByte": {
                const h = this.pickType(a, "bytes")
                if (!h) break
                const o = this.objs.get(h) as Extract<Obj, { t: "bytes" }>
                if (o.data.length === 0) break
                const i = b % o.data.length
                pool.setByte(h, i, c & 255)
                o.data[i] = c & 255
                this.checkContents(h)
                break
            }
            case "setPixel": {
                const h = this.pickType(a, "bitmap")
                if (!h) break
                const o = this.objs.get(h) as Extract<Obj, { t: "bitmap" }>
                const x = b % o.w, y = (b >>> 4) % o.h, col = c & ((1 << o.bpp) - 1)
                pool.setPixel(h, x, y, col)
                o.px.set(y * o.w + x, col)
                this.checkContents(h)
                break
            }
            case "setNumber": {
                const h = this.pickType(a, "number")
                if (!h) break
                const v = b - c
                pool.setNumber(h, v)
                ;(this.objs.get(h) as Extract<Obj, { t: "number" }>).v = v
                this.checkContents(h)
                break
            }
            case "set": {
                const h = this.pickType(a, "list")
                if (!h) break
                const o = this.objs.get(h) as Extract<Obj, { t: "list" }>
                if (o.items.length === 0) break
                const i = b % o.items.length, v = this.target(c)
                pool.set(h, i, v)
                o.items[i] = v
                this.checkContents(h)
                break
            }
            case "push": {
                const h = this.pickType(a, "list")
                if (!h) break
                const o = this.objs.get(h) as Extract<Obj, { t: "list" }>
                const v = this.target(c)
                const cap = (pool.sizeOf(h) - 4) >> 2
                try {
                    eq(pool.push(h, v), o.items.length + 1)
                    o.items.push(v)
                } catch (e) {
                    if (!(e instanceof MemoryError)) throw e
                    this.deserved(e, blocks(4 + (cap < 2 ? 4 : cap * 2) * 4), 0)
                }
                this.checkContents(h)
                break
            }
            case "removeAt":
            case "pop": {
                const h = this.pickType(a, "list")
                if (!h) break
                const o = this.objs.get(h) as Extract<Obj, { t: "list" }>
                if (o.items.length === 0) {
                    expect(() => pool.pop(h)).toThrow(/empty/)
                    break
                }
                if (name === "pop") eq(pool.pop(h), o.items.pop())
                else {
                    const i = b % o.items.length
                    eq(pool.removeAt(h, i), o.items.splice(i, 1)[0])
                }
                this.checkContents(h)
                break
            }
            case "setField": {
                const h = this.pickType(a, "record")
                if (!h) break
                const o = this.objs.get(h) as Extract<Obj, { t: "record" }>
                const fields = KINDS[o.kind][1]
                const i = b % fields.length, v = this.target(c)
                pool.setField(h, fields[i], v)
                o.fields[i] = v
                this.checkContents(h)
                break
            }
            case "setRoot": {
                const h = this.pick(a)
                if (!h) break
                const nm = "r" + (b % (this.cfg.namedRoots + 1))
                const full = !this.named.has(nm) && this.named.size >= this.cfg.namedRoots
                try {
                    pool.setRoot(nm, h)
                    eq(full, false)
                    this.named.set(nm, h)
                } catch (e) {
                    if (!(e instanceof MemoryError) || !full) throw e
                }
                if (this.named.has(nm)) eq(pool.getRoot(nm), this.named.get(nm))
                else eq(pool.hasRoot(nm), false)
                break
            }
            case "delRoot": {
                const nm = "r" + (b % (this.cfg.namedRoots + 1))
                if (this.named.has(nm)) {
                    pool.delRoot(nm)
                    this.named.delete(nm)
                } else expect(() => pool.delRoot(nm)).toThrow(/no root named/)
                eq(pool.hasRoot(nm), false)
                break
            }
            case "enter":
                if (this.marks.length >= 4) break
                eq(pool.enter(), this.stack.length)
                this.marks.push(this.stack.length)
                break
            case "leave": {
                if (this.marks.length === 0) {
                    expect(() => pool.leave(0)).toThrow(/leave\(\) without enter\(\)/)
                    break
                }
                const m = this.marks.pop()!
                pool.leave(m)
                this.stack.length = m
                break
            }
            case "keep": {
                const h = this.pick(a)
                if (!h) break
                if (this.marks.length === 0) {
                    expect(() => pool.keep(h)).toThrow(/needs an open scope/)
                    break
                }
                if (this.stack.length >= this.cfg.rootStack) {
                    expect(() => pool.keep(h)).toThrow(MemoryError)
                    break
                }
                eq(pool.keep(h), h)
                this.stack.push(h)
                break
            }
            case "free": {
                if (b % 3 !== 0) break // rarer: it leaves stale references
                const h = this.pick(a)
                if (!h) break
                pool.free(h)
                this.objs.delete(h)
                this.changes++
                eq(pool.isLive(h), false)
                expect(() => pool.free(h)).toThrow(HandleError)
                break
            }
            case "collect": {
                // gc.collect(): true only when a collection that started after the call is
                // complete, so everything unreachable at the call is gone
                const reach = this.reachable()
                if (pool.collect()) for (const h of this.objs.keys()) eq(pool.isLive(h), reach.has(h))
                break
            }
            case "collectStep":
                pool.collectStep(1 + (a % 60))
                break
            case "collectAsync":
                if (b % 4 !== 0) {
                    pool.collectStep(1 + (a % 200))
                    break
                }
                const reach = this.reachable()
                await pool.collectAsync()
                eq(pool.stats().phase, "idle")
                for (const h of this.objs.keys()) eq(pool.isLive(h), reach.has(h))
                break
            case "compact": {
                if (b % 3 === 0) {
                    await pool.compactAsync()
                    eq(pool.stats().phase, "idle")
                    eq(pool.stats().freeRuns <= 1, true)
                } else pool.compact()
                break
            }
            case "longLived":
                pool.longLived(a % 2 === 0)
                break
            case "makeLongLived": {
                const h = this.pick(a)
                if (!h) break
                const before = pool.offsetOf(h)
                try {
                    eq(pool.makeLongLived(h), h)
                } catch (e) {
                    if (!(e instanceof MemoryError)) throw e
                    this.deserved(e, blocks(pool.sizeOf(h)), 0)
                    break
                }
                eq(pool.isLongLived(h), true)
                if (pool.isLive(h) && pool.offsetOf(h) < before) throw new Error("makeLongLived moved an object down")
                this.checkContents(h)
                break
            }
            case "phantoms": {
                if (b % 4 !== 0) break // the slowest op: rarer
                const r = await pool.phantoms(false, () => {})
                this.settle()
                const reach = this.reachable()
                let objects = 0
                let bytes = 0
                for (const [h, o] of this.objs) {
                    if (reach.has(h)) continue
                    objects++
                    bytes += pool.blocksOf(h) * 16
                    void o
                }
                eq(r.objects, objects)
                eq(r.bytes, bytes)
                eq(pool.stats().phase, "idle")
                break
            }
            case "onFree": {
                const h = this.pick(a)
                if (!h) break
                pool.onFree(h, this.fins[b % 3])
                this.finalisable.add(h)
                break
            }
            case "fullCollect": {
                // a quiet full collection: finish the one running, then one from scratch
                this.finishCollection()
                pool.collectStep(1)
                this.finishCollection()
                const reach = this.reachable()
                for (const h of this.objs.keys()) eq(pool.isLive(h), reach.has(h))
                // every finaliser of a freed object has run, once, and no other
                for (const h of this.finalised) if (!this.finalisable.delete(h)) throw new Error("finaliser ran twice or unasked for " + h)
                this.finalised = []
                for (const h of this.finalisable) eq(pool.isLive(h), true)
                break
            }
        }
        this.settle()
        // every object's contents: after a full collection, and every 16th op
        if (name === "fullCollect" || (this.ops & 15) === 8) this.checkAll()
    }
}

const configArb = fc.record({
    size: fc.constantFrom(1024, 2048, 4096),
    handles: fc.option(fc.integer({ min: 4, max: 48 }), { nil: undefined }),
    budget: fc.constantFrom(16, 40, 300, 1200),
    rootStack: fc.integer({ min: 2, max: 12 }),
    namedRoots: fc.integer({ min: 1, max: 6 }),
    markStack: fc.integer({ min: 4, max: 8 }),
    // debug mode: every allocation checks the poison of the blocks it takes
    debug: fc.boolean(),
})
const opArb: fc.Arbitrary<Op> = fc.tuple(fc.nat(OPS.length - 1), fc.nat(4095), fc.nat(4095), fc.nat(4095))

const RUNS = Number(process.env.MODEL_RUNS ?? 5300)
const MAX_OPS = Number(process.env.MODEL_OPS ?? 400)

describe("model-based random testing", () => {
    test("random op sequences keep every invariant and agree with the model", async () => {
        let ops = 0
        let memoryErrors = 0
        const t0 = performance.now()
        await fc.assert(
            fc.asyncProperty(configArb, fc.array(opArb, { minLength: 1, maxLength: MAX_OPS, size: "max" }), async (cfg, seq) => {
                const m = new Model(cfg)
                try {
                    for (const op of seq) await m.apply(op)
                    // and finally a quiet full collection
                    await m.apply([23, 0, 0, 0])
                } finally {
                    ops += m.ops
                    memoryErrors += m.memoryErrors
                }
            }),
            process.env.MODEL_CASE
                ? { numRuns: 1, examples: [JSON.parse(process.env.MODEL_CASE)] }
                : process.env.MODEL_SEED
                  ? { numRuns: RUNS, seed: Number(process.env.MODEL_SEED), path: process.env.MODEL_PATH }
                  : { numRuns: RUNS }
        )
        const ms = performance.now() - t0
        console.log(`model: ${process.env.MODEL_CASE ? 1 : RUNS} runs, ${ops} operations (incl. shrinking), ${memoryErrors} MemoryErrors, ${Math.round(ms)} ms`)
        if (!process.env.MODEL_CASE) expect(memoryErrors).toBeGreaterThan(0) // the sequences do reach a full pool
    })
})

