/**
 * The Node side of `npm run bench`: replays one trace on one system, several
 * times, and prints one JSON line. bench/bench.mjs bundles this file with
 * esbuild through the Node seam (host/seam.mjs, as vitest) and runs it once
 * per (system, trace) in a fresh process, so no system's JIT feedback or garbage affects another's.
 *
 *   node bench/.build/main.mjs <system> <trace> <runs> <quick 0|1> <wasm path>
 */
import { readFileSync } from "node:fs"
import { performance } from "node:perf_hooks"
import { MemPool } from "@thi.ng/malloc"
import Allocator from "malloc"
import { Pool } from "../src/poolgc/pool"
import { MemoryError } from "../src/poolgc/errors"
import { median } from "./median.mjs"
import { benchTraces, OP_ALLOC, OP_DROP, OP_FREE, OP_LINK, OP_UNLINK, TraceGen, TraceSpec } from "./traces"

/** A trace as flat records: op, a, b, c. */
interface Trace {
    spec: TraceSpec
    recs: Int32Array
    nrec: number
    ops: number
    maxIds: number
    peakLive: number
    peakBytes: number
}

function materialise(spec: TraceSpec): Trace {
    const g = new TraceGen(spec)
    let recs = new Int32Array(1 << 20)
    let n = 0
    while (g.next()) {
        if (n + 4 > recs.length) {
            const r = new Int32Array(recs.length * 2)
            r.set(recs)
            recs = r
        }
        recs[n] = g.op
        recs[n + 1] = g.a
        recs[n + 2] = g.b
        recs[n + 3] = g.c
        n += 4
    }
    return { spec, recs, nrec: n >> 2, ops: g.count, maxIds: g.maxIds, peakLive: g.peakLive, peakBytes: g.peakBytes }
}

/** One system under test. Handles/pointers are never 0; 0 means "failed" or "null". */
interface Sys {
    /** Allocates `size` bytes (a container of `refs` slots when refs > 0); 0 when it fails. */
    alloc(id: number, size: number, refs: number): number
    /** Stores reference `c` (0 = null) in slot `slot` of container `p`. */
    link(p: number, slot: number, c: number): void
    /** Removes slot `idx` of container `p`, which has `count` slots in use. */
    unlink(p: number, idx: number, count: number): void
    drop(id: number): void
    free(h: number): void
    /** After a failure: [bytes free as this system counts them, bytes this request needed]. */
    room(size: number, refs: number): number[]
    /** At the end: largest free run, total free, fixed metadata, per-object header note, collections. */
    end(): { largestFree: number; freeTotal: number; meta: number; header: string; collections: number }
    /** poolgc only: completed compactions so far (read before end(), which may finish one). */
    compactions?(): number
    /** poolgc only: failures for want of a handle-table slot, not of blocks. */
    handleFailed?: number
}

const align = (n: number, a: number) => (n + a - 1) & ~(a - 1)

// ---------------------------------------------------------------- poolgc

function poolOptions(region: number, t: Trace, autoCompact: boolean) {
    const nb = region >> 4
    // handles: twice the trace's peak of live objects (phantoms hold a handle
    // until collected), at most one a block and 4096
    let handles = Math.max(64, 2 * t.peakLive + 8)
    if (handles > nb) handles = nb
    if (handles > 4096) handles = 4096
    return { size: region, handles, budget: 1000000, autoCompact }
}

/**
 * After a failed poolgc allocation: [most bytes free in one pool, by
 * stats().free at the moment of the MemoryError, and the bytes the request
 * needed: payload + the 8-byte header, rounded up to 16].
 */
function poolRoom(pools: Pool[], size: number, refs: number): number[] {
    let free = 0
    for (const p of pools) free = Math.max(free, p.stats().free)
    return [free, align(8 + (refs > 0 ? 4 + 4 * refs : size), 16)]
}

/** Pool index by pool id: a handle names its pool in bits 27-30 (`h >>> 27` is its pool's id). */
function poolIndex(pools: Pool[]): Int8Array {
    const index = new Int8Array(16).fill(-1)
    pools.forEach((p, i) => (index[p.id] = i))
    return index
}

