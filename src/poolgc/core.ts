/**
 * The memory manager core of a pool: the class every Pool is built on
 * (PoolCore; objects.ts adds the typed object API, diagnostics.ts stats and
 * dumps, pool.ts the integrity check).
 * It owns one Buffer allocated once and everything that changes which blocks
 * and handle slots are in use: allocation (the fast path and allocSlow()),
 * release, relocation, the handle table and handle resolution, the roots and
 * scopes, the collector's and compactor's stepping with the public collect*,
 * compact*, enable and threshold calls, and the finaliser glue. The
 * algorithms live in allocator.ts (placement), collector.ts (mark and sweep)
 * and compactor.ts, the byte layout in layout.ts.
 *
 * Handles: a handle is (pool id << 27) | (generation << 12) | slot. The
 * handle table maps a slot to its object's head block; the object header
 * repeats slot and generation. A handle is valid only while its pool id is
 * this pool's, its slot is live and the generations agree, so a handle to a
 * freed object, one made up, or one of another pool can never reach another
 * object's bytes: it throws HandleError. head() is the one place that check
 * is made; every access resolves its handle there first.
 *
 * Roots: named roots (setRoot/getRoot/delRoot, the `del`) for long-lived
 * values, and a root stack for temporaries: between enter() and leave(), every
 * new object is pushed on the root stack, so it survives collections until the
 * scope closes. An object that is neither rooted nor referenced from a rooted
 * object is garbage at the next collection.
 *
 * Because every reference is a handle, objects can move: compaction
 * (compactor.ts) slides them together and rewrites only the handle table.
 *
 * All of a pool's state (its fields) is declared here, even what only the
 * layers above use (record kinds, the dump in progress): the constructor
 * allocates the VM objects the pool keeps for its life before the pool's
 * Buffer, in one place (see the constructor). This module imports nothing
 * of the layers above, not even a type: DeviceScript emits a module's
 * imports before the module, and a class emitted before its base class
 * fails to compile (an internal assertion in `devs build`).
 */
import { boolArg, intArg, isInt } from "./args"
import type { Dump } from "./memmap"
import { ATB, claimRun, findRun, findRunTop, largestRun, releaseRun, summariseRows } from "./allocator"
import { pushMark, shade, startCycle, step, unqueue } from "./collector"
import { compactAbortIfInGap, startCompaction } from "./compactor"
import { ArgumentError, CorruptionError, HandleError, MemoryError, StepLimitError } from "./errors"
import { C_ACCESS, C_ALLOC, C_ALLOC_FAST, C_CALL, C_FREE, C_ROW, C_STEP, charge, C_POISON_BLOCK, GC_UNIT_OPS, meter, MIN_STEP, pause } from "./meter"
import { Finalisers } from "./finalisers"
import {
    AT_HEAD,
    AT_MARK,
    BLOCK,
    F_AUTO,
    F_AUTOCOMPACT,
    F_COMPACT,
    F_DRY,
    F_LONG,
    F_POISON,
    HANDLE_SHIFT,
    H_ALLOCS,
    H_CURSOR,
    H_DATA,
    H_DEPTH,
    H_FLAGS,
    H_FREE,
    H_FREES,
    H_GCWORK,
    H_HCAP,
    H_HHINT,
    H_HINT,
    H_HTAB,
    H_MAGIC,
    H_MCAP,
    H_MINFREE,
    H_MSTACK,
    H_NAMED,
    H_NBLOCKS,
    H_NCAP,
    H_PHASE,
    H_SCAP,
    H_POOLID,
    H_SINCE,
    H_SWEPT,
    H_SP,
    H_STACK,
    H_TBLOCKS,
    H_TCOUNT,
    H_THRESH,
    MAGIC,
    MAX_GEN,
    MAX_HANDLES,
    MAX_POOL,
    MAX_POOL_ID,
    metaLayout,
    MIN_POOL,
    OBJ_HEADER,
    OF_LONG,
    OF_SLOT,
    O_AUX,
    O_GEN,
    O_LEN,
    O_SLOT,
    O_TYPE,
    PHASE_COMPACT,
    PHASE_HOLD,
    PHASE_IDLE,
    PHASE_MARK,
    PHASE_SWEEP,
    POISON,
    POOL_SHIFT,
    ROW_BLOCKS,
    ROW_ENTRY,
    ROW_SHIFT,
    RS_INNER,
    RS_TRAIL,
    POOL_GRANULE,
    SLOT_FREE,
    TYPE_NAMES,
    T_BYTES,
    T_LIST,
    T_STRING,
} from "./layout"
import { now } from "../platform"
import type { Handle } from "./handles"

/** Settings for a new pool. Every field is optional. */
export interface PoolOptions {
    /** Pool size in bytes: a multiple of 64 from 1024 to 32768. Default 16384. */
    size?: number
    /** Handle slots, i.e. the most objects alive at once (at most one per block). Default: one per 8 blocks (128 at 16 KiB). */
    handles?: number
    /** Named-root slots (<= 64). Default 16. */
    namedRoots?: number
    /** Root-stack slots for scoped temporaries (<= 256). Default 32. */
    rootStack?: number
    /** Mark-stack entries (4..256); deeper graphs still work, through rescans. Default 32. */
    markStack?: number
    /**
     * Work units a synchronous collection may spend at once, in allocation or
     * collect(); keeps every call under the VM's 128K-operation slice.
     * Default 1200 (see README for what that costs on the VM).
     */
    budget?: number
    /**
     * Whether an allocation that fails for fragmentation alone (enough bytes
     * free, but in pieces) compacts the pool and searches again. Default true.
     */
    autoCompact?: boolean
    /**
     * Debug mode: freed blocks are filled with a poison pattern (0xDB), and an
     * allocation checks that the blocks it takes still hold it, throwing
     * CorruptionError if something wrote to freed memory (a write from outside
     * the API, through pool.buf). Costs a fill per free and a check per
     * allocation (at most 64 blocks at each end of a large run). Default false.
     */
    debug?: boolean
    /**
     * Map rows of memInfo() and phantoms() dumps run-length packed: a run of
     * three or more blocks of the same character is sent as the character and
     * the run's length (`A=7` for an object of eight blocks, `.12` for twelve
     * free blocks), for slow serial links; the monitor unpacks them. Default
     * false: rows as MicroPython prints them. See docs/serial-format.md.
     */
    packedMap?: boolean
}

/**
 * A record type: a name and its reference fields, in order. What
 * defineRecord() and kindOf() return is a copy: changing it changes nothing
 * in the pool, and record() accepts it by pool, id and name.
 */
export interface RecordKind<F extends string = string> {
    /** Kind id stored in each record's header (1..255). */
    id: number
    name: string
    /** The reference fields, in the order the record stores them. */
    fields: F[]
    /** Id of the pool that defined the kind. */
    pool: number
}

// what runAsync() starts
const ASYNC_COLLECT = 0
const ASYNC_COLLECT_COMPACT = 1
const ASYNC_COMPACT = 2

// The retry rule's states (Pool.owed). An allocation refused because the meter cut its
// collection short leaves OWED_GC; when that collection has ended, OWED_GC_DONE: the next
// allocation that finds no room starts no collection, only a compaction if the free space
// would suffice (refused in turn: OWED_COMPACT, then OWED_DONE), else it is MemoryError.
// Without it a loop that makes garbage before each retry livelocks a full pool: every
// retry's first allocation takes the room the collection freed and the next one starts
// another collection, which the meter cuts short again.
const OWED_NONE = 0
const OWED_GC = 1
const OWED_GC_DONE = 2
const OWED_COMPACT = 3
const OWED_DONE = 4
/** What alloc() gates its fast path on (PoolCore.slow) while a dump walks the table: diagnostics.ts sets it. */
export const SLOW_DUMP = 1
const SLOW_OWED = 2

