/**
 * The VM side of `npm run bench -- --vm`: poolgc on the benchmark traces in
 * the DeviceScript simulator, normal mode (sim/runner.mjs runSim; never test
 * mode, whose GC stress makes every call ~17x slower).
 *
 * ds.millis() only advances across a suspension, so every timed region is
 * synchronous work between two `await ds.sleep(0)`; the cost of an empty
 * suspension (measured here, median) is subtracted. A single poolgc operation
 * is far below a millisecond, so each measurement repeats the operation REP
 * times at the same point of the trace and divides:
 * - alloc: REP allocations of the next ALLOC record's size, timed; then
 * - release: their REP free()s, timed (the pool is back as it was);
 * - Buffer.alloc: REP Buffer.alloc of the same size (the VM's own allocator,
 *   zero-filled as poolgc's objects are; each drops the previous one), timed, as the reference;
 * - full collection (collector mode): collect() slices until complete, each
 *   slice timed alone, summed.
 * Then the record itself is replayed. REP is small so a worst-case search
 * (~30k VM operations in a fully fragmented 32 KiB pool) times REP stays
 * under the 128K-operation step limit.
 */
import * as ds from "@devicescript/core"
import { MemoryError, Pool } from "../../src/index"
import { OP_ALLOC, OP_DROP, OP_FREE, OP_LINK, OP_UNLINK, TraceGen } from "../traces"

/** Operations in one timed slice, and timed slices per measurement point. */
const REP = 8
const ROUNDS = 16

async function slice() {
    await ds.sleep(0)
}

/** Insertion sort, suspending every 8 items (300 items would trip the step limit). */
async function sorted(xs: number[]): Promise<number[]> {
    const s = xs.slice(0)
    for (let i = 1; i < s.length; i++) {
        if ((i & 7) === 0) await slice()
        const v = s[i]
        let j = i - 1
        while (j >= 0 && s[j] > v) {
            s[j + 1] = s[j]
            j--
        }
        s[j + 1] = v
    }
    return s
}

async function median(xs: number[]): Promise<number> {
    if (xs.length === 0) return 0
    return (await sorted(xs))[xs.length >> 1]
}

function worst(xs: number[]): number {
    let w = 0
    for (let i = 0; i < xs.length; i++) if (xs[i] > w) w = xs[i]
    return w
}

function r3(x: number): number {
    return Math.round(x * 1000) / 1000
}

/** The median cost of an empty suspension, in ms. */
async function baseline(): Promise<number> {
    const xs: number[] = []
    for (let i = 0; i < 41; i++) {
        await slice()
        const t0 = ds.millis()
        await slice()
        xs.push(ds.millis() - t0)
    }
    return await median(xs)
}

/** xs: microseconds per operation, one a measurement point. */
async function emit(kind: string, size: number, what: string, xs: number[]) {
    let sum = 0
    for (let i = 0; i < xs.length; i++) sum += xs[i]
    const mean = xs.length > 0 ? sum / xs.length : 0
    console.log("BENCH " + kind + " " + size + " " + what + " n=" + xs.length + " median=" + r3(await median(xs)) + " worst=" + r3(worst(xs)) + " mean=" + r3(mean))
}

/** Microseconds per operation from `ms` milliseconds over `ops` operations and `slices` suspensions. */
function perOp(ms: number, ops: number, slices: number, base: number): number {
    const v = ((ms - slices * base) * 1000) / ops
    return v < 0 ? 0 : v
}

/**
 * Replays one trace on one pool: explicit release (`gcMode` false: collection
 * disabled, free() on FREE, timed allocations) or collector (collection on
 * failure, timed full collections). `variant` (see runVmBench; the pool's
 * autoCompact follows it): "" off; "compact" on; "compactAsync" on, and the
 * program compacts after a fragmentation failure. `label` names the rows. (At most 8 parameters: the
 * compiler fails an assertion on a call with 9.)
 */