function poolCompactions(pools: Pool[]): number {
    let n = 0
    for (const p of pools) n += p.stats().compactions
    return n
}

/**
 * poolgc with explicit release: automatic collection off, `free(h)` on FREE.
 * `autoCompact` is passed to the pool; with automatic collection disabled the
 * pool never compacts on its own (the allocation path compacts only when
 * automatic collection is on), and `compact()` would collect first, freeing
 * every object (nothing is rooted in this mode): poolgc-free-compact shows it.
 */
class PoolFree implements Sys {
    pools: Pool[] = []
    /** Failures for want of a handle (not of blocks). */
    handleFailed = 0
    constructor(region: number, t: Trace, n: number, autoCompact: boolean) {
        for (let i = 0; i < n; i++) {
            const p = new Pool(poolOptions(region / n, t, autoCompact))
            p.disable()
            this.pools.push(p)
        }
        this.index = poolIndex(this.pools)
    }
    index: Int8Array
    /** The pool tried first: the one with more bytes free (two pools: see BENCHMARKS.md). */
    cur = 0
    // with two pools, a handle names its pool by its pool id (bits 27-30)
    alloc(id: number, size: number, refs: number): number {
        const ps = this.pools
        // memFree() is one header read; with objects released explicitly it is
        // the room a pool has (with a collector it is not: garbage counts as used)
        if (ps.length === 2) this.cur = ps[1].memFree() > ps[0].memFree() ? 1 : 0
        for (let k = 0; k < ps.length; k++) {
            const i = (this.cur + k) % ps.length
            try {
                const h = refs > 0 ? ps[i].list(refs) : ps[i].bytes(size)
                this.cur = i
                return h
            } catch (e) {
                if (!(e instanceof MemoryError)) throw e
                if (e.message.indexOf("handles in use") >= 0) this.handleFailed++
            }
        }
        return 0
    }
    // (a pool holds only its own handles: a link across the two pools would throw
    // HandleError; the traces link each object to a parent allocated in the same pool)
    link(p: number, slot: number, c: number) {
        this.pools[this.index[p >>> 27]].push(p, c)
    }
    unlink(p: number, idx: number) {
        this.pools[this.index[p >>> 27]].removeAt(p, idx)
    }
    drop(id: number) {}
    free(h: number) {
        this.pools[this.index[h >>> 27]].free(h)
    }
    room(size: number, refs: number) {
        return poolRoom(this.pools, size, refs)
    }
    compactions() {
        return poolCompactions(this.pools)
    }
    end() {
        let largest = 0
        let free = 0
        let meta = 0
        let collections = 0
        for (const p of this.pools) {
            const s = p.stats()
            largest = Math.max(largest, s.largestFree)
            free += s.free
            meta += s.meta
            collections += s.collections
        }
        return { largestFree: largest, freeTotal: free, meta, header: "8 + round up to 16", collections }
    }
}

/**
 * poolgc as a collector: objects rooted in a root list, references dropped,
 * collection on failure (automatic, complete: budget 1e6); with `autoCompact`,
 * an allocation that still fails for fragmentation alone then compacts (also
 * complete in one call at this budget) and searches again.
 */
