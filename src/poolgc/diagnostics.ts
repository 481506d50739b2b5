/**
 * The cold diagnostics of a pool (MonitoredPool, on ObjectPool): stats() and
 * resetMinFree(), the memory map over serial (memInfo(), packedMap()), the
 * phantom view (phantoms()) and kindName() for the map writer. None of them
 * changes which objects are live (the phantom view's dry cycle frees
 * nothing; it finishes a collection already in progress first, as every
 * collection would). The dumps and the phantom view run over VM slices
 * (they suspend, with positive sleeps so the board's log ring drains);
 * stats() walks the allocation table once, charged to the meter first. The
 * map's format is memmap.ts's and docs/serial-format.md's.
 */
import { ObjectPool } from "./objects"
import { SLOW_DUMP } from "./core"
import { freeRuns } from "./allocator"
import { startCycle } from "./collector"
import { ArgumentError } from "./errors"
import { C_CALL, C_STATS, C_STATS_BYTE, C_STATS_META, charge, C_LINE, C_WALK, meter, rest, roomFor } from "./meter"
import { Dump } from "./memmap"
import {
    F_DRY,
    H_ALLOCS,
    H_COLLECTIONS,
    H_COMPACTIONS,
    H_FLAGS,
    H_FREE,
    H_FREES,
    H_GCWORK,
    H_MINFREE,
    H_PHASE,
    H_SWEPT,
    H_TBLOCKS,
    H_TCOUNT,
    H_WORK,
    OBJ_HEADER,
    PHASE_HOLD,
    PHASE_IDLE,
    TYPE_NAMES,
    T_MAX,
} from "./layout"

/** Objects and bytes of one type, in `PoolStats.byType`. */
export interface TypeUsage {
    /** Live objects of the type. */
    objects: number
    /** Bytes of the blocks they occupy, headers included. */
    bytes: number
}

/** What a phantom view found: objects nothing reachable refers to any more. */
export interface PhantomReport {
    /** Phantom objects. */
    objects: number
    /** Bytes of their blocks: what a collection would free. */
    bytes: number
}

/** The figures `stats()` returns. Sizes in bytes. */
export interface PoolStats {
    /** Pool size. */
    total: number
    /** Bytes in allocated blocks, pool metadata included. */
    used: number
    /** Bytes in free blocks. */
    free: number
    /** Largest free run: the largest object that fits without collecting. */
    largestFree: number
    /** The largest payload an allocation gets now, without collecting or compacting: largestFree less the 8-byte object header. */
    largestAllocatable: number
    /**
     * Fragmentation of the free space, umm_malloc's figure:
     * 100 - 100 * sqrt(sum of free run²) / (sum of free runs). 0 when the free
     * space is one run (or none), near 100 when it is many small runs.
     */
    fragmentation: number
    /** Number of separate free runs. */
    freeRuns: number
    /** Lowest `free` since the pool was created, or since resetMinFree(). */
    minFree: number
    /** Bytes of pool metadata (header, tables, stacks). */
    meta: number
    /** Objects allocated and not yet freed. */
    live: number
    /** Completed collections. */
    collections: number
    /** Objects ever allocated / freed (by free() or by a collection). */
    allocs: number
    frees: number
    /** Objects ever released by free(); `frees - releases` were swept by collections (or were the old copy of an object poolgc moved to grow it or make it long-lived). */
    releases: number
    /** Completed compactions. */
    compactions: number
    /** Work units spent collecting and compacting since the pool was created: a clock-free total. */
    gcWork: number
    /** Milliseconds spent collecting and compacting, as far as the clock shows (the VM's stands still within a slice). */
    gcMs: number
    /** Live objects and their bytes, by type name ("bytes", "string", ...). */
    byType: { [name: string]: TypeUsage }
    /** Milliseconds the last collection took (0 for a synchronous one on the VM, whose clock stands still). */
    lastPauseMs: number
    /** Work units of the last (or current) collection: a clock-free measure of its cost. */
    lastWork: number
    /** "idle", "mark", "sweep", "hold" (a phantom view), "compact" or "lift" (compaction). */
    phase: string
}

const PHASE_NAMES = ["idle", "mark", "sweep", "hold", "compact", "lift"]
/** Allocation-table bytes a dump walks between suspensions (~200 VM operations each at most). */
const WALK_BYTES = 128
/** Map lines printed between suspensions (each costs the VM ~1-2K operations). */
const LINES_PER_SLICE = 8
/**
 * Bytes of console output a dump writes into the board's 4,096-byte log ring
 * between two positive sleeps (each line counted with the "> " marker and the
 * newline the board adds). The ring is sent to USB/serial only while every
 * fiber sleeps a positive time, so this bounds what a dump adds to the ring
 * before the host can take it (docs/serial-format.md, "Pacing").
 */