async function run(kind: string, label: string, size: number, gcMode: boolean, variant: string, ops: number, sample: number, base: number) {
    const asyncCompact = variant === "compactAsync"
    // the generator (its queue made at full size) first, then the pool: see runVmBench
    const gen = new TraceGen({ name: kind, kind: kind, region: size, ops: ops, seed: 7 })
    const pool = new Pool({ size: size, handles: size >> 6, autoCompact: variant !== "" })
    let roots = 0
    if (gcMode) {
        roots = pool.list(256)
        for (let k = 0; k < 256; k++) pool.push(roots, 0)
        pool.setRoot("roots", roots)
    } else pool.disable()
    const hf: number[] = []
    const tAlloc: number[] = []
    const tFree: number[] = []
    const tBuf: number[] = []
    const tColl: number[] = []
    let failed = 0
    // failed although stats().free covered the request (header and rounding included): fragmentation alone
    let fragFailed = 0
    // failed for want of a handle-table slot
    let noHandle = 0
    let n = 0
    let allocs = 0
    const hs: number[] = [0, 0, 0, 0, 0, 0, 0, 0]
    let buf: Buffer = null
    while (gen.next()) {
        const op = gen.op
        const a = gen.a
        while (hf.length <= a) hf.push(0)
        if (!gcMode && op === OP_ALLOC && allocs++ % sample === 0) {
            // REP allocations of this record's size, then their release, ROUNDS times at the same point
            const len = gen.c > 0 ? 4 + 4 * gen.c : gen.b
            let ta = 0
            let tf = 0
            let tb = 0
            let ok = true
            for (let r = 0; r < ROUNDS && ok; r++) {
                await slice()
                let t0 = ds.millis()
                let k = 0
                try {
                    for (k = 0; k < REP; k++) hs[k] = pool.bytes(len)
                } catch (e) {
                    if (!(e instanceof MemoryError)) throw e
                    ok = false
                }
                await slice()
                ta += ds.millis() - t0
                t0 = ds.millis()
                for (let j = k - 1; j >= 0; j--) pool.free(hs[j])
                await slice()
                tf += ds.millis() - t0
                t0 = ds.millis()
                // one Buffer kept at a time: 8 level bitmaps beside a 32 KiB pool exhaust the
                // VM's 64 KB heap (measured: OutOfMemory panic); the VM's GC cost is included.
                // The old one is dropped before the next is made, not after: the game's
                // largest bitmaps at 32 KiB panicked too with two alive at once
                for (let j = 0; j < REP; j++) {
                    buf = null
                    buf = Buffer.alloc(len)
                }
                await slice()
                tb += ds.millis() - t0
                buf = null
            }
            if (ok) {
                tAlloc.push(perOp(ta, ROUNDS * REP, ROUNDS, base))
                tFree.push(perOp(tf, ROUNDS * REP, ROUNDS, base))
                tBuf.push(perOp(tb, ROUNDS * REP, ROUNDS, base))
            }
        }
        try {
            if (op === OP_ALLOC) {
                hf[a] = 0
                const h = gen.c > 0 ? pool.list(gen.c) : pool.bytes(gen.b)
                if (gcMode) pool.set(roots, a, h)
                hf[a] = h
            } else if (op === OP_LINK) {
                if (hf[a] !== 0) pool.push(hf[a], hf[gen.b])
            } else if (op === OP_UNLINK) {
                if (hf[a] !== 0) pool.removeAt(hf[a], gen.b)
            } else if (op === OP_DROP) {
                if (gcMode && hf[a] !== 0) pool.set(roots, a, 0)
            } else if (op === OP_FREE) {
                if (!gcMode && hf[a] !== 0) pool.free(hf[a])
                hf[a] = 0
            }
        } catch (e) {
            if (!(e instanceof MemoryError)) throw e
            failed++
            hf[a] = 0
            const need = (8 + (gen.c > 0 ? 4 + 4 * gen.c : gen.b) + 15) & ~15
            if (e.message.indexOf("handles in use") >= 0) noHandle++
            // stats() walks the table (~36K VM operations when fully fragmented): in a slice of
            // its own; nothing touches the pool in between, so it sees the pool as it failed
            await slice()
            const frag = pool.stats().free >= need
            if (frag) fragFailed++
            // a collection that ran out of budget: finish it in slices. Suspend first:
            // the failed allocation may have used ~70K of this slice's 128K operations, and
            // collectAsync() runs its first step before it suspends (measured: InfiniteLoop
            // panic in overcommit 32 KiB without this await)
            if (gcMode) {
                await slice()
                // the free space in pieces: what the MemoryError advises (compactAsync collects, then compacts)
                if (asyncCompact && frag) await pool.compactAsync()
                else await pool.collectAsync()
            }
        }
        if (gcMode && ++n % (sample * 4) === 0) {
            // full collections in budget-sized slices (each slice timed alone), ROUNDS/4 back to back
            let sum = 0
            let slices = 0
            for (let r = 0; r < ROUNDS / 4; r++) {
                await slice()
                let done = false
                while (!done) {
                    const t0 = ds.millis()
                    done = pool.collect()
                    await slice()
                    sum += ds.millis() - t0
                    slices++
                }
            }
            tColl.push(perOp(sum, ROUNDS / 4, slices, base))
        }
        if (!gcMode) n++
        if (n % 4 === 0) await slice()
    }
    await slice()
    const st = pool.stats()
    if (gcMode) {
        await emit(label, size, "collect", tColl)
        // in two parts: the compiler turns one long concatenation into a format call it cannot emit (assertion)
        const head = "BENCH " + label + " " + size + " info-gc records=" + n + " failed=" + failed
        console.log(head + " frag=" + fragFailed + " nohandle=" + noHandle + " compactions=" + st.compactions + " collections=" + st.collections)
    } else {
        await emit(label, size, "alloc", tAlloc)
        await emit(label, size, "release", tFree)
        await emit(label, size, "Buffer.alloc", tBuf)
        console.log("BENCH " + label + " " + size + " info-free failed=" + failed + " frag=" + fragFailed + " nohandle=" + noHandle)
    }
}

/**
 * One trace at one pool size, one mode. One per program run: the VM heap
 * (64 KB) cannot hold a second 32 KiB pool after the first. The game at
 * 32 KiB is at the edge of it: with both modes in one program, or with the
 * pool made before the trace generator, or with the generator's queue grown
 * record by record, one mode or the other ran out of VM memory (OutOfMemory
 * panic, session 4; with the pool alone the largest free VM block is 18.5 KB,
 * after replaying the game's trace 3.6-3.8 KB). `variant`:
 * - "free": explicit release, autoCompact false (MicroPython's behaviour);
 * - "gc": the collector, autoCompact false (before compaction);
 * - "compact": the collector only, autoCompact true (the default), rows
 *   "<kind>+compact"; the program recovers from a failure as before
 *   (collectAsync()). Explicit release disables automatic collection, and with
 *   it automatic compaction: its figures would be the same, so it is not run.
 * - "compactAsync": as "compact", but after a fragmentation failure the
 *   program awaits compactAsync() instead, rows "<kind>+compactAsync".
 */
export async function runVmBench(kind: string, size: number, ops: number, sample: number, variant: string) {
    const plain = variant === "free" || variant === "gc"
    const base = await baseline()
    console.log("BENCH baseline suspension_ms=" + base)
    if (plain) await run(kind, kind, size, variant === "gc", "", ops, sample, base)
    else await run(kind, kind + "+" + variant, size, true, variant, ops, sample, base)
    console.log("BENCH-DONE")
}