/** Blocks checked at each end of a run in debug mode (a bound for the VM's step limit). */
const POISON_CHECK = 64
const POISON32 = 0xdbdbdbdb

/**
 * Debug mode: throws CorruptionError unless bytes 4-15 of every block of the
 * free run [blk, blk+n) hold the poison (for a run longer than 2 x
 * POISON_CHECK blocks, its first and last POISON_CHECK blocks). Bytes 0-3 of
 * a block may keep a freed object's type and slot (see POISON).
 */
function checkPoison(buf: Buffer, blk: number, n: number): void {
    const end = blk + n
    let b = blk
    while (b < end) {
        if (n > 2 * POISON_CHECK && b === blk + POISON_CHECK) b = end - POISON_CHECK
        const off = b << 4
        for (let k = 4; k < 16; k += 4) {
            if (buf.getAt(off + k, "u32") !== POISON32)
                throw new CorruptionError(
                    "pool corrupt: freed block " + b + " was written after it was freed (byte " + (off + k) + " holds " + buf.getAt(off + k, "u32") + ", not the poison): a write from outside the API?"
                )
        }
        b++
    }
}

/**
 * The id the pool created last took: pools number themselves 1..MAX_POOL_ID
 * in creation order, wrapping, so any MAX_POOL_ID pools created in a row have
 * distinct ids and reject each other's handles.
 */
let lastPoolId = 0

/**
 * The memory manager core of a pool, without the typed object API: not for
 * programs (they use ObjectPool or Pool), but the base of both. Its members
 * that the layers above call are protected; every public method charges the
 * slice meter (meter.ts) before its work.
 */
export class PoolCore {
    /** The pool's bytes: header, tables and objects. Read it, never write it. */
    readonly buf: Buffer
    /** Pool size in bytes. */
    readonly size: number
    protected readonly nblocks: number
    protected readonly data: number
    private readonly htab: number
    private readonly hcap: number
    protected readonly budget: number
    /** What a search of the whole table is charged (meter.ts). */
    private readonly searchOps: number
    /**
     * This pool's id, 1..15 (pools number themselves in creation order,
     * wrapping): bits 27-30 of every handle it gives out, so `h >>> 27`
     * tells which pool a handle belongs to.
     */
    readonly id: number
    /** The id shifted into place. */
    private readonly hid: number
    protected readonly rootNames: string[] = []
    protected readonly kinds: RecordKind[] = []
    protected pauseMs = 0
    protected gcMs = 0
    protected asyncRunning = false
    protected readonly finalisers = new Finalisers()
    /** Whether the last runStep() got fewer units than it asked for (the meter had no more). */
    private clamped = false
    /** The object a finaliser drain keeps alive (see drain()), or 0. */
    private pinned = 0
    /** Byte offset of the object alloc() made last (its callers write the payload there without resolving the handle). */
    protected allocated = 0
    /** The handle slot allocSlow() found for the run it returns, with OF_LONG for a long-lived object. */
    private slotFound = -1
    /**
     * The retry rule's state (OWED_*): what has become of the collection (and
     * compaction) that an allocation refused with StepLimitError started. While
     * it is not OWED_NONE every allocation takes the general path, which keeps it.
     * (Plain fields, as few as will do: the pool object's fields cost the 64 KB
     * boards' VM heap out of proportion. After the demo with a 28,672-byte pool
     * the largest free piece measured 17,804 bytes (tools/heap-probe.mjs); with
     * one field more 16,908, and the board tests' 16 KiB headroom check failed;
     * with these three fields in one sub-object 16,852.)
     */
    private owed = OWED_NONE
    /**
     * Nonzero while alloc()'s fast path must not run (one field, so the fast
     * path reads one): SLOW_DUMP while a dump walks the table (this.dumping),
     * SLOW_OWED while the retry rule is in force (this.owed).
     */
    protected slow = 0
    /** The refused allocation's type and payload length, (type << 16) | length: its retry succeeding settles the debt. */
    private owedTicket = 0
    /** The pool's free blocks when the allocation was refused: the program using more than the collection freed settles it too. */
    private owedFree = 0
    /** Byte offset of the row summary (rowTable(nblocks)). */
    private readonly rows: number
    /** The dump whose walk is in progress, if any (see memmap.ts). */
    protected dumping: Dump = null
    /** Dumps' map rows run-length packed (packedMap). */
    protected packed = false

    constructor(options?: PoolOptions) {
        const o = options || {}
        const size = o.size === undefined ? 16384 : o.size
        if (!isInt(size) || size < MIN_POOL || size > MAX_POOL || size % POOL_GRANULE !== 0)
            throw new ArgumentError("pool size must be a multiple of 64 from 1024 to 32768, got " + size)
        const nb = size >> 4
        const hcap = o.handles === undefined ? nb >> 3 : intArg(o.handles, "handles", 1, nb < MAX_HANDLES ? nb : MAX_HANDLES)
        const ncap = o.namedRoots === undefined ? 16 : intArg(o.namedRoots, "namedRoots", 1, 64)
        const scap = o.rootStack === undefined ? 32 : intArg(o.rootStack, "rootStack", 1, 256)
        const mcap = o.markStack === undefined ? 32 : intArg(o.markStack, "markStack", 4, 256)
        this.budget = o.budget === undefined ? 1200 : intArg(o.budget, "budget", 16, 1000000)
        boolArg(o.autoCompact, "autoCompact")
        boolArg(o.debug, "debug")
        boolArg(o.packedMap, "packedMap")
        this.packed = o.packedMap === true

        const layout = metaLayout(nb, hcap, ncap, scap, mcap)
        const htab = layout[0]
        const named = layout[1]
        const stack = layout[2]
        const mstack = layout[3]
        const data = layout[4]
        if (data + 1 > nb) throw new ArgumentError("pool of " + size + " bytes is too small for its tables (" + data * BLOCK + " bytes)")

        // the table set-up below reads and writes every row summary
        charge(C_ALLOC + (nb >> ROW_SHIFT) * C_ROW, "new Pool()")
        // (an id only once every argument is accepted: a rejected pool takes none)
        lastPoolId = lastPoolId >= MAX_POOL_ID ? 1 : lastPoolId + 1
        this.id = lastPoolId
        this.hid = lastPoolId << POOL_SHIFT
        // the VM objects the pool keeps for its life, allocated once, next to the pool Buffer:
        // the VM never moves an object, so one allocated (or grown) later would split its free
        // space (finalisers.ts). The root names: all ncap entries now, the last first (one allocation).
        this.finalisers.init(this.hid, hcap)
        for (let i = ncap - 1; i >= 0; i--) this.rootNames[i] = null
        const buf = Buffer.alloc(size)
        this.buf = buf
        this.size = size
        this.nblocks = nb
        this.data = data
        this.htab = htab
        this.hcap = hcap
        this.rows = ATB + (nb >> 2)
        this.searchOps = ((nb + (1 << ROW_SHIFT) - 1) >> ROW_SHIFT) * C_ROW
        buf.setAt(H_MAGIC, "u32", MAGIC)
        buf.setAt(H_NBLOCKS, "u16", nb)
        buf.setAt(H_DATA, "u16", data)
        buf.setAt(8, "u16", ATB)
        buf.setAt(H_HTAB, "u16", htab)
        buf.setAt(H_HCAP, "u16", hcap)
        buf.setAt(H_POOLID, "u16", this.id)
        buf.setAt(H_NAMED, "u16", named)
        buf.setAt(H_NCAP, "u16", ncap)
        buf.setAt(H_STACK, "u16", stack)
        buf.setAt(H_SCAP, "u16", scap)
        buf.setAt(H_MSTACK, "u16", mstack)
        buf.setAt(H_MCAP, "u16", mcap)
        buf[H_FLAGS] = (o.autoCompact === false ? F_AUTO : F_AUTO | F_AUTOCOMPACT) | (o.debug === true ? F_POISON : 0)
        if (o.debug === true) buf.fillAt(data << 4, (nb - data) << 4, POISON)
        // all handle slots free, last generation 0: one entry, then copies of
        // what is done so far (never overlapping: the VM's blitAt is a memcpy)
        buf.setAt(htab, "u16", SLOT_FREE)
        for (let done = 2; done < hcap * 2; done *= 2) buf.blitAt(htab + done, buf, htab, done < hcap * 2 - done ? done : hcap * 2 - done)
        // the metadata is one allocated run: it is never handed out and the map shows it
        buf.setAt(H_FREE, "u16", nb)
        buf.setAt(H_HINT, "u16", 0)
        summariseRows(buf, 0, (nb - 1) >> ROW_SHIFT)
        claimRun(buf, 0, data, AT_HEAD)
        buf.setAt(H_MINFREE, "u16", nb - data)
    }