class PoolGc implements Sys {
    pools: Pool[] = []
    /** Failures for want of a handle (not of blocks). */
    handleFailed = 0
    rootLists: number[] = []
    rootOf: Int32Array
    constructor(region: number, t: Trace, n: number, autoCompact: boolean) {
        this.rootOf = new Int32Array(t.maxIds)
        for (let i = 0; i < n; i++) {
            const p = new Pool(poolOptions(region / n, t, autoCompact))
            const rl = p.list(t.maxIds)
            for (let k = 0; k < t.maxIds; k++) p.push(rl, 0)
            p.setRoot("roots", rl)
            this.pools.push(p)
            this.rootLists.push(rl)
        }
        this.index = poolIndex(this.pools)
    }
    index: Int8Array
    /** The pool that took the last allocation: tried first. */
    cur = 0
    alloc(id: number, size: number, refs: number): number {
        const ps = this.pools
        for (let k = 0; k < ps.length; k++) {
            const i = (this.cur + k) % ps.length
            try {
                const p = ps[i]
                const h = refs > 0 ? p.list(refs) : p.bytes(size)
                p.set(this.rootLists[i], id, h)
                this.rootOf[id] = i
                this.cur = i
                return h
            } catch (e) {
                if (!(e instanceof MemoryError)) throw e
                if (e.message.indexOf("handles in use") >= 0) this.handleFailed++
            }
        }
        return 0
    }
    // (a pool holds only its own handles: a link across the two pools would throw
    // HandleError; the traces link each object to a parent allocated in the same pool)
    link(p: number, slot: number, c: number) {
        this.pools[this.index[p >>> 27]].push(p, c)
    }
    unlink(p: number, idx: number) {
        this.pools[this.index[p >>> 27]].removeAt(p, idx)
    }
    drop(id: number) {
        const i = this.rootOf[id]
        this.pools[i].set(this.rootLists[i], id, 0)
    }
    free(h: number) {}
    room(size: number, refs: number) {
        return poolRoom(this.pools, size, refs)
    }
    compactions() {
        return poolCompactions(this.pools)
    }
    end() {
        for (const p of this.pools) while (!p.collect()) {}
        const e = PoolFree.prototype.end.call(this)
        return e
    }
}

// ---------------------------------------------------------------- @thi.ng/malloc

class ThingPool implements Sys {
    pool: MemPool
    u32: Uint32Array
    meta: number
    /** calloc instead of malloc: the payload zeroed, as poolgc does. */
    zero: boolean
    constructor(region: number, zero: boolean) {
        this.zero = zero
        const buf = new ArrayBuffer(region)
        this.pool = new MemPool({ buf })
        this.u32 = new Uint32Array(buf)
        this.meta = this.pool.stats().top
    }
    alloc(id: number, size: number, refs: number) {
        return this.zero ? this.pool.calloc(size) : this.pool.malloc(size)
    }
    link(p: number, slot: number, c: number) {
        this.u32[(p >> 2) + 1 + slot] = c
    }
    unlink(p: number, idx: number, count: number) {
        const b = (p >> 2) + 1
        this.u32.copyWithin(b + idx, b + idx + 1, b + count)
        this.u32[b + count - 1] = 0
    }
    drop(id: number) {}
    free(h: number) {
        this.pool.free(h)
    }
    room(size: number) {
        return [this.pool.stats().available, align(size + 8, 8)]
    }
    end() {
        const pool = this.pool as any
        let largest = pool.end - pool.top
        let block = pool._free
        while (block) {
            const s = pool.blockSize(block)
            if (s > largest) largest = s
            block = pool.blockNext(block)
        }
        return { largestFree: largest, freeTotal: this.pool.stats().available, meta: this.meta, header: "8, align 8", collections: 0 }
    }
}

// ---------------------------------------------------------------- malloc (codemix)

class CodemixMalloc implements Sys {
    a: any
    i32: Int32Array
    u8: Uint8Array
    /** The payload zeroed after each allocation (the package has no calloc), as poolgc does. */
    zero: boolean
    constructor(region: number, zero: boolean) {
        const buf = new ArrayBuffer(region)
        this.a = new Allocator(buf)
        this.i32 = new Int32Array(buf)
        this.u8 = new Uint8Array(buf)
        this.zero = zero
    }
    alloc(id: number, size: number) {
        const p = this.a.alloc(size)
        if (this.zero && p !== 0) this.u8.fill(0, p, p + size)
        return p
    }
    link(p: number, slot: number, c: number) {
        this.i32[(p >> 2) + 1 + slot] = c
    }
    unlink(p: number, idx: number, count: number) {
        const b = (p >> 2) + 1
        this.i32.copyWithin(b + idx, b + idx + 1, b + count)
        this.i32[b + count - 1] = 0
    }
    drop(id: number) {}
    free(h: number) {
        this.a.free(h)
    }
    private freeBlocks(): number[] {
        return this.a.inspect().blocks.filter((b: any) => b.type === "free").map((b: any) => b.size)
    }
    room(size: number) {
        return [this.freeBlocks().reduce((x: number, y: number) => x + y, 0), Math.max(16, align(size, 8))]
    }
    end() {
        const fb = this.freeBlocks()
        const first = this.a.inspect().blocks[0]
        return {
            largestFree: fb.reduce((x: number, y: number) => Math.max(x, y), 0),
            freeTotal: fb.reduce((x: number, y: number) => x + y, 0),
            meta: first ? first.offset - 8 : 0,
            header: "8 (boundary tags), min 16",
            collections: 0,
        }
    }
}

