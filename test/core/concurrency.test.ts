/**
 * The concurrency model test: a program that mutates the heap while
 * collections, compactions, phantom views, memory dumps and verifyAsync()
 * are in flight, as fibers on the VM would.
 *
 * A seeded scheduler decides, step by step, which task runs next: a mutator
 * (allocations linked into the rooted graph, references dropped, roots set
 * and deleted, objects freed, finalisers registered, synchronous collections
 * and compactions), or the start of an async operation. Between steps it
 * lets every async operation in flight run one slice (the Node seam's
 * nextSlice() is setImmediate; its positive sleep drainSlice(), which dumps
 * and phantom views use, is a 1 ms timer, so where those are in flight the
 * interleaving also depends on time, and a failing seed may not replay
 * exactly). After every step: the pool passes the whole verify() check, every
 * object the reference model can reach is live, and no object once seen
 * freed is live again. Each async operation is checked as it ends:
 * collectAsync()/compactAsync() freed everything unreachable at their call
 * (the mutators never revive an unreachable object), verifyAsync() reported
 * no corruption, phantoms() counted no reachable object as a phantom.
 * Every finaliser runs once, for an object the pool freed, and some
 * finalisers allocate and link objects themselves.
 *
 * CONC_SEED=<n> replays one run (a failure prints its seed); CONC_RUNS and
 * CONC_STEPS scale it; CONC_TIME_MS (default 40 s) stops starting runs
 * after that long, so the test stays bounded on a loaded machine.
 */
import { describe, expect, test } from "vitest"

import { HandleError, MemoryError, Pool } from "../../src/index"
import type { Handle, RecordKind } from "../../src/index"
import { rng } from "../support/rng"


const tick = () => new Promise<void>(r => setImmediate(r))

type Obj = { t: "number" | "bytes" | "list" | "record"; refs: Handle[] }

const ASYNC = ["collectAsync", "compactAsync", "phantoms", "memInfo", "verifyAsync"] as const
type AsyncName = (typeof ASYNC)[number]

export interface RunResult {
    steps: number
    ops: Record<string, number>
    memoryErrors: number
    finalised: number
    /** verifyAsync() calls that finished (each must: none gives up). */
    verifyDone: number
}