    // ------------------------------------------------------------------
    // allocation

    /**
     * Allocates an object: first fit (from the top down for a long-lived one);
     * when nothing fits (or the threshold is reached) the collector runs for
     * at most the budget, then the search runs once more; if the free space
     * would suffice but is in pieces, a compaction runs for at most the budget
     * and the search runs again; then MemoryError. Nothing changes when it
     * throws. `pin`, if given, and `pin2`, survive any collection this
     * allocation runs (push() passes the list it is growing and the item it
     * is adding). `long` overrides the pool's placement mode.
     */
    protected alloc(type: number, aux: number, len: number, pin?: Handle, pin2?: Handle, long?: boolean): number {
        const buf = this.buf
        // the fast path's cost now; the rest of the fixed part, the searches and the
        // collection steps when the allocation takes the general path (meter.ts)
        // (in this function and the other hot paths: nested ifs rather than && chains, and
        // a[i] = a[i] | x rather than a[i] |= x, each a few VM operations fewer)
        const m = meter
        m.used = m.used + C_ALLOC_FAST
        if (m.used > m.next) m.over(C_ALLOC_FAST, "an allocation")
        const n = (len + (OBJ_HEADER + BLOCK - 1)) >> 4
        // (u16 fields through getAt/setAt, u32 counters by their low byte: see "Hot paths" in layout.ts)
        const depth = buf.getAt(H_DEPTH, "u16")
        let blk = -1
        let slot = -1
        let slotBits = -1
        // The fast path: no collection or compaction under way (the phase byte), neither
        // long-lived placement nor poison (the flags byte above it), no threshold, neither
        // a dump walking the table nor the retry rule in force (this.slow), room on the root stack (with no scope open the stack is empty);
        // and the first fit is plain from the summary of the hint's row, the lowest row with
        // a free block (none lies below the hint): its lead run if that holds n blocks (it
        // then starts at the hint), else its trail run if that does and no run between them
        // does (the row's inner bound says so, or the hint lies in the trail run). That is where findRun() looks first, and the claim
        // below writes what claimRun() would.
        if (((buf.getAt(H_PHASE, "u16") & 0xc0ff) | buf.getAt(H_THRESH, "u16")) === 0)
            if (long !== true)
                if (this.slow === 0)
                    if (buf.getAt(H_SP, "u16") < buf.getAt(H_SCAP, "u16")) {
                        const hint = buf.getAt(H_HINT, "u16")
                        const rs = hint & ~(ROW_BLOCKS - 1)
                        let re = rs + ROW_BLOCKS
                        if (re > this.nblocks) re = this.nblocks
                        const p = this.rows + (hint >> ROW_SHIFT) * ROW_ENTRY
                        const lead = buf[p]
                        let s = -1
                        // (a full pool's hint is nblocks: its row, past the last, has no summary)
                        if (hint >= this.nblocks) s = -1
                        else if (lead >= n) s = rs
                        else {
                            const t0 = re - buf[p + RS_TRAIL]
                            // (an inner run lies below the trail, so none does when the hint is in it)
                            if (re - t0 >= n) if (buf[p + RS_INNER] < n || hint >= t0) s = t0
                        }
                        if (s >= 0) {
                            // the slot at the handle cursor if it is free (what takeSlot() finds first)
                            const c = buf.getAt(H_HHINT, "u16")
                            if (c < this.hcap) if (buf[this.htab + (c << 1) + 1] & 0x80) slot = c
                            if (slot < 0) slot = this.takeSlot()
                            if (slot >= 0) {
                                blk = s
                                slotBits = slot
                                const e = s + n
                                // the run's ATB bits are all AT_FREE (0): OR in the head code and the tails
                                let i = ATB + (s >> 2)
                                const sh = (s & 3) << 1
                                if ((s & 3) + n <= 4) buf[i] = buf[i] | ((0xa9 & ((1 << (n << 1)) - 1)) << sh)
                                else {
                                    buf[i] = buf[i] | ((0xa9 << sh) & 0xff)
                                    const last = ATB + ((e - 1) >> 2)
                                    i++
                                    if (last - i > 3) buf.fillAt(i, last - i, 0xaa)
                                    else for (; i < last; i++) buf[i] = 0xaa
                                    buf[last] = buf[last] | (0xaa & ((4 << (((e - 1) & 3) << 1)) - 1))
                                }
                                if (lead === re - rs) {
                                    // an all-free row: a lead and a trail, no inner run
                                    buf[p] = 0
                                    buf[p + RS_TRAIL] = re - e
                                } else if (s === rs) {
                                    // the start of the lead: what is left of it no longer touches the row's start
                                    buf[p] = 0
                                    if (rs + lead - e > buf[p + RS_INNER]) buf[p + RS_INNER] = rs + lead - e
                                } else buf[p + RS_TRAIL] = re - e // the start of the trail
                                const free = buf.getAt(H_FREE, "u16") - n
                                buf.setAt(H_FREE, "u16", free)
                                if (free < buf.getAt(H_MINFREE, "u16")) buf.setAt(H_MINFREE, "u16", free)
                                if (s === hint) buf.setAt(H_HINT, "u16", e)
                            }
                        }
                    }
        if (blk < 0) {
            blk = this.allocSlow(type, n, len, depth, pin, pin2, long)
            slotBits = this.slotFound
            slot = slotBits & OF_SLOT
        }
        const off = blk << 4
        this.allocated = off
        // the payload is zeroed; the header's 8 bytes are all written below
        buf.fillAt(off + OBJ_HEADER, (n << 4) - OBJ_HEADER, 0)
        const e = this.htab + (slot << 1)
        // the next generation, 1..MAX_GEN (the entry's low 15 bits are the last one)
        let gen = (buf.getAt(e, "u16") & MAX_GEN) + 1
        if (gen > MAX_GEN) gen = 1
        buf.setAt(e, "u16", blk)
        buf.setAt(H_HHINT, "u16", slot + 1)
        buf.setAt(off + O_TYPE, "u16", type | (aux << 8)) // O_AUX is the byte above O_TYPE
        buf.setAt(off + O_SLOT, "u16", slotBits)
        buf.setAt(off + O_GEN, "u16", gen)
        buf.setAt(off + O_LEN, "u16", len)
        // a u32 counter: its low byte, and the whole field once in 256 (the carry)
        const allocs = buf[H_ALLOCS]
        if (allocs < 255) buf[H_ALLOCS] = allocs + 1
        else buf.setAt(H_ALLOCS, "u32", buf.getAt(H_ALLOCS, "u32") + 1)
        const tb = H_TBLOCKS + (type << 1)
        buf.setAt(tb, "u16", buf.getAt(tb, "u16") + n)
        const tc = tb + (H_TCOUNT - H_TBLOCKS)
        buf.setAt(tc, "u16", buf.getAt(tc, "u16") + 1)
        const h = this.hid | (gen << HANDLE_SHIFT) | slot
        if (depth > 0) this.pushRoot(h)
        return h
    }