// ---------------------------------------------------------------- AssemblyScript (TLSF, minimal mark-sweep)

function asInstance(wasm: string, region: number, maxIds: number, managed: boolean) {
    const pages = Math.ceil((region + 4096) / 65536)
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages })
    const inst = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasm)), {
        env: {
            memory,
            abort() {
                throw new Error("AssemblyScript abort")
            },
        },
    })
    const x = inst.exports as any
    const actual = x.init(region, maxIds, managed)
    if (actual !== region) throw new Error("AssemblyScript region is " + actual + ", wanted " + region)
    return x
}

class AsTlsf implements Sys {
    x: any
    /** tallocZero: the payload zeroed (memory.fill), as poolgc does. */
    zero: boolean
    constructor(region: number, t: Trace, wasm: string, zero: boolean) {
        this.x = asInstance(wasm, region, t.maxIds, false)
        this.zero = zero
    }
    alloc(id: number, size: number) {
        try {
            return this.zero ? this.x.tallocZero(size) : this.x.talloc(size)
        } catch (e) {
            if (e instanceof WebAssembly.RuntimeError) return 0
            throw e
        }
    }
    link(p: number, slot: number, c: number) {
        this.x.setRef(p + 4, slot, c)
    }
    unlink(p: number, idx: number, count: number) {
        this.x.removeAt(p + 4, idx, count)
    }
    drop(id: number) {}
    free(h: number) {
        this.x.tfree(h)
    }
    room(size: number) {
        this.x.walk()
        return [this.x.freeTotal.value, Math.max(12, align(size + 4, 16) - 4)]
    }
    end() {
        this.x.walk()
        return { largestFree: this.x.freeLargest.value, freeTotal: this.x.freeTotal.value, meta: 1572, header: "4, round up to 16", collections: 0 }
    }
}

class AsGc implements Sys {
    x: any
    collections = 0
    constructor(region: number, t: Trace, wasm: string) {
        this.x = asInstance(wasm, region, t.maxIds, true)
    }
    alloc(id: number, size: number, refs: number) {
        const x = this.x
        try {
            return x.gnew(id, size, refs)
        } catch (e) {
            if (!(e instanceof WebAssembly.RuntimeError)) throw e
        }
        // collect and retry once
        x.gcollect()
        this.collections++
        try {
            return x.gnew(id, size, refs)
        } catch (e) {
            if (e instanceof WebAssembly.RuntimeError) return 0
            throw e
        }
    }
    link(p: number, slot: number, c: number) {
        this.x.setRef(p, slot, c)
    }
    unlink(p: number, idx: number, count: number) {
        this.x.removeAt(p, idx, count)
    }
    drop(id: number) {
        this.x.gdrop(id)
    }
    free(h: number) {}
    room(size: number, refs: number) {
        this.x.walk()
        return [this.x.freeTotal.value, Math.max(12, align((refs > 0 ? 4 * refs : size) + 20, 16) - 4)]
    }
    end() {
        this.x.gcollect()
        this.x.walk()
        return {
            largestFree: this.x.freeLargest.value,
            freeTotal: this.x.freeTotal.value,
            meta: 1572,
            header: "20 (4 block + 16 object), round up to 16",
            collections: this.collections,
        }
    }
}

// ---------------------------------------------------------------- systems and the replay loop