/** One seeded run: `steps` scheduler steps on a fresh pool. Throws on the first failure. */
export async function runConcurrent(seed: number, steps: number): Promise<RunResult> {
    const rand = rng(seed)
    const int = (n: number) => Math.floor(rand() * n)
    const size = [2048, 4096, 8192][int(3)]
    const budget = [16, 40, 300, 1200][int(4)]
    const pool = new Pool({ size: size, handles: size >> 5, budget: budget, namedRoots: 8, markStack: 4 + int(5), debug: rand() < 0.3 })
    const K: RecordKind = pool.defineRecord("Pair", ["a", "b"])
    const objs = new Map<Handle, Obj>()
    const roots = new Map<string, Handle>()
    const dead = new Set<Handle>()
    const finalisable = new Set<Handle>()
    const finalisedOnce = new Set<Handle>()
    const ops: Record<string, number> = {}
    /** The last operations, printed with a failure. */
    const trace: string[] = []
    const log = (what: string) => {
        trace.push(what)
        if (trace.length > 80) trace.shift()
    }
    const count = (name: string) => {
        ops[name] = (ops[name] || 0) + 1
        log(name)
    }
    let memoryErrors = 0
    let verifyDone = 0
    const inFlight = new Map<AsyncName, Promise<void>>()
    let failure: unknown = null

    const reachable = (): Set<Handle> => {
        const seen = new Set<Handle>()
        const todo = [...roots.values()]
        while (todo.length) {
            const h = todo.pop()!
            if (h === 0 || seen.has(h) || !objs.has(h)) continue
            seen.add(h)
            todo.push(...objs.get(h)!.refs)
        }
        return seen
    }
    /** A reachable object (mutators touch only these: an unreachable one is never revived). */
    const pickReachable = (filter?: (o: Obj) => boolean): Handle => {
        const hs = [...reachable()].filter(h => !filter || filter(objs.get(h)!))
        return hs.length === 0 ? 0 : hs[int(hs.length)]
    }

    // finalisers: one shared function; some of them allocate and link a number into the "fin" list
    const fin = (g: Handle) => {
        if (!finalisable.has(g)) throw new Error("finaliser for a handle never registered: " + g)
        if (finalisedOnce.has(g)) throw new Error("finaliser ran twice for " + g)
        if (pool.isLive(g)) throw new Error("finaliser ran for a live object " + g)
        finalisedOnce.add(g)
        const list = roots.get("fin")
        if (list !== undefined && objs.has(list) && g % 3 === 0) {
            try {
                const n = pool.number(g)
                objs.set(n, { t: "number", refs: [] })
                log("fin " + g + ": " + n)
                pool.push(list, n)
                objs.get(list)!.refs.push(n)
            } catch (e) {
                if (!(e instanceof MemoryError)) throw e
            }
        }
    }

    /** A new object of a random type; the caller links or drops it. */
    const allocate = (): Handle => {
        const k = int(4)
        let h: Handle
        let o: Obj
        if (k === 0) {
            h = pool.number(rand())
            o = { t: "number", refs: [] }
        } else if (k === 1) {
            h = pool.bytes(int(120))
            o = { t: "bytes", refs: [] }
        } else if (k === 2) {
            h = pool.list(int(6))
            o = { t: "list", refs: [] }
        } else {
            h = pool.record(K)
            o = { t: "record", refs: [0, 0] }
        }
        objs.set(h, o)
        return h
    }

    const mutate = () => {
        const k = int(12)
        try {
            if (k <= 3) {
                // allocate, then link the new object into the reachable graph (or a root)
                count("alloc")
                const h = allocate()
                const into = pickReachable(o => o.t === "list" || o.t === "record")
                log("new " + h + " into " + into)
                if (into === 0 || int(4) === 0) {
                    const name = "r" + int(6)
                    pool.setRoot(name, h)
                    roots.set(name, h)
                } else if (objs.get(into)!.t === "list") {
                    // the model first: a finaliser run at the end of the push may push too, after it
                    const refs = objs.get(into)!.refs
                    refs.push(h)
                    try {
                        pool.push(into, h)
                    } catch (e) {
                        refs.splice(refs.lastIndexOf(h), 1)
                        throw e
                    }
                } else {
                    const f = int(2)
                    pool.setField(into, f === 0 ? "a" : "b", h)
                    objs.get(into)!.refs[f] = h
                }
                if (int(4) === 0) {
                    pool.onFree(h, fin)
                    finalisable.add(h)
                }
            } else if (k === 4) {
                // drop a reference from a list
                count("removeAt")
                const l = pickReachable(o => o.t === "list" && o.refs.length > 0)
                if (l === 0) return
                const o = objs.get(l)!
                const i = int(o.refs.length)
                log(l + "[" + i + "]=" + o.refs[i])
                pool.removeAt(l, i)
                o.refs.splice(i, 1)
            } else if (k === 5) {
                // a field to another reachable object, or to null
                count("setField")
                const r = pickReachable(o => o.t === "record")
                if (r === 0) return
                const v = int(3) === 0 ? 0 : pickReachable()
                const f = int(2)
                log(r + "." + f + "=" + v)
                pool.setField(r, f === 0 ? "a" : "b", v)
                objs.get(r)!.refs[f] = v
            } else if (k === 6) {
                count("delRoot")
                const names = [...roots.keys()].filter(n => n !== "fin")
                if (names.length === 0) return
                const name = names[int(names.length)]
                log(name + " was " + roots.get(name))
                pool.delRoot(name)
                roots.delete(name)
            } else if (k === 7) {
                // a temporary freed at once
                count("free")
                const h = allocate()
                pool.free(h)
                objs.delete(h)
                dead.add(h)
            } else if (k === 8) {
                count("collect")
                // (the objects unreachable now: a finaliser may allocate more during the call)
                const reach = reachable()
                const unreachable = [...objs.keys()].filter(h => !reach.has(h))
                if (pool.collect()) for (const h of unreachable) if (pool.isLive(h)) throw new Error("collect() returned true, unreachable object " + h + " still live")
            } else if (k === 9) {
                count("collectStep")
                pool.collectStep(1 + int(100))
            } else if (k === 10) {
                count("compact")
                pool.compact(int(4) !== 0)
            } else {
                // a root to an object already reachable (a second name for it)
                count("setRoot")
                const h = pickReachable()
                if (h === 0) return
                const name = "r" + int(6)
                log(name + "=" + h)
                pool.setRoot(name, h)
                roots.set(name, h)
            }
        } catch (e) {
            if (e instanceof MemoryError) {
                memoryErrors++
                log("MemoryError")
            }
            else throw e
        }
    }

    const startAsync = (name: AsyncName) => {
        if (inFlight.has(name)) return
        count(name)
        let p: Promise<void>
        if (name === "collectAsync" || name === "compactAsync") {
            const reach = reachable()
            const unreachable = [...objs.keys()].filter(h => !reach.has(h))
            const op = name === "collectAsync" ? pool.collectAsync() : pool.compactAsync()
            p = op.then(() => {
                for (const h of unreachable) if (pool.isLive(h)) throw new Error(name + "() ended with object " + h + ", unreachable at its call, still live")
            })
        } else if (name === "phantoms") {
            p = pool.phantoms(rand() < 0.5, () => {}).then(r => {
                if (r.objects < 0 || r.bytes < 0) throw new Error("phantoms() reported " + JSON.stringify(r))
            })
        } else if (name === "memInfo") {
            const lines: string[] = []
            p = pool.memInfo(true, l => lines.push(l)).then(() => {
                if (!/ end lines=\d+ crc=[0-9a-f]{8}$/.test(lines[lines.length - 1])) throw new Error("memInfo() dump not whole: " + lines[lines.length - 1])
            })
        } else {
            // (any rejection fails the run: verifyAsync() finishes whatever the mutators do)
            p = pool.verifyAsync(1 + int(400)).then(() => {
                verifyDone++
            })
        }
        inFlight.set(
            name,
            p.then(
                () => {
                    log("end " + name)
                    inFlight.delete(name)
                },
                e => {
                    inFlight.delete(name)
                    if (failure === null) failure = e
                }
            )
        )
    }

    /** The object of handle `h` is freed: its slot is free or holds another generation. */
    const freed = (h: Handle): boolean => {
        const buf = pool.buf
        const e = buf.readUInt16LE(buf.readUInt16LE(10) + ((h & 0xfff) << 1))
        return (e & 0x8000) !== 0 || buf.readUInt16LE((e << 4) + 4) !== ((h >> 12) & 0x7fff)
    }

    const check = (step: number, final?: boolean) => {
        if (failure !== null) throw failure
        if (!pool.verifier().run(1e9)) throw new Error("the verifier did not finish")
        const reach = reachable()
        for (const h of [...objs.keys()]) {
            const live = pool.isLive(h)
            if (reach.has(h) && !live) throw new Error("step " + step + ": reachable object " + h + " (from " + [...objs].filter(([, o]) => o.refs.includes(h)).map(([k]) => k).join(" ") + ", roots " + [...roots].filter(([, r]) => r === h).map(([n]) => n).join(" ") + ") is not live (" + (freed(h) ? "freed" : "refused") + ", phase " + pool.stats().phase + ")")
            if (!live) {
                objs.delete(h)
                dead.add(h)
            }
        }
        // an object seen not live must stay so; once its slot is free (or reused) its handle is
        // stale for good, so only those a sweep in progress refuses are watched
        for (const h of dead) {
            if (freed(h)) dead.delete(h)
            else if (pool.isLive(h)) throw new Error("step " + step + ": object " + h + " was seen not live and is live again")
        }
        // every finaliser of an object freed has run once its collection's collectAsync() resolved
        // (isLive() is false already for an object a sweep in progress is about to free: freed() reads the handle table)
        if (final) for (const h of finalisable) if (freed(h) && !finalisedOnce.has(h)) throw new Error("step " + step + ": finaliser of freed object " + h + " has not run")
    }

    // a rooted list the finalisers append to
    const finList = pool.list(4)
    objs.set(finList, { t: "list", refs: [] })
    pool.setRoot("fin", finList)
    roots.set("fin", finList)

    for (let step = 0; step < steps; step++) {
        const r = rand()
        if (r < 0.9) mutate()
        else startAsync(ASYNC[int(ASYNC.length)])
        // the async operations in flight run one slice each, now or after a few more steps
        if (int(3) !== 0) {
            log("|")
            await tick()
        }
        try {
            check(step)
        } catch (e) {
            throw new Error("seed " + seed + ", step " + step + ": " + (e as Error).message + "\nlast operations: " + trace.join(", ") + ((e as Error).stack ? "\n" + (e as Error).stack : ""))
        }
    }
    while (inFlight.size > 0) {
        await tick()
        if (failure !== null) throw new Error("seed " + seed + ", at the end: " + (failure as Error).message)
    }
    // a quiet collection: after it, every freed object's finaliser has run
    await pool.collectAsync()
    check(steps, true)
    void HandleError
    return { steps, ops, memoryErrors, finalised: finalisedOnce.size, verifyDone }
}