const PRINT_BYTES = 1024
/** Bytes a board's log link is assumed to carry per millisecond of sleep (a 64-byte USB packet a 1 ms frame). */
const DRAIN_BYTES_PER_MS = 64

/** umm_malloc's fragmentation figure from the sum of the squares of the free runs and their sum. */
function fragmentation(squares: number, free: number): number {
    if (free === 0) return 0
    return Math.round(1000 - (1000 * Math.sqrt(squares)) / free) / 10
}

/**
 * A managed memory pool with statistics, the memory map over serial and the
 * phantom view, but without the integrity check (verify(), verifyAsync(),
 * verifier()): what the monitor needs, in less firmware than Pool.
 *
 * ```ts
 * const pool = new MonitoredPool({ size: 8192 })
 * pool.setRoot("score", pool.number(0))
 * await pool.memInfo(true)
 * ```
 */
export class MonitoredPool extends ObjectPool {
    // ------------------------------------------------------------------
    // statistics

    /** Every statistic in one object. Walks the allocation table once. */
    stats(): PoolStats {
        // (the metadata is the table's first this.data blocks, one run: a byte of it that holds data blocks too is charged as data)
        const meta = this.data >> 2
        charge(C_STATS + ((this.nblocks >> 2) - meta) * C_STATS_BYTE + meta * C_STATS_META, "stats()")
        const buf = this.buf
        const fr = [0, 0, 0]
        freeRuns(buf, fr)
        const blocks = buf.getAt(H_FREE, "u16")
        const free = blocks << 4
        const byType: { [name: string]: TypeUsage } = {}
        for (let t = 1; t <= T_MAX; t++)
            byType[TYPE_NAMES[t]] = { objects: buf.getAt(H_TCOUNT + (t << 1), "u16"), bytes: buf.getAt(H_TBLOCKS + (t << 1), "u16") << 4 }
        return {
            total: this.size,
            used: this.size - free,
            free: free,
            largestFree: fr[0] << 4,
            largestAllocatable: fr[0] > 0 ? (fr[0] << 4) - OBJ_HEADER : 0,
            fragmentation: fragmentation(fr[2], blocks),
            freeRuns: fr[1],
            minFree: buf.getAt(H_MINFREE, "u16") << 4,
            meta: this.data << 4,
            live: (buf.getAt(H_ALLOCS, "u32") - buf.getAt(H_FREES, "u32")) >>> 0,
            collections: buf.getAt(H_COLLECTIONS, "u32"),
            allocs: buf.getAt(H_ALLOCS, "u32"),
            frees: buf.getAt(H_FREES, "u32"),
            releases: (buf.getAt(H_FREES, "u32") - buf.getAt(H_SWEPT, "u32")) >>> 0,
            compactions: buf.getAt(H_COMPACTIONS, "u32"),
            gcWork: buf.getAt(H_GCWORK, "u32"),
            gcMs: this.gcMs,
            byType: byType,
            lastPauseMs: this.pauseMs,
            lastWork: buf.getAt(H_WORK, "u32"),
            phase: PHASE_NAMES[buf[H_PHASE]],
        }
    }

    /** Starts the low-water mark (`minFree`) again from the free bytes now. */
    resetMinFree(): void {
        charge(C_CALL, "resetMinFree()")
        this.buf.setAt(H_MINFREE, "u16", this.buf.getAt(H_FREE, "u16"))
    }

    // ------------------------------------------------------------------
    // dumps and the phantom view

    /**
     * Whether dumps send their map rows run-length packed (the packedMap
     * option; default off). With an argument, sets it; returns the setting.
     * A dump already started keeps the form it started with.
     */
    packedMap(on?: boolean): boolean {
        charge(C_CALL, "packedMap()")
        if (on === true || on === false) this.packed = on
        else if (on !== undefined) throw new ArgumentError("packedMap takes true or false, got " + on)
        return this.packed
    }