function makeSys(name: string, t: Trace, wasm: string): Sys {
    const region = t.spec.region
    // poolgc's pools are at most 32 KiB: a 64 KiB region is two pools
    const npools = region > 32768 ? region / 32768 : 1
    switch (name) {
        // autoCompact false: MicroPython's behaviour, as before compaction existed
        case "poolgc-free":
            return new PoolFree(region, t, npools, false)
        case "poolgc-gc":
            return new PoolGc(region, t, npools, false)
        // autoCompact true (the pool's default)
        case "poolgc-free-compact":
            return new PoolFree(region, t, npools, true)
        case "poolgc-gc-compact":
            return new PoolGc(region, t, npools, true)
        case "thi.ng-malloc":
            return new ThingPool(region, false)
        case "thi.ng-malloc-zero":
            return new ThingPool(region, true)
        case "codemix-malloc":
            return new CodemixMalloc(region, false)
        case "codemix-malloc-zero":
            return new CodemixMalloc(region, true)
        case "as-tlsf":
            return new AsTlsf(region, t, wasm, false)
        case "as-tlsf-zero":
            return new AsTlsf(region, t, wasm, true)
        case "as-gc":
            return new AsGc(region, t, wasm)
    }
    throw new Error("unknown system " + name)
}

interface RunResult {
    ms: number
    failed: number
    fragFailed: number
}

/** Replays every record; returns the time and failure counts. */
function replay(sys: Sys, t: Trace, countFrag: boolean): RunResult {
    const recs = t.recs
    const n = t.nrec << 2
    const h = new Int32Array(t.maxIds) // the system's handle/pointer for each id, 0 = failed
    const cnt = new Int32Array(t.maxIds) // slots in use, per container
    let failed = 0
    let fragFailed = 0
    const t0 = performance.now()
    for (let i = 0; i < n; i += 4) {
        const a = recs[i + 1]
        switch (recs[i]) {
            case OP_ALLOC: {
                const v = sys.alloc(a, recs[i + 2], recs[i + 3])
                h[a] = v
                cnt[a] = 0
                if (v === 0) {
                    failed++
                    if (countFrag) {
                        const r = sys.room(recs[i + 2], recs[i + 3])
                        if (r[0] >= r[1]) fragFailed++
                    }
                }
                break
            }
            case OP_LINK: {
                const p = h[a]
                if (p !== 0) sys.link(p, cnt[a]++, h[recs[i + 2]])
                break
            }
            case OP_DROP:
                if (h[a] !== 0) sys.drop(a)
                break
            case OP_UNLINK: {
                const p = h[a]
                if (p !== 0) sys.unlink(p, recs[i + 2], cnt[a]--)
                break
            }
            case OP_FREE:
                if (h[a] !== 0) sys.free(h[a])
                h[a] = 0
                break
        }
    }
    return { ms: performance.now() - t0, failed, fragFailed }
}

function main() {
    const [system, traceName, runsArg, quickArg, wasm] = process.argv.slice(2)
    const quick = quickArg === "1"
    const spec = benchTraces(quick).find(s => s.name === traceName)
    if (!spec) throw new Error("unknown trace " + traceName)
    const t = materialise(spec)
    const runs = Number(runsArg)
    // the first run counts failures (with the room check, which walks heaps); it also warms up
    const first = makeSys(system, t, wasm)
    const r0 = replay(first, t, true)
    const compactions = first.compactions ? first.compactions() : null
    const end = first.end()
    const times: number[] = []
    for (let k = 0; k < runs; k++) {
        const sys = makeSys(system, t, wasm)
        const r = replay(sys, t, false)
        if (r.failed !== r0.failed) throw new Error("non-deterministic failures: " + r.failed + " vs " + r0.failed)
        times.push(r.ms)
    }
    const opsPerSec = times.map(ms => t.ops / (ms / 1000))
    console.log(
        JSON.stringify({
            system,
            trace: spec.name,
            region: spec.region,
            ops: t.ops,
            records: t.nrec,
            runs,
            opsPerSec: { median: median(opsPerSec), min: Math.min(...opsPerSec), max: Math.max(...opsPerSec) },
            msMedian: median(times),
            failed: r0.failed,
            fragFailed: r0.fragFailed,
            largestFree: end.largestFree,
            freeTotal: end.freeTotal,
            meta: end.meta,
            header: end.header,
            collections: end.collections,
            compactions,
            handleFailed: first.handleFailed === undefined ? null : first.handleFailed,
            tracePeakLive: t.peakLive,
            tracePeakBytes: t.peakBytes,
        }),
    )
}

main()