const RUNS = Number(process.env.CONC_RUNS ?? 40)
const STEPS = Number(process.env.CONC_STEPS ?? 1500)
/** No new run starts after this long (the runs are seeded; how many ran is printed). */
const TIME_MS = Number(process.env.CONC_TIME_MS ?? 40000)

describe("concurrency model", () => {
    test("mutators beside collections, compactions, phantom views, dumps and verifyAsync in flight: no corruption report, nothing reachable lost", async () => {
        const seeds = process.env.CONC_SEED ? [Number(process.env.CONC_SEED)] : Array.from({ length: RUNS }, () => (Math.random() * 2 ** 31) | 0)
        const t0 = performance.now()
        const total: Record<string, number> = {}
        let steps = 0
        let memoryErrors = 0
        let finalised = 0
        let verified = 0
        let runs = 0
        for (const seed of seeds) {
            // bounded in time on a loaded machine: no new run after TIME_MS
            if (runs >= 4 && performance.now() - t0 > TIME_MS) break
            runs++
            let r: RunResult
            try {
                r = await runConcurrent(seed, STEPS)
            } catch (e) {
                console.log("concurrency: FAILED, replay with CONC_SEED=" + seed)
                throw e
            }
            steps += r.steps
            memoryErrors += r.memoryErrors
            finalised += r.finalised
            verified += r.verifyDone
            for (const k in r.ops) total[k] = (total[k] || 0) + r.ops[k]
        }
        const ms = Math.round(performance.now() - t0)
        console.log(`concurrency: ${runs} runs, ${steps} steps, ${memoryErrors} MemoryErrors, ${finalised} finalisers run, ${verified} verifyAsync calls finished (${total.verifyAsync ?? 0} started), ${ms} ms; ops ${JSON.stringify(total)}`)
        for (const a of ASYNC) expect(total[a] ?? 0).toBeGreaterThan(0)
        expect(finalised).toBeGreaterThan(0)
        expect(verified).toBeGreaterThan(0)
    }, 120000)
})
