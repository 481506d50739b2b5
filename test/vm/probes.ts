/**
 * Worst-case operations for the step-limit checks. `prepare(name)` builds the
 * heap shape (suspending as needed) and returns the operation to measure,
 * which must then run in one slice without tripping the VM's step limit.
 * Shared by test/vm/steplimit.vm.ts and tools/step-probe.mjs.
 */
import { Pool, PoolOptions } from "../../src/index"
import { startCycle, step } from "../../src/poolgc/collector"
import { F_DRY, H_FLAGS, H_HCAP, H_PHASE, PHASE_HOLD, POOL_SHIFT } from "../../src/poolgc/layout"
import { Dump } from "../../src/poolgc/memmap"
import { C_HEAP_LINE, C_SKIP, CHECK_SLICE, HeapLines, Pacer, Walk } from "../../src/poolgc/heapdump"
import { meter } from "../../src/poolgc/meter"
import { describe, search, whyAlive } from "../../src/poolgc/whyalive"
import { buildChain, buildFan, everyBlockOptions, onlyRefusal, Pause } from "./shapes"

/** The largest supported pool. */
export const LARGEST = 32768

/** Names of every probe, in the order the step-limit test runs them. */
export const PROBES = [
    "empty",
    "alloc-fail-noauto",
    "alloc-fail-fragmented",
    "alloc-fail-then-collect-async",
    "alloc-fail-after-collect",
    "alloc-last-fragmented",
    "step-fragmented",
    "collect-chain",
    "collect-fan",
    "sweep-all-dead",
    "meminfo-every-block",
    "meminfo-fragmented",
    "meminfo-lines",
    "meminfo-lines-packed",
    "stats-fragmented",
    "push-grow-large",
    "compact-fragmented",
    "compact-lift",
    "phantoms-walk",
    "heapdump-lines",
    "heapdump-lines-wide",
    "heapdump-check",
    "whyalive-chain",
    "whyalive-describe",
    "whyalive-fan",
    "verify-chain",
    "verify-fragmented",
    "verify-list",
    "verify-empty",
    "verify-census-atb",
    "verify-census-types",
    "verify-census-blocks",
    "bitmap-read-largest",
    "bitmap-write-largest",
]

/**
 * The share of a slice, in percent, that each probe's operation may use (the
 * step-limit test burns the rest first). Half a slice for every operation but
 * an allocation that fails after searching the whole table, collecting or
 * compacting and searching again: that one may use 60 %.
 */
export const SHARE = [2, 60, 60, 60, 60, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 73, 73, 73, 50, 50]

/**
 * The heap dump's and whyAlive()'s probes (src/poolgc/heapdump.ts, whyalive.ts),
 * on the chain (every block a 1-block record referencing the one before: 2,048
 * handles at 32 KiB) or, "whyalive-fan", the fan (one list holding every record).
 * - "heapdump-lines": what a heap dump does between two of its suspensions:
 *   8 `o` lines formatted, charged, framed and printed through its pacer.
 * - "heapdump-lines-wide": the same for one list's lines, each about 120 characters.
 * - "heapdump-check": one slice of its second pass (CHECK_SLICE charged).
 * - "whyalive-chain", "whyalive-fan": whyAlive() of the record the search meets
 *   last (the chain's oldest; the fan list's last item), started with the meter
 *   at its share less WHY_SLICE, so its first slice charges up to WHY_SLICE
 *   before it must suspend: that slice, its set-up included, is what is measured.
 * - "whyalive-describe": the same for the description of the chain's whole path
 *   (after the search), whose first slice also turns the path round.
 */
/** A pool whose rooted list "l" holds size/16 references to one number (2,048 at 32 KiB), its capacity: full. */
async function fullList(o: PoolOptions, pause: Pause): Promise<{ pool: Pool; l: number; x: number }> {
    const pool = new Pool(o)
    const cap = o.size >> 4
    const l = pool.list(cap)
    pool.setRoot("l", l)
    const x = pool.number(1)
    for (let i = 0; i < cap; i++) {
        if (i % 100 === 0) await pause()
        pool.push(l, x)
    }
    await pause()
    return { pool: pool, l: l, x: x }
}