    /**
     * alloc()'s general path, for everything its fast path does not take:
     * the checks that can throw, the search (top-down for a long-lived
     * object), the collection or compaction a failed search runs and the
     * searches after them, MemoryError, then the claim of the run found.
     * Returns the run's first block; the handle slot is left in slotFound.
     */
    private allocSlow(type: number, n: number, len: number, depth: number, pin: Handle, pin2: Handle, long: boolean): number {
        const buf = this.buf
        // the rest of the fixed part now; the searches and collection steps as they run
        const m = meter
        m.used = m.used + (C_ALLOC - C_ALLOC_FAST)
        if (m.used > m.next) m.over(C_ALLOC - C_ALLOC_FAST, "an allocation")
        if (depth > 0 && buf.getAt(H_SP, "u16") >= buf.getAt(H_SCAP, "u16"))
            throw new MemoryError("root stack full (" + buf.getAt(H_SCAP, "u16") + " temporaries): leave() a scope or raise rootStack")
        if (n > this.nblocks - this.data)
            throw new MemoryError("memory allocation failed, allocating " + len + " bytes: larger than the pool (" + (this.nblocks - this.data) * BLOCK + " bytes for objects)")
        this.clamped = false
        const flags = buf[H_FLAGS] // LONG and POISON do not change during an allocation
        const isLong = long === undefined ? (flags & F_LONG) !== 0 : long
        // a phantom view drives its own (dry) cycle: allocations neither advance nor start one
        const auto = (flags & (F_AUTO | F_DRY)) === F_AUTO
        // bytes since the last collection are counted only while a threshold is set
        // (a u32 field; threshold() keeps it at most MAX_POOL, so its low half holds it)
        const thresh = buf.getAt(H_THRESH, "u16")
        if (auto) {
            if (thresh > 0 && buf.getAt(H_SINCE, "u32") >= thresh) this.start()
            // a collection or compaction in progress advances with every allocation
            if (buf[H_PHASE] !== PHASE_IDLE) {
                if (pin) shade(buf, pin)
                if (pin2) shade(buf, pin2)
                this.runStep(this.budget, this.searchOps * 3)
            }
        } else if (buf[H_PHASE] >= PHASE_COMPACT && !(flags & F_DRY)) {
            // with collection off, a compaction an allocation started (and the meter cut
            // short) goes on in the next ones: else every retry would be refused again
            this.runStep(this.budget >> 1, this.searchOps * 3)
        }
        // (the search's charge as searched() computes it, inline: the common case)
        const hintRow = buf.getAt(H_HINT, "u16") >> ROW_SHIFT
        let blk = isLong ? findRunTop(buf, n) : findRun(buf, n)
        if (blk < 0) m.used = m.used + ((((this.nblocks - 1) >> ROW_SHIFT) - hintRow + 1) * C_ROW)
        else if (isLong) m.used = m.used + ((((this.nblocks - 1) >> ROW_SHIFT) - (blk >> ROW_SHIFT) + 1) * C_ROW)
        else m.used = m.used + ((((blk + n - 1) >> ROW_SHIFT) - hintRow + 1) * C_ROW)
        let slot = -1
        if (blk >= 0) slot = this.takeSlot()
        if (auto && (blk < 0 || slot < 0)) {
            this.clamped = false
            const work0 = buf.getAt(H_GCWORK, "u32")
            // the retry rule: once the collection a refused allocation started has ended,
            // the next allocation that finds no room starts no other (MicroPython: collect,
            // search once more, MemoryError); it may still compact, once
            this.settle()
            if (this.owed < OWED_GC_DONE) {
                const free = buf.getAt(H_FREE, "u16")
                const frees = buf.getAt(H_FREES, "u32")
                this.start()
                if (pin) shade(buf, pin)
                if (pin2) shade(buf, pin2)
                this.runStep(this.budget, this.searchOps * 3)
                // search again only if the collection freed something
                if (buf.getAt(H_FREES, "u32") !== frees) {
                    if (buf.getAt(H_FREE, "u16") > free || blk < 0) {
                        blk = isLong ? findRunTop(buf, n) : findRun(buf, n)
                        this.searched(blk, n, isLong)
                    }
                    slot = blk < 0 ? -1 : this.takeSlot()
                }
            }
            // enough free in total, but in pieces: compact with what the collection
            // left of the budget (one failing allocation spends one budget), then search again
            // (none left: the compaction is started, and the next allocations advance it)
            // less what may follow it: a search and, if that fails, the error's largest-run
            // count, each reading at worst every row of the table: about nblocks/8 units
            const left = this.budget - (buf.getAt(H_GCWORK, "u32") - work0) - (this.nblocks >> 3)
            if (blk < 0 && this.owed !== OWED_DONE && buf.getAt(H_FREE, "u16") >= n && buf[H_FLAGS] & F_AUTOCOMPACT) {
                const phase = buf[H_PHASE]
                if (phase === PHASE_IDLE) {
                    startCompaction(buf)
                    if (left > 0 && this.runStep(left, this.searchOps * 2)) {
                        blk = isLong ? findRunTop(buf, n) : findRun(buf, n)
                        this.searched(blk, n, isLong)
                        slot = blk < 0 ? -1 : this.takeSlot()
                    }
                } else if (phase === PHASE_MARK || phase === PHASE_SWEEP) {
                    // the collection outgrew this allocation's budget: it ends with a
                    // compaction, which the next allocations (or collectAsync()) carry out
                    buf[H_FLAGS] |= F_COMPACT
                }
            }
        } else if (blk < 0 && (buf[H_FLAGS] & (F_AUTO | F_AUTOCOMPACT | F_DRY)) === F_AUTOCOMPACT && buf[H_PHASE] === PHASE_IDLE && buf.getAt(H_FREE, "u16") >= n) {
            // automatic collection is off (objects are released with free()): compact
            // without collecting, which moves objects and frees none
            // (half a budget: this allocation has searched the whole table once and will again)
            startCompaction(buf)
            if (this.runStep((this.budget >> 1) - (this.nblocks >> 3), this.searchOps * 2)) {
                blk = isLong ? findRunTop(buf, n) : findRun(buf, n)
                this.searched(blk, n, isLong)
                slot = blk < 0 ? -1 : this.takeSlot()
            }
        }
        if (blk < 0 || slot < 0) {
            // a collection the meter cut short might have made room: not out of memory yet
            if (this.clamped && buf[H_PHASE] !== PHASE_IDLE) {
                if (this.owed === OWED_NONE) {
                    this.owed = OWED_GC
                    this.slow |= SLOW_OWED
                    this.owedTicket = (type << 16) | len
                    this.owedFree = buf.getAt(H_FREE, "u16")
                } else if (this.owed === OWED_GC_DONE) this.owed = OWED_COMPACT
                throw meter.refusal("an allocation that needs a collection", C_STEP + this.budget * GC_UNIT_OPS)
            }
            this.forgive()
            const err = this.outOfMemory(len, n, blk >= 0)
            // the public call ends here, having changed nothing it depends on: its finalisers run
            if (this.finalisers.due > 0) this.drain(0)
            throw err
        }

        // born marked while a collection could still free it
        const phase = buf[H_PHASE]
        const black = phase === PHASE_MARK || phase === PHASE_HOLD || (phase === PHASE_SWEEP && blk >= buf.getAt(H_CURSOR, "u16"))
        if (flags & F_POISON) {
            // (at most 2 * POISON_CHECK blocks are read)
            meter.used += (n < 2 * POISON_CHECK ? n : 2 * POISON_CHECK) * C_POISON_BLOCK
            checkPoison(buf, blk, n)
        }
        if (phase >= PHASE_COMPACT) compactAbortIfInGap(buf, blk, n)
        if (this.dumping !== null) this.dumping.capture(buf, blk, n)
        claimRun(buf, blk, n, black ? AT_MARK : AT_HEAD)
        // (the fast path runs only without a threshold: the count is this path's)
        if (thresh > 0) buf.setAt(H_SINCE, "u32", buf.getAt(H_SINCE, "u32") + (n << 4))
        this.slotFound = isLong ? slot | OF_LONG : slot
        // the refused allocation's retry found room, or the free space has fallen below
        // what it was at the refusal: the next failure collects again
        if (this.owed !== OWED_NONE)
            if (((type << 16) | len) === this.owedTicket || buf.getAt(H_FREE, "u16") < this.owedFree) this.forgive()
        return blk
    }