    /**
     * Prints the summary and, if `verbose`, the block map over the console
     * (serial on a board, stdout in the simulator), as
     * `micropython.mem_info(1)` does, framed as docs/serial-format.md says.
     * The dump shows the pool as it was at the call. Its work is spread over
     * VM slices (WALK_BYTES of the allocation table, then LINES_PER_SLICE
     * lines, per slice), so even a 32 KiB pool of 2,000 objects never trips
     * the step limit; the program may run meanwhile. `sink` receives the
     * lines instead of console.log. One dump at a time: a second call waits.
     */
    async memInfo(verbose?: boolean, sink?: (line: string) => void): Promise<void> {
        // positive sleeps throughout: a waiting or walking dump lets the main loop run
        while (this.dumping !== null) await rest(1)
        const dump = new Dump(this.buf, !!verbose, this.pauseMs, this.gcMs, false, this.packed)
        this.dumping = dump
        this.slow |= SLOW_DUMP
        try {
            await roomFor(C_WALK)
            while (!dump.walk(this.buf, WALK_BYTES)) await rest(1)
            meter.spent(C_WALK)
        } finally {
            this.dumping = null
            this.slow &= ~SLOW_DUMP
        }
        await this.print(dump, sink)
    }

    /**
     * Prints a walked dump's lines, paced for a board's log ring: a positive
     * sleep before the first line (what the program printed before goes out
     * first), then after every LINES_PER_SLICE lines or before the line that
     * would take the bytes since the last sleep over PRINT_BYTES, and after
     * the last. Each sleep lasts as long as the link needs for the bytes
     * written since the one before (DRAIN_BYTES_PER_MS), at least 1 ms.
     * The lines go to `sink` instead, when given, paced alike.
     */
    private async print(dump: Dump, sink?: (line: string) => void): Promise<void> {
        await rest(1)
        let k = 0
        let bytes = 0
        let line = dump.next()
        while (line !== null) {
            // "> " before, "\n" after: what the line takes in the ring (the map is ASCII)
            const n = line.length + 3
            if (k === LINES_PER_SLICE || bytes + n > PRINT_BYTES) {
                await rest(Math.ceil(bytes / DRAIN_BYTES_PER_MS))
                k = 0
                bytes = 0
            }
            if (sink) sink(line)
            else console.log(line)
            meter.spent(C_LINE)
            k++
            bytes += n
            line = dump.next()
        }
        await rest(Math.ceil(bytes / DRAIN_BYTES_PER_MS))
    }

    /**
     * The phantom view: marks from the roots, as a collection does, but frees
     * nothing, and prints the map (as memInfo) with every unreachable object
     * (a "phantom", the guide's word) shown by its type's lower-case letter,
     * plus a summary line of how many objects and bytes a collection would
     * free. Finishes a collection already in progress first. Spread over VM
     * slices; other collections wait until it is done. Returns the figures.
     */
    async phantoms(verbose?: boolean, sink?: (line: string) => void): Promise<PhantomReport> {
        while (this.asyncRunning || this.dumping !== null) await rest(1)
        const buf = this.buf
        let dump: Dump = null
        this.asyncRunning = true
        try {
            await rest(1)
            // finish whatever is in progress (it may free the phantoms: that is its job), a
            // slice a step, until a slice starts with none (the program runs in between)
            while (this.phase() !== PHASE_IDLE) {
                this.runStep(this.budget, C_CALL)
                await rest(1)
            }
            buf[H_FLAGS] |= F_DRY
            startCycle(buf)
            while (buf[H_PHASE] !== PHASE_HOLD) {
                this.asyncStep(null)
                if (buf[H_PHASE] !== PHASE_HOLD) await rest(1)
            }
            // the snapshot: marked heads are reachable, unmarked heads are phantoms
            dump = new Dump(buf, !!verbose, this.pauseMs, this.gcMs, true, this.packed)
            this.dumping = dump
            this.slow |= SLOW_DUMP
            // (one walk slice costs about what a collection step does: they take turns, not a slice together)
            await roomFor(C_WALK)
            while (!dump.walk(buf, WALK_BYTES)) await rest(1)
            meter.spent(C_WALK)
            this.dumping = null
            this.slow &= ~SLOW_DUMP
            while (!this.asyncStep(null)) await rest(1)
        } finally {
            // (nothing above throws; were it interrupted, the next collect() would finish the dry cycle)
            this.dumping = null
            this.slow &= ~SLOW_DUMP
            this.asyncRunning = false
        }
        this.finalise()
        await this.print(dump, sink)
        return { objects: dump.phantomObjects, bytes: dump.phantomBlocks << 4 }
    }

    /** Name of the record kind with id `id` (for the map writer and tools). */
    kindName(id: number): string {
        charge(C_CALL, "kindName()")
        const k = this.kinds[id - 1]
        return k ? k.name : "?"
    }
}