async function graphProbe(name: string, size: number, pause: Pause): Promise<() => any> {
    if (name === "heapdump-lines-wide") {
        // 8 lines of one list of size/16 references (2,048 at 32 KiB): its `o` line and `+` lines, each as full (120 characters) as a line gets
        const { pool } = await fullList({ size: size }, pause)
        const names = pool.graphNames()
        const w = new HeapLines(pool.buf, names[0], names[1], pool.id << POOL_SHIFT)
        // past the summary and the root
        for (let i = 0; i < 2; i++) w.next()
        const p = new Pacer(undefined)
        return async () => {
            for (let i = 0; i < 8; i++) {
                const text = w.next()
                meter.used += C_HEAP_LINE + w.walk.skipped * C_SKIP
                w.walk.skipped = 0
                await p.out(w.frame(text)) // (8 such lines stay within 1,024 bytes: no suspension)
            }
            meter.spent(0)
        }
    }
    const pool = new Pool(everyBlockOptions(size))
    const count = name === "whyalive-fan" ? await buildFan(pool, pause) : await buildChain(pool, false, pause)
    await pause()
    const names = pool.graphNames()
    const buf = pool.buf
    const hid = pool.id << POOL_SHIFT
    if (name === "heapdump-lines") {
        const w = new HeapLines(buf, names[0], names[1], hid)
        // past the summary, the kind and the root: into the objects
        for (let i = 0; i < 3; i++) w.next()
        const p = new Pacer(undefined)
        return async () => {
            for (let i = 0; i < 8; i++) {
                const text = w.next()
                meter.used += C_HEAP_LINE + w.walk.skipped * C_SKIP
                w.walk.skipped = 0
                await p.out(w.frame(text)) // (no suspension: the pacer's 8 lines and 1,024 bytes are not reached)
            }
            meter.spent(0) // the count starts again at the next suspension, as after the dump's own rest()
        }
    }
    if (name === "heapdump-check") {
        const again = new Walk(buf, hid)
        return () => {
            again.check(CHECK_SLICE)
            meter.spent(0)
        }
    }
    // the object the search meets last
    let target = 0
    if (name === "whyalive-fan") target = pool.get(pool.getRoot("fan"), count - 1)
    else {
        target = pool.getRoot("chain")
        for (let i = 1; i < count; i++) {
            if (i % 64 === 0) await pause()
            target = pool.getField(target, "next")
        }
    }
    await pause()
    if (name === "whyalive-describe") {
        const par = Buffer.alloc(buf.getAt(H_HCAP, "u16") << 1)
        if ((await search(buf, target & 0xfff, par, Buffer.alloc(512))) !== 1) throw new Error("whyalive-describe: the search did not reach the chain's end")
        await pause()
        return async () => {
            meter.used = meter.limit - WHY_SLICE
            return await describe(buf, names[0], names[1], target & 0xfff, par)
        }
    }
    return async () => {
        meter.used = meter.limit - WHY_SLICE
        return await whyAlive(pool, target)
    }
}

/** What the whyAlive() probes leave of the meter's share for their first slice. */
const WHY_SLICE = 48000

function withBudget(o: PoolOptions, budget: number): PoolOptions {
    if (budget !== undefined) o.budget = budget
    return o
}

async function finish(pool: Pool, pause: Pause) {
    // complete any collection the build left, so the probe starts from rest
    // (a suspension before each step: the builder's own calls may have used the meter's share)
    await pause()
    while (!pool.collectStep(500)) await pause()
}

/** Calls a measurement probe "each-<operation>" makes. */
const EACH = 20

/** The object sizes of the measurement probes' heaps: 1, 3, 7 and 17 blocks. */
const MIXED_SIZES = [8, 40, 100, 250]

/**
 * A heap for the measurement probes: `count` objects of MIXED_SIZES in turn,
 * packed from the bottom (automatic collection off); with `holes`, every
 * third one (from the first) freed again.
 */
async function mixedHeap(size: number, count: number, holes: boolean, pause: Pause): Promise<{ pool: Pool; hs: number[] }> {
    const pool = new Pool({ size: size, handles: 512 })
    pool.disable()
    const hs: number[] = []
    for (let i = 0; i < count; i++) {
        hs.push(pool.bytes(MIXED_SIZES[i & 3]))
        if (i % 40 === 0) await pause()
    }
    if (holes) {
        for (let i = 0; i < count; i += 3) {
            pool.free(hs[i])
            if (i % 60 === 0) await pause()
        }
    }
    await pause()
    return { pool, hs }
}