    /** Ends the retry rule: the next allocation that finds no room collects again, and the fast path is open. */
    private forgive(): void {
        this.owed = OWED_NONE
        this.slow &= ~SLOW_OWED
    }

    /** The retry rule's step from OWED_GC to OWED_GC_DONE (or COMPACT to DONE) once the pool is idle again. */
    private settle(): void {
        if (this.owed & 1) if (this.buf[H_PHASE] === PHASE_IDLE) this.owed++
    }

    /**
     * Charges a search that returned `blk` for `n` blocks to the meter:
     * C_ROW for each row of the table it walked, from the hint's row up to
     * the row the run ends in (from the last row down, for a long-lived one).
     */
    private searched(blk: number, n: number, isLong: boolean): void {
        const last = (this.nblocks - 1) >> ROW_SHIFT
        const hint = this.buf.getAt(H_HINT, "u16") >> ROW_SHIFT
        meter.used += (blk < 0 ? last - hint + 1 : isLong ? last - (blk >> ROW_SHIFT) + 1 : ((blk + n - 1) >> ROW_SHIFT) - hint + 1) * C_ROW
    }

    /**
     * A free handle slot, or -1: the first free one from the cursor H_HHINT
     * on, wrapping around (next fit). It writes nothing: alloc() moves the
     * cursor past the slot once nothing can fail any more. The slots are
     * taken in turn, not the one just released first: a slot is reused once
     * per pass of the cursor over the free slots, so its 15-bit generation
     * wraps (and a stale handle to it would name its new object) only after
     * MAX_GEN such passes, not after MAX_GEN allocations of a churn loop
     * (README, "Known limits", has the bound). Lowest-first would pack the
     * live slots at the bottom and make every search walk past them; from the
     * cursor, the slots ahead were mostly freed long ago. Reads two slots a
     * step, a byte each (SLOT_FREE, bit 15 of an entry, is bit 7 of its high byte).
     */
    private takeSlot(): number {
        const buf = this.buf
        const hcap = this.hcap
        const from = buf.getAt(H_HHINT, "u16")
        let lo = from < hcap ? from : 0
        let hi = hcap
        let found = -1
        // [from, hcap), then [0, from)
        for (let pass = 0; pass < 2 && found < 0; pass++) {
            let i = this.htab + ((lo & ~1) << 1) // slot s's high byte at i + 1, s + 1's at i + 3
            for (let s = lo & ~1; s < hi; s += 2) {
                if (buf[i + 1] & 0x80 && s >= lo) {
                    found = s
                    break
                }
                if (s + 1 < hi && buf[i + 3] & 0x80) {
                    found = s + 1
                    break
                }
                i += 4
            }
            hi = lo
            lo = 0
        }
        return found
    }

    /** The MemoryError for a failed allocation (`blocksFound`: it failed for want of a handle slot). */
    private outOfMemory(len: number, n: number, blocksFound: boolean): MemoryError {
        const buf = this.buf
        const phase = buf[H_PHASE]
        // the searches skip rows, so they do not see every run: the largest, from the row summary
        let msg = blocksFound
            ? "memory allocation failed: all " + this.hcap + " handles in use (raise the handles option)"
            : "memory allocation failed, allocating " + len + " bytes (" + n + " blocks): " + buf.getAt(H_FREE, "u16") * BLOCK + " bytes free, largest free run " + largestRun(buf) * BLOCK + " bytes"
        if (phase >= PHASE_COMPACT && !(buf[H_FLAGS] & F_AUTO)) msg += "; a compaction is in progress: await compactAsync(false) and retry"
        else if (phase >= PHASE_COMPACT) msg += "; a collection is still in progress (compacting): await collectAsync() and retry"
        else if (phase !== PHASE_IDLE && buf[H_FLAGS] & F_COMPACT) msg += "; a collection is still in progress (it will compact): await collectAsync() and retry"
        else if (phase !== PHASE_IDLE) msg += "; a collection is still in progress: await collectAsync() and retry"
        else if (!blocksFound && buf.getAt(H_FREE, "u16") >= n) msg += "; the free space is in pieces: await compactAsync(" + (buf[H_FLAGS] & F_AUTO ? "" : "false") + ") and retry"
        else if (!(this.buf[H_FLAGS] & F_AUTO)) msg += "; automatic collection is disabled"
        return new MemoryError(msg)
    }

    // ------------------------------------------------------------------
    // release

    /**
     * Explicitly frees an object now (MicroPython's gc.free / m_free). Its
     * handles become stale; its finaliser, if any, runs before this returns.
     */
    free(h: Handle): void {
        this.release(h)
        // (its finaliser is due at once; a walk of the slots would cost this call CHECK_SLOTS reads)
        const f = this.finalisers
        if (f.registered !== 0) f.released(h)
        if (f.due > 0) this.drain(0)
    }

    /**
     * Frees `h`'s object and its handle slot. The collector's sweep frees a
     * garbage object with the same slot and per-type count writes, its own
     * copy (collector.ts), and releases its blocks in bulk instead of
     * releaseRun(): both writes as one shared function measured +13 VM
     * operations a free() (step probes: free-90 56,453 -> 57,641, each-free
     * 18,671 -> 18,932) and +3.4 % on the sweep (sweep-all-dead 44,840 ->
     * 46,352).
     */
    private release(h: Handle): void {
        const off = this.head(h)
        const m = meter
        m.used = m.used + C_FREE
        if (m.used > m.next) m.over(C_FREE, "free()")
        const buf = this.buf
        const blk = off >> 4
        if (buf[H_PHASE] === PHASE_MARK) unqueue(buf, blk)
        const slot = h & 0xfff
        // (u16 fields through getAt/setAt: see "Hot paths" in layout.ts)
        const e = this.htab + (slot << 1)
        buf.setAt(e, "u16", buf.getAt(off + O_GEN, "u16") | SLOT_FREE)
        const n = (buf.getAt(off + O_LEN, "u16") + (OBJ_HEADER + BLOCK - 1)) >> 4
        releaseRun(buf, blk, n, 0, 0)
        if (buf[H_FLAGS] & F_POISON) buf.fillAt(off + 4, (n << 4) - 4, POISON)
        const tb = H_TBLOCKS + (buf[off + O_TYPE] << 1)
        buf.setAt(tb, "u16", buf.getAt(tb, "u16") - n)
        const tc = tb + (H_TCOUNT - H_TBLOCKS)
        buf.setAt(tc, "u16", buf.getAt(tc, "u16") - 1)
        const frees = buf[H_FREES]
        if (frees < 255) buf[H_FREES] = frees + 1
        else buf.setAt(H_FREES, "u32", buf.getAt(H_FREES, "u32") + 1)
    }

    // ------------------------------------------------------------------
    // moving an object

    /**
     * Moves `h`'s object to a new run of `len` payload bytes (>= its own),
     * placed long-lived or not; its handle stays the same. `item` stays alive
     * through any collection the allocation runs. With `upOnly`, a new run
     * below the object is given back and the object stays where it is (marked
     * long-lived if `long`). Returns the object's offset.
     */
    protected relocate(h: Handle, len: number, item: Handle, long: boolean, upOnly?: boolean): number {
        const buf = this.buf
        const old = this.head(h)
        const oldLen = buf.getAt(old + O_LEN, "u16")
        // the new run is a plain allocation; it briefly holds a second handle slot
        const tmp = this.alloc(buf[old + O_TYPE], buf[old + O_AUX], len, h, item, long)
        const from = this.head(h) // pinned, so still live; a compaction may have moved it
        const to = this.head(tmp)
        if (upOnly && to < from) {
            if (long) buf.setAt(from + O_SLOT, "u16", buf.getAt(from + O_SLOT, "u16") | OF_LONG)
            this.dropTemp(tmp)
            // the new run is freed by poolgc itself: it counts with the swept, as below
            buf.setAt(H_SWEPT, "u32", buf.getAt(H_SWEPT, "u32") + 1)
            return from
        }
        buf.blitAt(to + OBJ_HEADER, buf, from + OBJ_HEADER, oldLen)
        // swap: the object's slot now points at the new run, the temporary slot at the old one
        const slot = h & 0xfff
        const tslot = tmp & 0xfff
        buf.setAt(this.htab + (slot << 1), "u16", to >> 4)
        buf.setAt(this.htab + (tslot << 1), "u16", from >> 4)
        buf.setAt(to + O_SLOT, "u16", long ? slot | OF_LONG : slot)
        buf.setAt(to + O_GEN, "u16", (h >> HANDLE_SHIFT) & MAX_GEN)
        buf.setAt(from + O_SLOT, "u16", tslot)
        buf.setAt(from + O_GEN, "u16", (tmp >> HANDLE_SHIFT) & MAX_GEN)
        // the moved object keeps its references: during MARK it must be scanned again
        if (buf[H_PHASE] === PHASE_MARK && buf[to] >= T_LIST && ((buf[ATB + ((to >> 4) >> 2)] >> (((to >> 4) & 3) << 1)) & 3) === AT_MARK) pushMark(buf, to >> 4, 0)
        this.dropTemp(tmp)
        // poolgc freed the old run itself: it counts with the swept, not with free()'s releases
        buf.setAt(H_SWEPT, "u32", buf.getAt(H_SWEPT, "u32") + 1)
        return to
    }

    /** Frees relocate()'s temporary handle `tmp`, its auto-root (the last push) first. */
    private dropTemp(tmp: Handle): void {
        const buf = this.buf
        if (buf.getAt(H_DEPTH, "u16") > 0) {
            const sp = buf.getAt(H_SP, "u16") - 1
            buf.setAt(buf.getAt(H_STACK, "u16") + (sp << 2), "u32", 0)
            buf.setAt(H_SP, "u16", sp)
        }
        this.release(tmp)
    }

    // ------------------------------------------------------------------
    // finaliser glue

    /** At the end of a public call: finds the finalisers of objects freed since the last check, and runs them. */
    protected finalise(): void {
        this.finalisers.check(this.buf, this.htab)
        if (this.finalisers.due > 0) this.drain(0)
    }

    /**
     * Runs the due finalisers, at the end of the outermost public call (a
     * finaliser's own calls return from here at once; their frees join the
     * queue this loop drains). `keep`, the object the call returns, is a root
     * meanwhile: a finaliser that allocates may start a collection before the
     * caller could root it.
     */
    protected drain(keep: Handle): void {
        if (this.finalisers.running) return
        this.pinned = keep
        try {
            this.finalisers.run()
        } finally {
            this.pinned = 0
        }
    }

    // ------------------------------------------------------------------
    // handles

    /**
     * Byte offset of the live object named by `h`; throws HandleError for a
     * null, made-up or stale handle. Every access goes through here: the
     * pool's one handle resolution (typed() and dataObject() add a type check
     * to it). The slot-and-generation test is written out again, on purpose,
     * where a stale handle is no error and each reference costs: shade() and
     * the mark loop (collector.ts), and verify.ts, which checks the pool
     * independently of the code it checks. Not a shared function called from
     * here: that call measured +13.5 VM operations an access (step probes,
     * 20 calls: each-getPixel 4,420 -> 4,690, each-push-pop 9,173 -> 10,028).
     */
    protected head(h: Handle): number {
        const m = meter
        m.used = m.used + C_ACCESS
        if (m.used > m.next) m.over(C_ACCESS, "a pool access")
        // an int32 number whose pool id is this pool's (so positive: the id is 1..15)
        // (here and below: separate ifs, a few VM operations fewer than || chains)
        if ((h | 0) !== h) throw this.notOurs(h)
        if (h >> POOL_SHIFT !== this.id) throw this.notOurs(h)
        const slot = h & 0xfff
        if (slot >= this.hcap) throw new HandleError("not a handle: " + h + " (slot " + slot + "; this pool has " + this.hcap + " handle slots)")
        const buf = this.buf
        const e = buf.getAt(this.htab + (slot << 1), "u16")
        if (e & SLOT_FREE) throw this.stale(h)
        if (buf.getAt((e << 4) + O_GEN, "u16") !== ((h >> HANDLE_SHIFT) & MAX_GEN)) throw this.stale(h)
        // During a sweep, an unmarked head not yet swept is garbage already: it was
        // unreachable when marking ended, and so is everything it references, which
        // the sweep may have freed. Reviving it would revive a damaged graph.
        // A phantom view's (dry) sweep frees nothing: its unmarked heads stay live.
        if (buf[H_PHASE] === PHASE_SWEEP)
            if (e >= buf.getAt(H_CURSOR, "u16") && ((buf[ATB + (e >> 2)] >> ((e & 3) << 1)) & 3) === AT_HEAD && (buf[H_FLAGS] & F_DRY) === 0)
                throw new HandleError("stale handle " + h + ": its object was unreachable when this collection marked, and is being freed")
        return e << 4
    }

    /** The HandleError for `h`, whose slot is free or holds another generation. */
    private stale(h: Handle): HandleError {
        if (((h >> HANDLE_SHIFT) & MAX_GEN) === 0) return new HandleError("not a handle: " + h + " (generation 0)")
        return new HandleError("stale handle " + h + ": its object was freed")
    }

    /** The HandleError for `h`, which is not an int32 number with this pool's id. */
    private notOurs(h: Handle): HandleError {
        if (!isInt(h) || h <= 0) return new HandleError("not a handle: " + h)
        const id = h >> POOL_SHIFT
        if (id === 0) return new HandleError("not a handle: " + h + " (no pool id: a handle of pool " + this.id + " is at least " + this.hid + ")")
        return new HandleError("handle of another pool: " + h + " (pool id " + id + "; this pool's is " + this.id + ")")
    }

    /** Offset of `h`'s object after checking its type. */
    protected typed(h: Handle, type: number): number {
        const off = this.head(h)
        const t = this.buf[off]
        if (t !== type) throw new HandleError("expected a " + TYPE_NAMES[type] + ", handle " + h + " is a " + TYPE_NAMES[t])
        return off
    }

    /** Offset of a bytes or string object (what readBytes() and readInto() read). */
    protected dataObject(h: Handle): number {
        const off = this.head(h)
        const t = this.buf[off]
        if (t !== T_BYTES && t !== T_STRING) throw new HandleError("expected bytes or a string, handle " + h + " is a " + TYPE_NAMES[t])
        return off
    }

    /** True if `h` names a live object. */
    isLive(h: Handle): boolean {
        try {
            this.head(h)
            return true
        } catch (e) {
            if (e instanceof StepLimitError) throw e
            return false
        }
    }

    /** Byte offset of the object's head block in the pool (what the map shows). */
    offsetOf(h: Handle): number {
        return this.head(h)
    }