/**
 * Builds the shape for probe `name` in a pool of `size` bytes (default the
 * largest) and returns its operation. A probe name may end in ":<budget>" to
 * give its pool that work budget. An operation may return a promise: the
 * caller awaits it, and what runs before its first suspension counts.
 */
export async function prepare(probe: string, pause: Pause, size?: number): Promise<() => any> {
    if (size === undefined) size = LARGEST
    const colon = probe.indexOf(":")
    const name = colon < 0 ? probe : probe.slice(0, colon)
    const budget = colon < 0 ? undefined : parseInt(probe.slice(colon + 1))
    if (name === "empty") return () => {}
    if (name === "bitmap-read-largest" || name === "bitmap-write-largest" || name === "each-readBitmap" || name === "each-writeBitmap") {
        // the largest bitmap the pool holds (rows of 256 bytes at 8 bpp); its lowest quarter
        // copied to or from a Buffer of that size (a whole frame of a 32 KiB pool's bitmap,
        // or half of one beside the step-limit test's own state, does not fit in the VM's
        // heap beside the pool; a copy costs the same operations at any size): once
        // (bitmap-*-largest), or EACH times (each-*)
        const pool = new Pool({ size: size })
        const rows = ((pool.stats().largestAllocatable - 8) / 256) | 0
        const bmp = pool.bitmap(256, rows, 8)
        pool.setRoot("bmp", bmp)
        const band = rows >> 2
        const frame = Buffer.alloc(256 * band)
        await pause()
        const y0 = rows - band
        if (name === "bitmap-read-largest") return () => pool.readBitmap(bmp, frame, y0, band)
        if (name === "bitmap-write-largest") return () => pool.writeBitmap(bmp, frame, y0, band)
        if (name === "each-readBitmap") return () => { for (let i = 0; i < EACH; i++) pool.readBitmap(bmp, frame, y0, band) }
        return () => { for (let i = 0; i < EACH; i++) pool.writeBitmap(bmp, frame, y0, band) }
    }
    if (name.indexOf("each-") === 0) {
        // measurements (not in PROBES): EACH calls of one cheap operation, for the
        // meter's charges (src/poolgc/meter.ts): ops / EACH is what one call costs
        const pool = new Pool({ size: size })
        const bmp = pool.bitmap(32, 32, 8)
        pool.setRoot("bmp", bmp)
        const raw = pool.bytes(16)
        pool.setRoot("raw", raw)
        const l = pool.list(8)
        pool.setRoot("l", l)
        const x = pool.number(5)
        pool.setRoot("x", x)
        const kind = pool.defineRecord("K", ["a", "b"])
        const rec = pool.record(kind)
        pool.setRoot("rec", rec)
        await pause()
        const op = name.slice(5)
        if (op === "setPixel") return () => { for (let i = 0; i < EACH; i++) pool.setPixel(bmp, 3, 4, 7) }
        if (op === "getPixel") return () => { for (let i = 0; i < EACH; i++) pool.getPixel(bmp, 3, 4) }
        if (op === "getByte") return () => { for (let i = 0; i < EACH; i++) pool.getByte(raw, 9) }
        if (op === "setByte") return () => { for (let i = 0; i < EACH; i++) pool.setByte(raw, 9, 1) }
        if (op === "push-pop") return () => { for (let i = 0; i < EACH; i++) { pool.push(l, x); pool.pop(l) } }
        if (op === "get") return () => { for (let i = 0; i < EACH; i++) pool.get(l, 0) }
        if (op === "setField") return () => { for (let i = 0; i < EACH; i++) pool.setField(rec, "b", x) }
        if (op === "getField") return () => { for (let i = 0; i < EACH; i++) pool.getField(rec, "b") }
        if (op === "number") return () => { for (let i = 0; i < EACH; i++) pool.number(i) }
        if (op === "free") return () => { for (let i = 0; i < EACH; i++) pool.free(pool.number(i)) }
        if (op === "roots") return () => { for (let i = 0; i < EACH; i++) { pool.setRoot("r", x); pool.getRoot("r") } }
        if (op === "isLive") return () => { for (let i = 0; i < EACH; i++) pool.isLive(x) }
        if (op === "memFree") return () => { for (let i = 0; i < EACH; i++) pool.memFree() }
        if (op === "getNumber") return () => { for (let i = 0; i < EACH; i++) pool.getNumber(x) }
        if (op === "empty") return () => { for (let i = 0; i < EACH; i++) {} }
        throw new Error("unknown probe " + name)
    }
    if (name === "stats-empty") {
        // a measurement (not in PROBES): stats() of an empty pool, every table byte on the
        // walk's cheap paths, for the fixed part of its charge (meter.ts, C_STATS)
        const pool = new Pool(everyBlockOptions(size))
        await pause()
        return () => {
            pool.stats()
        }
    }
    if (name === "free-90") {
        // not a worst case (not in PROBES, so the step-limit test does not run it): a
        // measurement, for tools/step-probe.mjs, of what one free() costs the VM, over 90
        // frees of objects of 1-17 blocks, each merging with a free run below it
        const m = await mixedHeap(size, 270, true, pause)
        return () => {
            for (let i = 1; i < 270; i += 3) m.pool.free(m.hs[i])
        }
    }
    if (name === "alloc-40" || name === "alloc-40-end") {
        // measurements like free-90 (not in PROBES): what one allocation costs the VM,
        // over 40 allocations of 8, 40, 100 and 250 bytes (1-17 blocks). "alloc-40": into
        // a heap of 120 objects with 60 holes of those sizes (first fit searches past
        // the holes too small); "alloc-40-end": after 180 objects packed from the
        // bottom (no hole: the fixed cost and a short search)
        const m = await mixedHeap(size, 180, name === "alloc-40", pause)
        return () => {
            for (let i = 0; i < 40; i++) m.pool.bytes(MIXED_SIZES[i & 3])
        }
    }
    if (name === "alloc-fail-fragmented" || name === "alloc-fail-then-collect-async" || name === "alloc-fail-noauto" || name === "step-fragmented" || name === "alloc-last-fragmented" || name === "meminfo-fragmented" || name === "meminfo-lines-packed" || name === "stats-fragmented") {
        const pool = new Pool(withBudget(everyBlockOptions(size), budget))
        await buildChain(pool, true, pause)
        await pause()
        pool.collectStep(1) // start a cycle, then finish it in slices
        await finish(pool, pause)
        await pause()
        // nothing fits: larger than the largest hole
        const big = pool.stats().largestFree
        if (name === "alloc-fail-noauto")
            return () => {
                pool.disable()
                try {
                    pool.bytes(big)
                } catch (e) {
                    onlyRefusal(e)
                }
            }
        if (name === "step-fragmented") return () => {
            pool.collectStep(budget || 400)
        }
        if (name === "alloc-fail-fragmented")
            return () => {
                try {
                    pool.bytes(big)
                } catch (e) {
                    onlyRefusal(e)
                }
            }
        if (name === "alloc-fail-then-collect-async")
            // the README's advice after a MemoryError, in the same slice
            return async () => {
                try {
                    pool.bytes(big)
                } catch (e) {
                    onlyRefusal(e)
                    await pool.collectAsync()
                }
            }
        if (name === "alloc-last-fragmented") {
            // fill every hole but the last, so the search walks the whole table:
            // the numbers hang off the chain's spare fields
            await pause()
            let holes = pool.stats().freeRuns
            let rec = pool.getRoot("chain")
            while (holes > 1 && rec !== 0) {
                if (holes % 2 === 0) await pause()
                pool.setField(rec, "other", pool.number(holes))
                rec = pool.getField(rec, "next")
                holes--
            }
            await pause()
            return () => {
                pool.number(1)
            }
        }
        if (name === "stats-fragmented") return () => {
            pool.stats()
        }
        if (name === "meminfo-lines-packed") {
            // 8 packed map lines of a fragmented map: the most runs a row can have
            const dump = new Dump(pool.buf, true, 0, 0, false, true)
            while (!dump.walk(pool.buf, 128)) await pause()
            for (let i = 0; i < 10; i++) dump.next() // past the summary and the metadata rows
            return () => {
                for (let i = 0; i < 8; i++) console.log(dump.next())
            }
        }
        return () => {
            new Dump(pool.buf, true, 0, 0, false).walk(pool.buf, 128)
        }
    }
    if (name === "collect-chain" || name === "meminfo-every-block" || name === "meminfo-lines" || name === "sweep-all-dead") {
        const pool = new Pool(withBudget(everyBlockOptions(size), budget))
        await buildChain(pool, false, pause)
        await pause()
        if (name === "meminfo-every-block") return () => {
            new Dump(pool.buf, true, 0, 0, false).walk(pool.buf, 128)
        }
        if (name === "meminfo-lines") {
            // the part memInfo does between two suspensions: format and print 8 lines
            const dump = new Dump(pool.buf, true, 0, 0, false)
            while (!dump.walk(pool.buf, 128)) await pause()
            for (let i = 0; i < 5; i++) dump.next() // past the summary, into the map rows
            return () => {
                for (let i = 0; i < 8; i++) console.log(dump.next())
            }
        }
        if (name === "sweep-all-dead") {
            pool.delRoot("chain")
            return () => {
                pool.collect()
            }
        }
        return () => {
            pool.collect()
        }
    }
    if (name === "alloc-fail-after-collect") {
        // big live bitmaps separated by one-block holes, garbage numbers in some holes:
        // the automatic collection completes within the budget and frees something,
        // so the search runs twice over the whole table and still fails
        const pool = new Pool(withBudget({ size: size }, budget))
        const keep = pool.list(80)
        pool.setRoot("keep", keep)
        const tail = pool.list(40)
        pool.setRoot("tail", tail)
        const sep: number[] = []
        pool.disable()
        let i = 0
        while (true) {
            if (i % 4 === 0) await pause()
            try {
                pool.push(keep, pool.bitmap(40, 10, 8)) // 416 bytes: 27 blocks
                sep.push(pool.number(i))
            } catch (e) {
                onlyRefusal(e)
                break
            }
            i++
        }
        // the end of the pool: filled with live one-block numbers
        // (pauses: how many pushes and frees fit before the meter's share depends on the pool's size)
        for (let k = 0; k < 40; k++) {
            if (k % 8 === 0) await pause()
            try {
                pool.push(tail, pool.number(k))
            } catch (e) {
                onlyRefusal(e)
                break
            }
        }
        for (let k = 0; k < sep.length; k++) {
            if (k % 16 === 0) await pause()
            if (k % 3 !== 0 && pool.isLive(sep[k])) pool.free(sep[k])
        }
        pool.enable()
        await pause()
        return () => {
            try {
                pool.bytes(40) // 3 blocks: no hole is that long, before or after collecting
            } catch (e) {
                onlyRefusal(e)
            }
        }
    }
    if (name === "compact-fragmented" || name === "phantoms-walk") {
        // the fully fragmented chain: every other block free, ~1,000 one-block
        // objects to move, most of them by one block
        const pool = new Pool(withBudget(everyBlockOptions(size), budget))
        await buildChain(pool, true, pause)
        await pause()
        await finish(pool, pause)
        if (name === "phantoms-walk") {
            // what phantoms() does in one slice while it walks: a walk of 128 table bytes, phantoms in lower case
            pool.buf[H_FLAGS] |= F_DRY
            startCycle(pool.buf)
            while (pool.buf[H_PHASE] !== PHASE_HOLD) {
                step(pool.buf, 500)
                await pause()
            }
            const dump = new Dump(pool.buf, true, 0, 0, true)
            return () => {
                dump.walk(pool.buf, 128)
            }
        }
        return () => {
            pool.compact()
        }
    }
    if (name === "heapdump-lines" || name === "heapdump-lines-wide" || name === "heapdump-check" || name === "whyalive-chain" || name === "whyalive-describe" || name === "whyalive-fan") {
        const r = await graphProbe(name, size, pause)
        if (r) return r
    }
    if (name === "compact-lift") {
        // long-lived one-block numbers from the top down, every other one dropped,
        // below them short-lived ones likewise: both passes have ~500 objects to move
        const pool = new Pool(withBudget(everyBlockOptions(size), budget))
        const keep = pool.list(4)
        pool.setRoot("keep", keep)
        pool.disable()
        let i = 0
        while (true) {
            if (i % 2 === 0) await pause() // a top-down search reads the whole table
            pool.longLived(i % 2 === 0)
            try {
                const x = pool.number(i)
                if (i % 4 < 2) pool.push(keep, x)
            } catch (e) {
                onlyRefusal(e)
                break
            }
            i++
        }
        pool.longLived(false)
        pool.enable()
        await pause()
        await finish(pool, pause)
        // collected; now the compaction alone, in the probe's slice
        return () => {
            pool.compact()
        }
    }
    if (name === "collect-fan") {
        const pool = new Pool(withBudget(everyBlockOptions(size), budget))
        await buildFan(pool, pause)
        await pause()
        return () => {
            pool.collect()
        }
    }
    if (name === "verify-empty") {
        // verify() of an empty pool: the cheapest units (free table bytes, free slots), the most of them
        const pool = new Pool(withBudget({ size: size, handles: size >> 4 }, budget))
        await pause()
        return () => {
            try {
                pool.verify()
            } catch (e) {
                onlyRefusal(e)
            }
        }
    }
    if (name === "verify-census-atb" || name === "verify-census-types" || name === "verify-census-blocks") {
        // a census of verifyAsync() (one run, whatever its units: at most the meter's share, 73 %):
        // every block a 1-block object (the chain: every handle slot an object, for the
        // type and block censuses); for the ATB census, three 1-block objects and a free
        // block in each table byte
        const pool = new Pool(withBudget(everyBlockOptions(size), budget))
        if (name === "verify-census-atb") {
            pool.disable()
            // (only the handles to free are kept: an array of all of them would not fit the VM's heap)
            const hs: number[] = []
            let n = 0
            while (true) {
                if (n % 40 === 0) await pause()
                try {
                    const h = pool.number(1)
                    if ((n & 3) === 0) hs.push(h)
                } catch (e) {
                    break
                }
                n++
            }
            for (let i = 0; i < hs.length; i++) {
                if (i % 40 === 0) await pause()
                pool.free(hs[i])
            }
        } else await buildChain(pool, false, pause)
        await pause()
        const v = pool.verifier()
        v.run(20)
        // a change while stage 1 counts (a whole collection of the chain, nothing freed;
        // an allocation freed again) owes the censuses: ATB, then types, then blocks
        if (name === "verify-census-atb") pool.free(pool.number(2))
        else {
            pool.collectStep(1)
            await finish(pool, pause)
        }
        while (!v.censusDue()) {
            v.run(200)
            await pause()
        }
        const before = name === "verify-census-atb" ? 0 : name === "verify-census-types" ? 1 : 2
        for (let i = 0; i < before; i++) {
            v.run(1)
            await pause()
        }
        return () => {
            v.run(1)
        }
    }
    if (name === "verify-chain" || name === "verify-fragmented" || name === "verify-list") {
        // verify() with its default units, on the shapes that cost it most a unit: every
        // block an object with references (the chain), every other block free and every
        // object a head (fragmented), one list of size/16 references (the list)
        const pool = new Pool(withBudget(name === "verify-list" ? { size: size } : everyBlockOptions(size), budget))
        if (name === "verify-list") {
            const l = pool.list(size >> 4)
            pool.setRoot("l", l)
            const x = pool.number(1)
            for (let i = 0; i < size >> 4; i++) {
                if (i % 100 === 0) await pause()
                pool.push(l, x)
            }
        } else {
            await buildChain(pool, name === "verify-fragmented", pause)
            await pause()
            if (name === "verify-fragmented") {
                pool.collectStep(1)
                await finish(pool, pause)
            }
        }
        await pause()
        return () => {
            try {
                pool.verify()
            } catch (e) {
                onlyRefusal(e)
            }
        }
    }
    if (name === "push-grow-large") {
        // a full list of size/16 references (2,048 at 32 KiB): the next push moves
        // them all to a run twice as large
        const { pool, l, x } = await fullList(withBudget({ size: size }, budget), pause)
        return () => {
            pool.push(l, x)
        }
    }
    throw new Error("unknown probe " + name)
}