    /**
     * The pool's own arrays, for heapDump() and whyAlive() (heapdump.ts,
     * whyalive.ts): the named roots' names by slot (null: a free slot) and
     * the record kinds by id - 1. Read them; never change them.
     */
    graphNames(): [string[], RecordKind[]] {
        charge(C_CALL, "graphNames()")
        return [this.rootNames, this.kinds]
    }

    /** Blocks the object occupies, header included. */
    blocksOf(h: Handle): number {
        return (this.buf.getAt(this.head(h) + O_LEN, "u16") + OBJ_HEADER + BLOCK - 1) >> 4
    }

    /** Payload bytes of the object (after its 8-byte header). */
    sizeOf(h: Handle): number {
        return this.buf.getAt(this.head(h) + O_LEN, "u16")
    }

    // ------------------------------------------------------------------
    // roots

    /** Makes `h` a named root: it and everything it references stay alive. */
    setRoot(name: string, h: Handle): void {
        charge(C_ACCESS, "setRoot()")
        if (typeof name !== "string" || name.length === 0) throw new ArgumentError("root name must be a non-empty string")
        this.head(h)
        let i = this.rootNames.indexOf(name)
        if (i < 0) {
            i = this.rootNames.indexOf(null)
            if (i < 0) i = this.rootNames.length
            if (i >= this.buf.getAt(H_NCAP, "u16")) throw new MemoryError("all " + i + " named roots are in use (raise namedRoots)")
            this.rootNames[i] = name
        }
        this.buf.setAt(this.buf.getAt(H_NAMED, "u16") + (i << 2), "u32", h)
        shade(this.buf, h)
    }

    /** The handle held by named root `name`. */
    getRoot(name: string): Handle {
        charge(C_ACCESS, "getRoot()")
        const i = this.rootNames.indexOf(name)
        if (i < 0) throw new ArgumentError("no root named " + name)
        return this.buf.getAt(this.buf.getAt(H_NAMED, "u16") + (i << 2), "u32")
    }

    /** True if a root named `name` is set. */
    hasRoot(name: string): boolean {
        charge(C_ACCESS, "hasRoot()")
        return this.rootNames.indexOf(name) >= 0
    }

    /** Removes named root `name` (Python's `del`): its object may become a phantom. */
    delRoot(name: string): void {
        charge(C_ACCESS, "delRoot()")
        const i = this.rootNames.indexOf(name)
        if (i < 0) throw new ArgumentError("no root named " + name)
        this.rootNames[i] = null
        this.buf.setAt(this.buf.getAt(H_NAMED, "u16") + (i << 2), "u32", 0)
    }

    /**
     * Opens a scope: until the matching leave(), every new object is kept on
     * the root stack. Returns the mark to pass to leave(). At most 65,535
     * scopes are open at once (H_DEPTH is a u16: Node would wrap it to 0, the
     * VM would stick at 65,535), then MemoryError.
     */
    enter(): number {
        charge(C_CALL, "enter()")
        const buf = this.buf
        const depth = buf.getAt(H_DEPTH, "u16")
        if (depth >= 0xffff) throw new MemoryError("too many open scopes (65535): every enter() needs its leave()")
        buf.setAt(H_DEPTH, "u16", depth + 1)
        return buf.getAt(H_SP, "u16")
    }

    /** Closes the scope opened by the enter() that returned `mark`, unrooting its temporaries. */
    leave(mark: number): void {
        charge(C_CALL, "leave()")
        const buf = this.buf
        const depth = buf.getAt(H_DEPTH, "u16")
        if (depth === 0) throw new ArgumentError("leave() without enter()")
        intArg(mark, "scope mark", 0, buf.getAt(H_SP, "u16"))
        buf.fillAt(buf.getAt(H_STACK, "u16") + (mark << 2), (buf.getAt(H_SP, "u16") - mark) << 2, 0)
        buf.setAt(H_SP, "u16", mark)
        buf.setAt(H_DEPTH, "u16", depth - 1)
    }

    /** Roots `h` on the root stack until the current scope closes. Returns `h`. */
    keep<H extends Handle>(h: H): H {
        this.head(h)
        const buf = this.buf
        if (buf.getAt(H_DEPTH, "u16") === 0) throw new ArgumentError("keep() needs an open scope: call enter() first")
        if (buf.getAt(H_SP, "u16") >= buf.getAt(H_SCAP, "u16")) throw new MemoryError("root stack full (" + buf.getAt(H_SCAP, "u16") + " temporaries)")
        this.pushRoot(h)
        return h
    }

    private pushRoot(h: Handle): void {
        const buf = this.buf
        const sp = buf.getAt(H_SP, "u16")
        buf.setAt(buf.getAt(H_STACK, "u16") + (sp << 2), "u32", h)
        buf.setAt(H_SP, "u16", sp + 1)
        shade(buf, h)
    }

    // ------------------------------------------------------------------
    // collection and compaction

    /** The collector's phase (a call: the compiler would narrow a repeated read of the byte). */
    protected phase(): number {
        return this.buf[H_PHASE]
    }

    /** Starts a collection (if none is in progress) whose roots include the object a finaliser drain keeps. */
    private start(): void {
        const buf = this.buf
        if (buf[H_PHASE] !== PHASE_IDLE) return
        // (a new collection: whatever a refused allocation was owed is in it)
        this.forgive()
        startCycle(buf)
        if (this.pinned !== 0) shade(buf, this.pinned)
    }

    /**
     * One collection (or compaction) step of at most `budget` units, and at
     * most what the meter has left, keeping `reserveOps` for what the caller
     * does after it; none at all when nothing is left (returns false). The
     * work done is charged to the meter.
     */
    protected runStep(budget: number, reserveOps: number): boolean {
        return this.runUnits(budget, meter.units(budget, reserveOps + C_STEP, GC_UNIT_OPS))
    }

    /**
     * runStep() with the meter already asked: `units` (at most `budget`) is
     * what it granted, and nothing was charged since.
     */
    private runUnits(budget: number, units: number): boolean {
        this.clamped = units < budget
        if (units <= 0) return false
        const t0 = now()
        const done = this.meteredStep(units, this.dumping)
        const ms = now() - t0
        this.gcMs += ms
        if (done) this.pauseMs = ms
        this.finalisers.check(this.buf, this.htab)
        return done
    }

    /**
     * A step of an asynchronous operation, which runs right after one of its
     * own suspensions: a budget's work, or what the meter has left (after a
     * suspension it is below ARM_AT: room for thousands of units), charged.
     * Not timed, and the finalisers are looked for by the operation itself.
     */
    protected asyncStep(seen: Dump): boolean {
        return this.meteredStep(meter.units(this.budget, C_STEP, GC_UNIT_OPS), seen)
    }

    /** The step itself, `units` of work at most, and its charge: the fixed part and the units it did. */
    private meteredStep(units: number, seen: Dump): boolean {
        const buf = this.buf
        const work0 = buf.getAt(H_GCWORK, "u32")
        const done = step(buf, units, seen)
        meter.spent(C_STEP + (buf.getAt(H_GCWORK, "u32") - work0) * GC_UNIT_OPS)
        return done
    }

    /**
     * The units a public step of `budget` gets (what the meter has left,
     * keeping C_CALL for the call's return), for its first runUnits();
     * throws StepLimitError when that is fewer than MIN_STEP (or `budget`,
     * if smaller): a public step that can do nothing would leave a caller's
     * `while (!collect())` spinning.
     */
    private roomToStep(budget: number, what: string): number {
        const units = meter.units(budget, C_STEP + C_CALL, GC_UNIT_OPS)
        const want = budget < MIN_STEP ? budget : MIN_STEP
        if (units < want) throw meter.refusal(what, C_STEP + want * GC_UNIT_OPS)
        return units
    }

    /**
     * Collects now (MicroPython's gc.collect()): finishes the collection in
     * progress, if any (it marked from the roots of its start, so it may keep
     * what was dropped since), then runs a new one, which marks from the roots
     * as they are now and frees every object unreachable from them. All of it
     * within the pool's budget, so it never trips the VM's step limit. Returns
     * true only when that new collection completed: every object unreachable
     * at the call is freed. False: the budget ran out first; the collection
     * stays in progress (allocations and collectStep() advance it; a later
     * collect() finishes it and starts another); on a heap whose collection
     * outgrows the budget, await collectAsync() instead.
     */
    collect(): boolean {
        if (this.asyncRunning) return false
        const units = this.roomToStep(this.budget, "collect()")
        const buf = this.buf
        let left = this.budget
        let done = true
        if (buf[H_PHASE] !== PHASE_IDLE) {
            const work0 = buf.getAt(H_GCWORK, "u32")
            done = this.runUnits(left, units)
            left -= buf.getAt(H_GCWORK, "u32") - work0
            // (the new collection's step asks the meter again: this one was charged)
            if (done && left > 0) {
                this.start()
                done = this.runStep(left, C_CALL)
            } else done = false
        } else {
            this.start()
            done = this.runUnits(left, units)
        }
        this.finalise()
        return done
    }

    /**
     * Collects and then compacts: slides every live object down (long-lived
     * ones up, see longLived()) so the free space becomes one run. Bounded
     * like collect(): true when done, false when still in progress (call
     * again, or await compactAsync()). Handles stay valid; offsets change.
     * With `collect` false it only compacts and frees nothing: for programs
     * that release objects with free() and never root them.
     */
    compact(collect?: boolean): boolean {
        boolArg(collect, "compact's collect")
        if (this.asyncRunning) return false
        const units = this.roomToStep(this.budget, "compact()")
        this.requestCompaction(collect !== false)
        const done = this.runUnits(this.budget, units)
        this.finalise()
        return done
    }

    /**
     * compact(), spread over VM slices as collectAsync() does: a collection
     * in progress is finished first, then a new one (with `collect` false,
     * none) ends with a compaction. Always completes; suspends before its
     * first step and after its last.
     */
    async compactAsync(collect?: boolean): Promise<void> {
        boolArg(collect, "compactAsync's collect")
        while (this.asyncRunning) await pause()
        await this.runAsync(collect === false ? ASYNC_COMPACT : ASYNC_COLLECT_COMPACT)
    }

    /**
     * The body of collectAsync() and compactAsync(), a budget a slice: in a
     * fresh slice, finishes whatever is in progress (it started before the
     * call), then, in the next, starts what `mode` says and steps it to the
     * end; then suspends once more, so the caller (a retry of the allocation
     * that failed) gets a slice of its own. Finalisers run last.
     */
    private async runAsync(mode: number): Promise<void> {
        const buf = this.buf
        this.asyncRunning = true
        try {
            await pause()
            const t0 = now()
            const gcMs0 = this.gcMs
            // (the program runs between these slices and may start a collection: wait until one ends)
            while (this.phase() !== PHASE_IDLE) {
                this.runStep(this.budget, C_CALL)
                await pause()
            }
            if (mode === ASYNC_COLLECT) this.start()
            else this.requestCompaction(mode === ASYNC_COLLECT_COMPACT)
            while (!this.runStep(this.budget, C_CALL)) await pause()
            // every object the collection freed is found before this resolves (a walk a slice)
            while (this.finalisers.pending) {
                await pause()
                this.finalisers.check(buf, this.htab)
            }
            this.pauseMs = now() - t0
            // (the wall time, other fibers' slices included: the VM's clock stands still within a slice)
            this.gcMs = gcMs0 + this.pauseMs
            await pause()
        } finally {
            this.asyncRunning = false
        }
        this.finalise()
        // more due than one drain runs: the rest, a drain a slice
        while (this.finalisers.due > 0 && !this.finalisers.running) {
            await pause()
            this.drain(0)
        }
    }

    /**
     * Makes the collection in progress (or, with `collect`, a new one) end
     * with a compaction; without `collect` and with none in progress, starts
     * a compaction alone. Nothing if a compaction is already running.
     */
    private requestCompaction(collect: boolean): void {
        const buf = this.buf
        const phase = buf[H_PHASE]
        if (phase >= PHASE_COMPACT) return
        if (phase === PHASE_IDLE && !collect) {
            startCompaction(buf)
            return
        }
        buf[H_FLAGS] |= F_COMPACT
        this.start()
    }

    /**
     * Whether an allocation that fails for fragmentation alone compacts and
     * tries again (default on). With an argument, sets it; returns the setting.
     */
    autoCompact(on?: boolean): boolean {
        charge(C_CALL, "autoCompact()")
        return this.flag(F_AUTOCOMPACT, on, "autoCompact")
    }

    /** Sets (true) or clears (false) flag `bit` when `on` is given; returns whether it is set. */
    protected flag(bit: number, on: boolean, name: string): boolean {
        if (on === true) this.buf[H_FLAGS] |= bit
        else if (on === false) this.buf[H_FLAGS] &= ~bit
        else if (on !== undefined) throw new ArgumentError(name + " takes true or false, got " + on)
        return (this.buf[H_FLAGS] & bit) !== 0
    }

    /**
     * Collects completely, suspending between slices of at most the budget so
     * other fibers run and the VM's step counter restarts: finishes the
     * collection in progress, then runs a new one to its end, so every object
     * unreachable at the call is freed when it resolves. It suspends before
     * its first step (it is called right after a failed allocation, which may
     * have used most of the slice already) and after its last (the retry
     * that follows gets a slice of its own). A second call waits for the
     * first, then runs its own.
     */
    async collectAsync(): Promise<void> {
        while (this.asyncRunning) await pause()
        await this.runAsync(ASYNC_COLLECT)
    }

    /**
     * Does at most `budget` work units of collection, starting a collection if
     * none is in progress. Returns true when the collection has completed.
     * For programs that pace the collector themselves, e.g. once a frame.
     */
    collectStep(budget: number): boolean {
        intArg(budget, "budget", 1, 1000000)
        if (this.asyncRunning) return false
        const units = this.roomToStep(budget, "collectStep()")
        this.start()
        const done = this.runUnits(budget, units)
        this.finalise()
        return done
    }

    /** Re-enables automatic collection (gc.enable()). */
    enable(): void {
        charge(C_CALL, "enable()")
        this.buf[H_FLAGS] |= F_AUTO
    }

    /** Disables automatic collection; collect() still works (gc.disable()). */
    disable(): void {
        charge(C_CALL, "disable()")
        this.buf[H_FLAGS] &= ~F_AUTO
    }

    /** True when automatic collection is on. */
    isEnabled(): boolean {
        charge(C_CALL, "isEnabled()")
        return (this.buf[H_FLAGS] & F_AUTO) !== 0
    }

    /**
     * gc.threshold: with `bytes` > 0, a collection starts at the first
     * allocation after that many bytes were allocated since the last one (or
     * since this call, whichever is later: bytes are counted only while a
     * threshold is set, which keeps the count off the allocation path
     * otherwise); 0 turns it off (the default). Without an argument, returns
     * the setting.
     */
    threshold(bytes?: number): number {
        charge(C_CALL, "threshold()")
        if (bytes !== undefined) {
            this.buf.setAt(H_THRESH, "u32", intArg(bytes, "threshold", 0, MAX_POOL))
            // bytes are counted only while a threshold is set: from now, or from the next collection
            this.buf.setAt(H_SINCE, "u32", 0)
        }
        return this.buf.getAt(H_THRESH, "u32")
    }

    /** Bytes free (gc.mem_free()). */
    memFree(): number {
        charge(C_CALL, "memFree()")
        return this.buf.getAt(H_FREE, "u16") << 4
    }

    /** Bytes allocated, pool metadata included (gc.mem_alloc()). */
    memAlloc(): number {
        return this.size - this.memFree()
    }
}
