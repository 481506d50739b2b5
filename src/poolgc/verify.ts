/**
 * verify(): checks every invariant of a pool's bytes and throws a
 * CorruptionError naming the FIRST violation (block, slot or header field,
 * expected against found). For tests, for a program that suspects damage, and
 * for the monitor's users: `pool.verify()` after a crash-prone section.
 *
 * What is checked, in this order (each stage trusts what the earlier ones
 * proved):
 * 0. header: magic, the table layout recomputed from the sizes, capacities,
 *    pointers within capacity (H_SP <= H_SCAP, H_MSP <= H_MCAP, H_MSP = 0 and
 *    no F_OVERFLOW/F_RESCAN outside MARK, H_CURSOR within the pool when a
 *    sweep or rescan uses it), hints in range, H_MINFREE <= H_FREE,
 *    H_ALLOCS - H_FREES (objects live) <= handles, H_SWEPT <= H_FREES, F_DRY only in a
 *    dry cycle, a compaction's cursors in order, reserved bytes zero; the metadata run in the
 *    ATB (block 0 HEAD, the rest TAIL) and the zero gap before the first data block.
 * 1. allocation table against object headers: no TAIL without its head, no
 *    MARK while idle (nor below the cursor during SWEEP), every head has a
 *    valid type, aux and length for its type, its tails follow and it fits in
 *    the pool, its slot maps back to it, its generation is 1..MAX_GEN; the
 *    free blocks counted = H_FREE, none below H_HINT; the heads counted = H_ALLOCS - H_FREES;
 *    objects and blocks counted by type = H_TCOUNT / H_TBLOCKS; no object in
 *    a compaction pass's free gap.
 * 2. handle table against heads: every live slot names a head whose header
 *    names the slot back; live slots = heads.
 * 3. roots and the mark stack: named roots and the root stack hold 0 or
 *    well-formed handles, root-stack slots above H_SP are 0, a named slot in
 *    use has a name (when the pool passes its names); during MARK (and HOLD) every live
 *    root is marked, during SWEEP every live root the sweep has not reached
 *    is; each mark-stack entry is 0 (dropped) or a marked head holding
 *    references, its resume index within its capacity.
 * 4. references in lists and records: each is 0, or a handle of this pool's
 *    shape (its pool id, slot < capacity, generation 1..MAX_GEN); one that still resolves
 *    names a live head; list items past the count are 0; during SWEEP a
 *    surviving object never references an unmarked object the sweep has not
 *    reached (it would be freed while reachable), and during MARK with no
 *    overflow pending, a marked object off the mark stack (scanned: black)
 *    never references an unmarked one (the write barrier's invariant).
 * 5. the row summary (allocator.ts) against the ATB, row by row: the free
 *    blocks at each row's start and end exact, its inner figure at least the
 *    longest free run inside the row and at most the row's length.
 *
 * A stale reference (a slot since freed or reused) is legal: free() releases
 * an object whatever references it, and the generation check makes the stale
 * handle harmless.
 *
 * The VM: the work units are weighted so that each costs the VM about the
 * same, whatever it checks (about 31 operations at most, measured with
 * tools/step-probe.mjs verify-*): 1 per two free table bytes (a tight loop),
 * 1 per free block or free handle slot, 8 per object (and 1 per 4 of its blocks), 3 per live handle
 * slot, 2 per root slot, 12 per root that holds a reference (a ref() call),
 * 4 per reference an object holds (checked inline), 16 per row of the row
 * summary.
 * Pool.verify() spends at most VERIFY_MAX_UNITS at once. Verifier.run(units) stops after
 * about `units` and resumes where it stopped, so Pool.verifyAsync() can
 * suspend between slices, while other fibers allocate, free, collect,
 * compact and set roots. A run notices a change by a stamp of the header's
 * counters and pointers (allocations, frees, collector work, phase, flags,
 * cursors, stack pointers, free blocks, compactions). When nothing changed
 * the check is of one instant, as verify()'s. When something did:
 * - every check of one item (an object's header, tails, shape, slot and
 *   generation; a slot's entry; a root; a mark-stack entry; a reference,
 *   against the marks and grey set of its run; a row of the row summary) is
 *   true at the instant of its run, so nothing done is undone: the stage
 *   goes on at a safe place (resume(): a block that became a tail steps
 *   back to its head; stage 4 keeps its place in an object still there,
 *   each reference being an item of its own);
 * - the grey set is built again from the mark stack in every stage-4 run
 *   after a change (greySet());
 * - the counts of stage 1 (free blocks = H_FREE, heads = H_ALLOCS -
 *   H_FREES, per type = H_TCOUNT / H_TBLOCKS) or 2 (live slots = heads) mix
 *   instants: not compared; instead censuses are owed, each taken whole in
 *   one run (stage 6) against the header's counters of that instant, which
 *   agree with the bytes between any two public calls: the ATB's free blocks
 *   and heads; the objects of each type and the live slots; the blocks of
 *   each type (the last two walk the handle table, one step an object). One census a run (at the
 *   start of a run, whatever its units: censusUnits(), at most 2,320 at
 *   32 KiB: 92,800 VM ops charged, 91,044 measured), as all three would
 *   not fit one slice.
 * So a damage that stays in place for the whole check is found, and a sound
 * pool is never reported corrupt. What is not guaranteed under change: an
 * object that a compaction moves from ahead of the check to behind it
 * between two runs is not checked in this pass (it is where it was checked
 * if it moved the other way: checked twice); a damage that moves, or that
 * the program repairs or frees, may or may not be reported.
 */
import { ATB, rowRuns } from "./allocator"
import { CorruptionError } from "./errors"
import {
    AT_FREE,
    AT_HEAD,
    AT_MARK,
    AT_TAIL,
    BM_BPP,
    BM_DATA,
    BM_HEIGHT,
    BM_STRIDE,
    BM_WIDTH,
    F_AUTO,
    F_AUTOCOMPACT,
    F_COMPACT,
    F_DRY,
    F_LONG,
    F_OVERFLOW,
    F_POISON,
    F_RESCAN,
    H_ALLOCS,
    H_COLLECTIONS,
    H_COMPACTIONS,
    H_CTO,
    H_CURSOR,
    H_DATA,
    H_DEPTH,
    H_FLAGS,
    H_FREE,
    H_FREES,
    H_HCAP,
    H_HHINT,
    H_POOLID,
    H_HINT,
    H_HTAB,
    H_MAGIC,
    H_MCAP,
    H_MINFREE,
    H_MSP,
    H_MSTACK,
    H_NAMED,
    H_NBLOCKS,
    H_NCAP,
    H_PHASE,
    H_SCAP,
    H_SP,
    H_SPARE,
    H_STACK,
    H_SWEPT,
    H_TBLOCKS,
    H_TCOUNT,
    H_THRESH,
    H_WORK,
    HEADER_BYTES,
    LIST_COUNT,
    LIST_ITEMS,
    MAGIC,
    MAX_GEN,
    MAX_POOL_ID,
    MAX_HANDLES,
    MAX_POOL,
    OBJ_HEADER,
    O_AUX,
    O_GEN,
    O_LEN,
    O_SLOT,
    OF_LONG,
    OF_SLOT,
    PHASE_COMPACT,
    PHASE_HOLD,
    PHASE_IDLE,
    PHASE_LIFT,
    PHASE_MARK,
    PHASE_SWEEP,
    POOL_SHIFT,
    SLOT_FREE,
    T_BITMAP,
    T_BYTES,
    T_LIST,
    T_MAX,
    T_NUMBER,
    T_RECORD,
    T_STRING,
    metaLayout,
    ROW_BLOCKS,
    ROW_ENTRY,
    ROW_SHIFT,
    RS_INNER,
    RS_LEAD,
    RS_TRAIL,
    rowTable,
} from "./layout"

const CODE_NAMES = ["FREE", "HEAD", "TAIL", "MARK"]

/** A census owed: the ATB's free blocks and heads. */
const CENSUS_ATB = 1
/** A census owed: the objects of each type and the live slots, from the handle table. */
const CENSUS_TYPES = 2
/** A census owed: the blocks of each type, from the handle table. */
const CENSUS_BLOCKS = 4
/** Units a census costs besides its loop (the comparisons with the header). */
const CENSUS_BASE = 16
/** An ATB census costs a unit per 2^CENSUS_ATB_SHIFT data blocks (tools/step-probe.mjs verify-census-atb). */
const CENSUS_ATB_SHIFT = 2
/** A type census costs CENSUS_TYPES_EIGHTHS / 8 units a handle slot (tools/step-probe.mjs verify-census-types). */
const CENSUS_TYPES_EIGHTHS = 8
/** A block census costs CENSUS_BLOCKS_EIGHTHS / 8 units a handle slot (tools/step-probe.mjs verify-census-blocks). */
const CENSUS_BLOCKS_EIGHTHS = 9
/** Units the program's first ATB census spends building the lookup tables (FREES, HEADS). */
const CENSUS_TABLES = 200

/** Free blocks (FREES) and heads, HEAD or MARK (HEADS), in an ATB byte, by its value: built at the first census. */
let FREES: Buffer = null
let HEADS: Buffer = null

function codeTables(): void {
    const frees = Buffer.alloc(256)
    const heads = Buffer.alloc(256)
    // x >> 2 drops x's lowest code and adds a FREE on top: count that one out, the lowest in
    frees[0] = 4
    for (let x = 1; x < 256; x++) {
        frees[x] = frees[x >> 2] - 1 + ((x & 3) === 0 ? 1 : 0)
        heads[x] = heads[x >> 2] + (x & 1) // HEAD 01 and MARK 11
    }
    FREES = frees
    HEADS = heads
}
const WHERE = ["object at block ", "object at block ", "named root slot ", "root stack slot "]

function fail(where: string, what: string, expected: string, found: string): void {
    throw new CorruptionError("pool corrupt: " + where + ": " + what + ": expected " + expected + ", found " + found)
}

/**
 * A resumable check of one pool: run() it until it returns true, in as many
 * slices as needed, whatever the program does to the pool between runs (see
 * the top of this file). `kinds[i]` is the field count of record kind
 * i + 1 (omit to accept any kind id with any multiple-of-4 length); `named[i]`
 * is true when named-root slot i has a name (omit to skip that check).
 */
export class Verifier {
    private readonly buf: Buffer
    private kinds: number[]
    private named: boolean[]
    private stage = 0
    private b = 0
    private k = 0
    private free = 0
    private heads = 0
    /** Objects (even indexes 2t) and blocks (2t + 1) counted by type t. */
    private types: number[] = []
    private stamp: number[] = null
    /** During MARK: a bit a block, set for the blocks on the mark stack (grey). */
    private grey: Buffer = null
    /** `changes` when the grey set was last built from the mark stack (-1: not yet). */
    private greyAt = -1
    /** `changes` when the counting stage in progress (1 or 2) started. */
    private countAt = 0
    /** The censuses owed: CENSUS_ATB, CENSUS_TYPES, CENSUS_BLOCKS (bits). */
    private owed = 0
    /** Times the pool changed between two run() calls of this check (an allocation, a free, a collection step...). */
    changes = 0
    /** Censuses done: counts taken in one run() because the pool changed while stage 1 or 2 counted. */
    censuses = 0

    constructor(buf: Buffer, kinds?: number[], named?: boolean[]) {
        this.buf = buf
        this.kinds = kinds ? kinds : null
        this.named = named ? named : null
    }

    /**
     * The record kinds' field counts and the named-root slots in use as they
     * are now (the program may define a kind or set a root between two runs):
     * what the next run checks against.
     */
    names(kinds: number[], named: boolean[]): void {
        this.kinds = kinds ? kinds : null
        this.named = named ? named : null
    }

    /** What changes whenever an allocation, a free, a collection or compaction step or the write barrier changes the counts, the places or the mark stack. */
    private stampNow(): number[] {
        const buf = this.buf
        return [
            buf.getAt(H_ALLOCS, "u32"),
            buf.getAt(H_FREES, "u32"),
            buf.getAt(H_WORK, "u32"),
            buf.getAt(H_COLLECTIONS, "u32"),
            buf[H_PHASE],
            buf[H_FLAGS],
            buf.getAt(H_CURSOR, "u16"),
            buf.getAt(H_MSP, "u16"),
            buf.getAt(H_SP, "u16"),
            buf.getAt(H_FREE, "u16"),
            buf.getAt(H_CTO, "u16"),
            buf.getAt(H_COMPACTIONS, "u32"),
        ]
    }

    /** The work units the last run() did (at least; the stage it ended in is not counted). */
    lastWork = 0

    /**
     * Whether the next run() is a census: one that must have the census's
     * units (censusUnits()) whatever it is given, as a census is counted at
     * one instant and cannot be split.
     */
    censusDue(): boolean {
        return this.stage === 6 && this.owed !== 0
    }

    /**
     * The units the census owed next costs (the first of ATB, types, slots),
     * or with none owed the most any census of this pool costs.
     */
    censusUnits(): number {
        const buf = this.buf
        const nb = buf.getAt(H_NBLOCKS, "u16")
        const data = buf.getAt(H_DATA, "u16")
        const hcap = buf.getAt(H_HCAP, "u16")
        const owed = this.owed
        const atb = CENSUS_BASE + ((nb - data) >> CENSUS_ATB_SHIFT) + (FREES === null ? CENSUS_TABLES : 0)
        const types = CENSUS_BASE + ((hcap * CENSUS_TYPES_EIGHTHS) >> 3)
        const blocks = CENSUS_BASE + ((hcap * CENSUS_BLOCKS_EIGHTHS) >> 3)
        if ((owed & CENSUS_ATB) !== 0) return atb
        if ((owed & CENSUS_TYPES) !== 0) return types
        if ((owed & CENSUS_BLOCKS) !== 0) return blocks
        const most = atb + CENSUS_TABLES > types ? atb + CENSUS_TABLES : types
        return most > blocks ? most : blocks
    }

    /**
     * Checks for about `units` work units (one a block, slot, reference or
     * root). Returns true when the whole check has passed; throws
     * CorruptionError at the first violation. A census (censusDue()) takes
     * the run whole, whatever `units` is, and only at the start of a run.
     */
    run(units: number): boolean {
        if (this.stage > 0) {
            const now = this.stampNow()
            const was = this.stamp
            for (let i = 0; i < now.length; i++) {
                if (now[i] !== was[i]) {
                    this.changes++
                    this.resume()
                    break
                }
            }
        }
        let work = 0
        this.lastWork = 0
        while (work < units) {
            this.lastWork = work
            const stage = this.stage
            if (stage === 0) {
                work += this.header()
                this.stage = 1
                this.b = this.buf.getAt(H_DATA, "u16")
                this.free = 0
                this.heads = 0
                this.types = []
                for (let i = 0; i < (T_MAX + 1) * 2; i++) this.types.push(0)
                this.countAt = this.changes
            } else if (stage === 1) work += this.blocks(units - work)
            else if (stage === 2) work += this.slots(units - work)
            else if (stage === 3) work += this.roots(units - work)
            else if (stage === 4) work += this.refs(units - work)
            else if (stage === 5) work += this.rows(units - work)
            else if (stage === 6 && this.owed !== 0) {
                // a census only at the start of a run: it has the run's whole share
                if (work > 0) break
                work += this.census()
                break
            } else {
                this.stage = 7
                break
            }
        }
        this.lastWork = work
        this.stamp = this.stampNow()
        return this.stage === 7
    }

    /**
     * The pool changed since the last run: where the check goes on. Each
     * per-item check holds at the instant of its run, so nothing done is
     * undone; only the places move. A block the stage stopped at may now be
     * a tail of an object allocated or moved since: the stage steps back to
     * its head (an orphan tail stays, for stage 1 to report). During stage
     * 4, an object whose references are checked in part goes on at its next
     * reference if it is still a head (each reference is checked against
     * the marks of its own run, and a list longer than a slice would never
     * be finished if it started again at every change). The counts of stage
     * 1 or 2 now mix instants: that stage ends without comparing them and
     * owes a census instead (counts of one run against the header).
     */
    private resume(): void {
        const stage = this.stage
        if (stage === 1 || stage === 4) {
            const buf = this.buf
            const nb = buf.getAt(H_NBLOCKS, "u16")
            const data = buf.getAt(H_DATA, "u16")
            let b = this.b
            if (b < nb && this.code(b) === AT_TAIL) {
                let j = b - 1
                while (j >= data && this.code(j) === AT_TAIL) {
                    // (whole table bytes of tails at a time)
                    if ((j & 3) === 3 && j - 3 >= data && buf[ATB + (j >> 2)] === 0xaa) j -= 4
                    else j--
                }
                const c = j >= data ? this.code(j) : AT_FREE
                b = c === AT_HEAD || c === AT_MARK ? j : j + 1
                this.b = b
                this.k = 0
            } else if (b < nb && this.code(b) === AT_FREE) this.k = 0
        }
    }

    private code(blk: number): number {
        return (this.buf[ATB + (blk >> 2)] >> ((blk & 3) << 1)) & 3
    }

    /** Stage 0: the header, the metadata run and its padding. */
    private header(): number {
        const buf = this.buf
        if (buf.getAt(H_MAGIC, "u32") !== MAGIC) fail("header", "H_MAGIC", "" + MAGIC, "" + buf.getAt(H_MAGIC, "u32"))
        const nb = buf.getAt(H_NBLOCKS, "u16")
        if (nb << 4 !== buf.length) fail("header", "H_NBLOCKS", "" + (buf.length >> 4), "" + nb)
        if (buf.getAt(8, "u16") !== ATB) fail("header", "H_ATB", "" + ATB, "" + buf.getAt(8, "u16"))
        const hcap = buf.getAt(H_HCAP, "u16")
        const ncap = buf.getAt(H_NCAP, "u16")
        const scap = buf.getAt(H_SCAP, "u16")
        const mcap = buf.getAt(H_MCAP, "u16")
        const maxH = nb < MAX_HANDLES ? nb : MAX_HANDLES
        if (hcap < 1 || hcap > maxH) fail("header", "H_HCAP", "1.." + maxH, "" + hcap)
        if (ncap < 1 || ncap > 64) fail("header", "H_NCAP", "1..64", "" + ncap)
        if (scap < 1 || scap > 256) fail("header", "H_SCAP", "1..256", "" + scap)
        if (mcap < 4 || mcap > 256) fail("header", "H_MCAP", "4..256", "" + mcap)
        const layout = metaLayout(nb, hcap, ncap, scap, mcap)
        const htab = layout[0]
        const named = layout[1]
        const stack = layout[2]
        const mstack = layout[3]
        const data = layout[4]
        if (buf.getAt(H_HTAB, "u16") !== htab) fail("header", "H_HTAB", "" + htab, "" + buf.getAt(H_HTAB, "u16"))
        if (buf.getAt(H_NAMED, "u16") !== named) fail("header", "H_NAMED", "" + named, "" + buf.getAt(H_NAMED, "u16"))
        if (buf.getAt(H_STACK, "u16") !== stack) fail("header", "H_STACK", "" + stack, "" + buf.getAt(H_STACK, "u16"))
        if (buf.getAt(H_MSTACK, "u16") !== mstack) fail("header", "H_MSTACK", "" + mstack, "" + buf.getAt(H_MSTACK, "u16"))
        if (buf.getAt(H_DATA, "u16") !== data || data >= nb) fail("header", "H_DATA", "" + data, "" + buf.getAt(H_DATA, "u16"))
        const sp = buf.getAt(H_SP, "u16")
        const msp = buf.getAt(H_MSP, "u16")
        if (sp > scap) fail("header", "H_SP (root stack pointer)", "<= " + scap, "" + sp)
        if (msp > mcap) fail("header", "H_MSP (mark stack pointer)", "<= " + mcap, "" + msp)
        const phase = buf[H_PHASE]
        if (phase > PHASE_LIFT) fail("header", "H_PHASE", "0.." + PHASE_LIFT, "" + phase)
        const flags = buf[H_FLAGS]
        if ((flags & ~(F_AUTO | F_OVERFLOW | F_RESCAN | F_DRY | F_COMPACT | F_AUTOCOMPACT | F_LONG | F_POISON)) !== 0) fail("header", "H_FLAGS", "only bits 0-7", "" + flags)
        if ((flags & F_DRY) !== 0 && phase !== PHASE_MARK && phase !== PHASE_HOLD && phase !== PHASE_SWEEP)
            fail("header", "H_FLAGS DRY", "only during a phantom view's MARK, HOLD or SWEEP", "phase " + phase)
        if (phase !== PHASE_MARK) {
            if (msp !== 0) fail("header", "H_MSP outside MARK", "0", "" + msp)
            if ((flags & (F_OVERFLOW | F_RESCAN)) !== 0) fail("header", "H_FLAGS outside MARK", "no OVERFLOW/RESCAN", "" + flags)
        }
        const cursor = buf.getAt(H_CURSOR, "u16")
        if ((phase === PHASE_SWEEP || (phase === PHASE_MARK && (flags & F_RESCAN) !== 0)) && (cursor < data || cursor > nb))
            fail("header", "H_CURSOR", data + ".." + nb, "" + cursor)
        const cto = buf.getAt(H_CTO, "u16")
        if (phase === PHASE_COMPACT && (cto < data || cto > cursor || cursor > nb)) fail("header", "H_CTO <= H_CURSOR during COMPACT", data + " <= to <= from <= " + nb, "to " + cto + ", from " + cursor)
        if (phase === PHASE_LIFT && (cursor < data || cursor > cto || cto > nb)) fail("header", "H_CURSOR <= H_CTO during LIFT", data + " <= from <= to <= " + nb, "from " + cursor + ", to " + cto)
        const free = buf.getAt(H_FREE, "u16")
        if (free > nb - data) fail("header", "H_FREE", "<= " + (nb - data), "" + free)
        // the allocation path reads only the low half of H_THRESH (threshold() keeps it at most MAX_POOL)
        const thresh = buf.getAt(H_THRESH, "u32")
        if (thresh > MAX_POOL) fail("header", "H_THRESH", "<= " + MAX_POOL, "" + thresh)
        if (buf.getAt(H_MINFREE, "u16") > free) fail("header", "H_MINFREE", "<= H_FREE " + free, "" + buf.getAt(H_MINFREE, "u16"))
        const hint = buf.getAt(H_HINT, "u16")
        if (hint < data || hint > nb) fail("header", "H_HINT", data + ".." + nb, "" + hint)
        if (buf.getAt(H_HHINT, "u16") > hcap) fail("header", "H_HHINT", "<= " + hcap, "" + buf.getAt(H_HHINT, "u16"))
        const pid = buf.getAt(H_POOLID, "u16")
        if (pid < 1 || pid > MAX_POOL_ID) fail("header", "H_POOLID", "1.." + MAX_POOL_ID, "" + pid)
        const net = (buf.getAt(H_ALLOCS, "u32") - buf.getAt(H_FREES, "u32")) >>> 0
        if (net > hcap) fail("header", "H_ALLOCS - H_FREES (objects live)", "<= " + hcap + " (handles)", "" + net)
        if (buf.getAt(H_SWEPT, "u32") > buf.getAt(H_FREES, "u32")) fail("header", "H_SWEPT", "<= H_FREES " + buf.getAt(H_FREES, "u32"), "" + buf.getAt(H_SWEPT, "u32"))
        if (buf.getAt(H_DEPTH + 2, "u16") !== 0) fail("header", "reserved bytes 70-71", "0", "" + buf.getAt(H_DEPTH + 2, "u16"))
        if (buf.getAt(H_SPARE, "u32") !== 0) fail("header", "reserved bytes 76-79", "0", "" + buf.getAt(H_SPARE, "u32"))
        if (buf.getAt(H_TBLOCKS, "u16") !== 0) fail("header", "reserved bytes 94-95", "0", "" + buf.getAt(H_TBLOCKS, "u16"))
        for (let i = H_TCOUNT + ((T_MAX + 1) << 1); i < HEADER_BYTES; i++) if (buf[i] !== 0) fail("header", "reserved byte " + i, "0", "" + buf[i])
        // the metadata run: block 0 HEAD, then TAILs (data is a multiple of 4)
        if (buf[ATB] !== 0xa9) fail("block 0", "metadata ATB byte", "169 (HEAD + 3 TAIL)", "" + buf[ATB])
        for (let i = 1; i < data >> 2; i++) if (buf[ATB + i] !== 0xaa) fail("block " + (i << 2), "metadata ATB byte", "170 (4 TAIL)", "" + buf[ATB + i])
        for (let i = mstack + mcap * 4; i < data << 4; i++) if (buf[i] !== 0) fail("metadata padding", "byte " + i, "0", "" + buf[i])
        return 8 + (data >> 2) + ((data << 4) - mstack - mcap * 4)
    }

    /** Stage 1: the allocation table, object by object. */
    private blocks(units: number): number {
        const buf = this.buf
        const nb = buf.getAt(H_NBLOCKS, "u16")
        const hcap = buf.getAt(H_HCAP, "u16")
        const htab = buf.getAt(H_HTAB, "u16")
        const phase = buf[H_PHASE]
        const cursor = buf.getAt(H_CURSOR, "u16")
        const cto = buf.getAt(H_CTO, "u16")
        const hint = buf.getAt(H_HINT, "u16")
        let b = this.b
        let work = 0
        let free = this.free
        while (b < nb && work < units) {
            work++
            if ((b & 3) === 0 && buf[ATB + (b >> 2)] === 0) {
                if (b < hint) fail("block " + b, "free block below H_HINT", "none below " + hint, "FREE")
                // a run of free table bytes, in a tight loop: a unit for two
                const j0 = ATB + (b >> 2)
                const lim = j0 + 1 + ((units - work) << 1)
                const stop = ATB + (nb >> 2) < lim ? ATB + (nb >> 2) : lim
                let j = j0 + 1
                while (j < stop && buf[j] === 0) j++
                free += (j - j0) << 2
                work += (j - j0 - 1) >> 1
                b += (j - j0) << 2
                continue
            }
            const c = this.code(b)
            if (c === AT_FREE) {
                if (b < hint) fail("block " + b, "free block below H_HINT", "none below " + hint, "FREE")
                free++
                b++
                continue
            }
            if (c === AT_TAIL) fail("block " + b, "ATB code", "HEAD or FREE (a TAIL must follow its head)", "TAIL")
            if (c === AT_MARK) {
                if (phase === PHASE_IDLE || phase >= PHASE_COMPACT) fail("block " + b, "ATB code while no collection runs", "HEAD", "MARK")
                if (phase === PHASE_SWEEP && b < cursor) fail("block " + b, "ATB code below the sweep cursor " + cursor, "HEAD", "MARK")
            }
            if ((phase === PHASE_COMPACT && b >= cto && b < cursor) || (phase === PHASE_LIFT && b >= cursor && b < cto))
                fail("object at block " + b, "place during compaction", "outside the pass's free gap " + (phase === PHASE_COMPACT ? cto + ".." + cursor : cursor + ".." + cto), "inside")
            const off = b << 4
            const type = buf[off]
            if (type < 1 || type > T_MAX) fail("object at block " + b, "type", "1.." + T_MAX, "" + type)
            const aux = buf[off + O_AUX]
            const len = buf.getAt(off + O_LEN, "u16")
            this.shape(b, off, type, aux, len)
            const n = (len + OBJ_HEADER + 15) >> 4
            if (b + n > nb) fail("object at block " + b, "size", "<= " + (nb - b) + " blocks (the end of the pool)", n + " blocks")
            // the tails, a whole ATB byte (4 TAILs: 0xaa) at a time where they fill one
            let t = 1
            while (t < n) {
                const bt = b + t
                if ((bt & 3) === 0 && t + 4 <= n && buf[ATB + (bt >> 2)] === 0xaa) {
                    t += 4
                    continue
                }
                const ct = this.code(bt)
                if (ct !== AT_TAIL) fail("object at block " + b, "ATB code of block " + bt + " (its tail " + t + " of " + (n - 1) + ")", "TAIL", CODE_NAMES[ct])
                t++
            }
            const slotBits = buf.getAt(off + O_SLOT, "u16")
            if ((slotBits & ~(OF_SLOT | OF_LONG)) !== 0) fail("object at block " + b, "O_SLOT bits 12-14", "0", "" + ((slotBits >> 12) & 7))
            const slot = slotBits & OF_SLOT
            if (slot >= hcap) fail("object at block " + b, "O_SLOT", "< " + hcap, "" + slot)
            const e = buf.getAt(htab + (slot << 1), "u16")
            if (e !== b) fail("object at block " + b, "handle table entry of its slot " + slot, "" + b, (e & SLOT_FREE) !== 0 ? "free" : "" + e)
            const gen = buf.getAt(off + O_GEN, "u16")
            if (gen < 1 || gen > MAX_GEN) fail("object at block " + b, "O_GEN", "1.." + MAX_GEN, "" + gen)
            this.heads++
            this.types[type << 1]++
            this.types[(type << 1) + 1] += n
            work += 8 + (n >> 2) // a head and its checks, and its tails a table byte at a time
            b += n
        }
        this.b = b
        this.free = free
        if (b >= nb) {
            // counted at one instant (no change since the stage started): compared now; else a census
            if (this.countAt === this.changes) this.counts(free, this.heads, this.types)
            else this.owed |= CENSUS_ATB | CENSUS_TYPES | CENSUS_BLOCKS
            this.stage = 2
            this.b = 0
            this.k = 0
            this.countAt = this.changes
        }
        return work
    }

    /** The free blocks, heads and per-type counts of one instant against the header's counters. */
    private counts(free: number, heads: number, types: number[]): void {
        const buf = this.buf
        const hfree = buf.getAt(H_FREE, "u16")
        if (free !== hfree) fail("header", "H_FREE", free + " (free blocks counted)", "" + hfree)
        const live = (buf.getAt(H_ALLOCS, "u32") - buf.getAt(H_FREES, "u32")) >>> 0
        if (heads !== live) fail("header", "H_ALLOCS - H_FREES (objects live)", heads + " (objects counted)", "" + live)
        for (let t = 1; t <= T_MAX; t++) {
            const count = buf.getAt(H_TCOUNT + (t << 1), "u16")
            if (count !== types[t << 1]) fail("header", "H_TCOUNT of type " + t, types[t << 1] + " (objects counted)", "" + count)
            const blocks = buf.getAt(H_TBLOCKS + (t << 1), "u16")
            if (blocks !== types[(t << 1) + 1]) fail("header", "H_TBLOCKS of type " + t, types[(t << 1) + 1] + " (blocks counted)", "" + blocks)
        }
    }

    /**
     * Stage 6: a census owed, whole in one run (one instant), against the
     * header's counters: the ATB's free blocks and heads (CENSUS_ATB), the
     * objects of each type and the live slots (CENSUS_TYPES), the blocks of
     * each type (CENSUS_BLOCKS); one a run, as all three would not fit a
     * slice at 32 KiB. Each is complete alone: both sides are of its instant, as the
     * header's counters and the bytes agree between any two public calls.
     */
    private census(): number {
        const buf = this.buf
        const nb = buf.getAt(H_NBLOCKS, "u16")
        const data = buf.getAt(H_DATA, "u16")
        this.censuses++
        if ((this.owed & CENSUS_ATB) !== 0) {
            this.owed &= ~CENSUS_ATB
            // a table byte at a time (data and nb are multiples of 4): its free blocks and heads looked up
            let tables = 0
            if (FREES === null) {
                codeTables()
                tables = CENSUS_TABLES
            }
            const frees = FREES
            const heads = HEADS
            let free = 0
            let live = 0
            const end = ATB + (nb >> 2)
            for (let i = ATB + (data >> 2); i < end; i++) {
                const x = buf[i]
                free += frees[x]
                live += heads[x]
            }
            const hfree = buf.getAt(H_FREE, "u16")
            if (free !== hfree) fail("header", "H_FREE", free + " (free blocks counted)", "" + hfree)
            const net = (buf.getAt(H_ALLOCS, "u32") - buf.getAt(H_FREES, "u32")) >>> 0
            if (live !== net) fail("header", "H_ALLOCS - H_FREES (objects live)", live + " (objects counted)", "" + net)
            return tables + CENSUS_BASE + ((nb - data) >> CENSUS_ATB_SHIFT)
        }
        // the per-type censuses walk the handle table (one entry an object, so
        // one step an object, whatever its size), not the blocks: a walk of the
        // blocks that reads each head's type would not fit a slice at 32 KiB
        const hcap = buf.getAt(H_HCAP, "u16")
        const htab = buf.getAt(H_HTAB, "u16")
        const end = htab + (hcap << 1)
        const counts: number[] = [0, 0, 0, 0, 0, 0, 0, 0]
        if ((this.owed & CENSUS_TYPES) !== 0) {
            // the objects of each type, and the live slots (H_ALLOCS - H_FREES), in a tight loop:
            // (an entry outside the pool reads undefined, and a type above 7 lands in another
            // type's count: damage either way, which stage 2 or 1 names when it stays)
            this.owed &= ~CENSUS_TYPES
            for (let p = htab; p < end; p += 2) {
                const e = buf.getAt(p, "u16")
                if (e < SLOT_FREE) counts[buf[e << 4] & 7]++
            }
            let live = 0
            for (let t = 0; t <= T_MAX; t++) live += counts[t]
            const net = (buf.getAt(H_ALLOCS, "u32") - buf.getAt(H_FREES, "u32")) >>> 0
            if (live !== net) fail("handle table", "live slots", net + " (H_ALLOCS - H_FREES: one an object)", "" + live)
            for (let t = 1; t <= T_MAX; t++) {
                const count = buf.getAt(H_TCOUNT + (t << 1), "u16")
                if (count !== counts[t]) fail("header", "H_TCOUNT of type " + t, counts[t] + " (objects counted)", "" + count)
            }
            return CENSUS_BASE + ((hcap * CENSUS_TYPES_EIGHTHS) >> 3)
        }
        // the blocks of each type
        this.owed &= ~CENSUS_BLOCKS
        for (let p = htab; p < end; p += 2) {
            const e = buf.getAt(p, "u16")
            if (e < SLOT_FREE) {
                const off = e << 4
                counts[buf[off] & 7] += (buf.getAt(off + O_LEN, "u16") + (OBJ_HEADER + 15)) >> 4
            }
        }
        for (let t = 1; t <= T_MAX; t++) {
            const blocks = buf.getAt(H_TBLOCKS + (t << 1), "u16")
            if (blocks !== counts[t]) fail("header", "H_TBLOCKS of type " + t, counts[t] + " (blocks counted)", "" + blocks)
        }
        return CENSUS_BASE + ((hcap * CENSUS_BLOCKS_EIGHTHS) >> 3)
    }

    /** The header fields each type constrains. */
    private shape(b: number, off: number, type: number, aux: number, len: number): void {
        const buf = this.buf
        if (type === T_RECORD) {
            const kinds = this.kinds
            if (kinds !== null) {
                if (aux < 1 || aux > kinds.length) fail("object at block " + b, "record kind id", "1.." + kinds.length, "" + aux)
                if (len !== kinds[aux - 1] << 2) fail("object at block " + b, "O_LEN of a record of kind " + aux, "" + (kinds[aux - 1] << 2), "" + len)
            } else {
                if (aux < 1) fail("object at block " + b, "record kind id", "1..255", "" + aux)
                if (len < 4 || (len & 3) !== 0) fail("object at block " + b, "O_LEN of a record", "a positive multiple of 4", "" + len)
            }
            return
        }
        if (aux !== 0) fail("object at block " + b, "O_AUX of a " + (type === T_LIST ? "list" : "non-record"), "0", "" + aux)
        if (type === T_NUMBER) {
            if (len !== 8) fail("object at block " + b, "O_LEN of a number", "8", "" + len)
        } else if (type === T_LIST) {
            if (len < LIST_ITEMS || ((len - LIST_ITEMS) & 3) !== 0) fail("object at block " + b, "O_LEN of a list", "4 + 4 * capacity", "" + len)
            const count = buf.getAt(off + OBJ_HEADER + LIST_COUNT, "u32")
            if (count > (len - LIST_ITEMS) >> 2) fail("object at block " + b, "list count", "<= capacity " + ((len - LIST_ITEMS) >> 2), "" + count)
        } else if (type === T_BITMAP) {
            if (len < BM_DATA) fail("object at block " + b, "O_LEN of a bitmap", ">= " + BM_DATA, "" + len)
            const p = off + OBJ_HEADER
            const w = buf.getAt(p + BM_WIDTH, "u16")
            const h = buf.getAt(p + BM_HEIGHT, "u16")
            const bpp = buf[p + BM_BPP]
            if (w < 1 || w > 4096 || h < 1 || h > 4096) fail("object at block " + b, "bitmap size", "1..4096 x 1..4096", w + "x" + h)
            if (bpp !== 1 && bpp !== 2 && bpp !== 4 && bpp !== 8) fail("object at block " + b, "bitmap bits per pixel", "1, 2, 4 or 8", "" + bpp)
            if (buf[p + BM_BPP + 1] !== 0) fail("object at block " + b, "bitmap byte 5", "0", "" + buf[p + BM_BPP + 1])
            const stride = (w * bpp + 7) >> 3
            if (buf.getAt(p + BM_STRIDE, "u16") !== stride) fail("object at block " + b, "bitmap stride", "" + stride, "" + buf.getAt(p + BM_STRIDE, "u16"))
            if (len !== BM_DATA + stride * h) fail("object at block " + b, "O_LEN of a bitmap", "" + (BM_DATA + stride * h), "" + len)
        } else if (type !== T_BYTES && type !== T_STRING) fail("object at block " + b, "type", "1.." + T_MAX, "" + type)
    }

    /** Stage 2: the handle table against the heads. */
    private slots(units: number): number {
        const buf = this.buf
        const hcap = buf.getAt(H_HCAP, "u16")
        const htab = buf.getAt(H_HTAB, "u16")
        const nb = buf.getAt(H_NBLOCKS, "u16")
        const data = buf.getAt(H_DATA, "u16")
        let s = this.b
        let work = 0
        while (s < hcap && work < units) {
            work++
            const e = buf.getAt(htab + (s << 1), "u16")
            if ((e & SLOT_FREE) === 0) {
                if (e < data || e >= nb) fail("slot " + s, "handle table entry", "a block in " + data + ".." + (nb - 1), "" + e)
                const c = this.code(e)
                if (c !== AT_HEAD && c !== AT_MARK) fail("slot " + s, "ATB code of its block " + e, "HEAD or MARK", CODE_NAMES[c])
                const back = buf.getAt((e << 4) + O_SLOT, "u16") & OF_SLOT
                if (back !== s) fail("slot " + s, "O_SLOT of its object at block " + e, "" + s, "" + back)
                this.k++
                work += 2 // a live slot: its entry, its block's code, the slot it names back
            }
            s++
        }
        this.b = s
        if (s >= hcap) {
            // (heads was counted at one instant too, or stage 1 owes a census and this one cannot compare)
            if (this.countAt === this.changes && (this.owed & CENSUS_ATB) === 0) {
                if (this.k !== this.heads) fail("handle table", "live slots", this.heads + " (one an object)", "" + this.k)
            } else this.owed |= CENSUS_TYPES // (it counts the live slots)
            this.stage = 3
            this.b = 0
            this.k = 0
        }
        return work
    }

    /**
     * Checks one reference `h`: item (what 0) or field (1) k of the object at
     * block b, named root slot k (2) or root stack slot k (3). `survivor`: its
     * holder survives the collection in progress.
     */
    private ref(b: number, k: number, what: number, h: number, survivor: boolean): void {
        if (h === 0) return
        const buf = this.buf
        const hcap = buf.getAt(H_HCAP, "u16")
        const pid = buf.getAt(H_POOLID, "u16")
        // (a stored u32 above 0x7fffffff is negative as int32: no pool id matches it)
        if (h >> POOL_SHIFT !== pid || (h & 0xfff) >= hcap || ((h >> 12) & MAX_GEN) < 1)
            fail(WHERE[what] + (what < 2 ? b + ", " + (what === 0 ? "item " : "field ") : "") + k, "reference", "0 or a handle with pool id " + pid + ", a slot < " + hcap + " and a generation 1.." + MAX_GEN, "" + h)
        const e = buf.getAt(buf.getAt(H_HTAB, "u16") + ((h & 0xfff) << 1), "u16")
        if ((e & SLOT_FREE) !== 0 || buf.getAt((e << 4) + O_GEN, "u16") !== ((h >> 12) & MAX_GEN)) return // stale: harmless
        if (!survivor) return
        const phase = buf[H_PHASE]
        const c = this.code(e)
        if ((phase === PHASE_MARK || phase === PHASE_HOLD) && c !== AT_MARK) fail(WHERE[what] + (what < 2 ? b + ", " + (what === 0 ? "item " : "field ") : "") + k, "during MARK, target of reference " + h + " (object at block " + e + ") from a " + (what < 2 ? "scanned object" : "root"), "MARK", CODE_NAMES[c] + " (a black-to-white edge: the write barrier was missed)")
        // (a phantom view's dry sweep frees nothing: what it has not reached is safe marked or not)
        if (phase === PHASE_SWEEP && e >= buf.getAt(H_CURSOR, "u16") && c !== AT_MARK && (buf[H_FLAGS] & F_DRY) === 0)
            fail(WHERE[what] + (what < 2 ? b + ", " + (what === 0 ? "item " : "field ") : "") + k, "reachable object " + h + " at block " + e + ", not yet swept", "MARK", CODE_NAMES[c] + " (the sweep would free it)")
    }

    /** Stage 4: references in lists and records. */
    private refs(units: number): number {
        const buf = this.buf
        const nb = buf.getAt(H_NBLOCKS, "u16")
        const phase = buf[H_PHASE]
        const flags = buf[H_FLAGS]
        const cursor = buf.getAt(H_CURSOR, "u16")
        const hcap = buf.getAt(H_HCAP, "u16")
        const htab = buf.getAt(H_HTAB, "u16")
        const pid = buf.getAt(H_POOLID, "u16")
        // the marking rules a reference from a survivor must keep (none in a dry sweep: it frees nothing)
        const marking = phase === PHASE_MARK || phase === PHASE_HOLD
        const sweeping = phase === PHASE_SWEEP && (flags & F_DRY) === 0
        let work = 0
        if (phase === PHASE_MARK && this.greyAt !== this.changes) work += this.greySet()
        // since a change, objects allocated or moved after stage 1 passed are met unchecked: their shape is checked here
        const fresh = this.changes !== 0
        let b = this.b
        while (b < nb && work < units) {
            work++
            if ((b & 3) === 0 && buf[ATB + (b >> 2)] === 0) {
                // a run of free table bytes, in a tight loop: a unit for two
                const j0 = ATB + (b >> 2)
                const lim = j0 + 1 + ((units - work) << 1)
                const stop = ATB + (nb >> 2) < lim ? ATB + (nb >> 2) : lim
                let j = j0 + 1
                while (j < stop && buf[j] === 0) j++
                work += (j - j0 - 1) >> 1
                b += (j - j0) << 2
                continue
            }
            const c = this.code(b)
            if (c === AT_FREE) {
                b++
                continue
            }
            // (a walk from head to head at one instant meets no tail)
            if (c === AT_TAIL) fail("block " + b, "ATB code", "HEAD or FREE (a TAIL must follow its head)", "TAIL")
            const off = b << 4
            const type = buf[off]
            const len = buf.getAt(off + O_LEN, "u16")
            work++
            if (fresh) {
                if (type < 1 || type > T_MAX) fail("object at block " + b, "type", "1.." + T_MAX, "" + type)
                this.shape(b, off, type, buf[off + O_AUX], len)
                if (b + ((len + OBJ_HEADER + 15) >> 4) > nb) fail("object at block " + b, "size", "<= " + (nb - b) + " blocks (the end of the pool)", ((len + OBJ_HEADER + 15) >> 4) + " blocks")
                work += 4
            }
            if (type >= T_LIST) {
                // a survivor of the sweep in progress: marked, or swept already
                // or, during MARK with no overflow pending, a marked object off the
                // mark stack: scanned (black), so it may not reference a white object
                const grey = this.grey
                const survivor =
                    (phase === PHASE_SWEEP && (c === AT_MARK || b < cursor)) ||
                    (phase === PHASE_MARK && c === AT_MARK && (flags & (F_OVERFLOW | F_RESCAN)) === 0 && (grey[b >> 3] & (1 << (b & 7))) === 0) ||
                    (phase === PHASE_HOLD && c === AT_MARK)
                const refs = type === T_LIST ? off + OBJ_HEADER + LIST_ITEMS : off + OBJ_HEADER
                const count = type === T_LIST ? buf.getAt(off + OBJ_HEADER + LIST_COUNT, "u32") : len >> 2
                const cap = type === T_LIST ? (len - LIST_ITEMS) >> 2 : count
                // (at least one reference a run, whatever the object's own units left: the check always moves on)
                const k0 = this.k
                let k = k0
                while (k < cap && (work < units || k === k0)) {
                    const h = buf.getAt(refs + (k << 2), "u32")
                    if (k >= count) {
                        if (h !== 0) fail("object at block " + b, "list item " + k + " past the count " + count, "0", "" + h)
                    } else if (h !== 0) {
                        // the common cases inline (a call costs the VM about four Buffer reads);
                        // ref() checks again and reports whatever is wrong
                        const slot = h & 0xfff
                        if (h >> POOL_SHIFT !== pid || slot >= hcap || ((h >> 12) & MAX_GEN) < 1) this.ref(b, k, type === T_LIST ? 0 : 1, h, survivor)
                        else if (survivor) {
                            const e = buf.getAt(htab + (slot << 1), "u16")
                            // (stale: harmless)
                            if ((e & SLOT_FREE) === 0 && buf.getAt((e << 4) + O_GEN, "u16") === ((h >> 12) & MAX_GEN)) {
                                const c = (buf[ATB + (e >> 2)] >> ((e & 3) << 1)) & 3
                                if (c !== AT_MARK && (marking || (sweeping && e >= cursor))) this.ref(b, k, type === T_LIST ? 0 : 1, h, survivor)
                            }
                        }
                    }
                    k++
                    work += 4 // a reference checked inline
                }
                if (k < cap) {
                    this.k = k
                    break
                }
                this.k = 0
            }
            b += (len + OBJ_HEADER + 15) >> 4
        }
        this.b = b
        if (b >= nb) {
            this.stage = 5
            this.b = 0
        }
        return work
    }

    /**
     * Stage 5: the row summary against the ATB, a row (16 ATB bytes) at a
     * time: lead and trail exact, inner at least the longest free run inside.
     */
    private rows(units: number): number {
        const buf = this.buf
        const nb = buf.getAt(H_NBLOCKS, "u16")
        const last = (nb - 1) >> ROW_SHIFT
        const table = rowTable(nb)
        let r = this.b
        let work = 0
        while (r <= last && work < units) {
            const rs = r << ROW_SHIFT
            const re = rs + ROW_BLOCKS < nb ? rs + ROW_BLOCKS : nb
            const f = rowRuns(buf, r, nb)
            const lead = f & 0xff
            const inner = (f >> 8) & 0xff
            const run = f >> 16
            const p = table + r * ROW_ENTRY
            const where = "row summary of row " + r + " (blocks " + rs + ".." + (re - 1) + ")"
            if (buf[p + RS_LEAD] !== lead) fail(where, "free blocks at its start", "" + lead, "" + buf[p + RS_LEAD])
            if (buf[p + RS_TRAIL] !== run) fail(where, "free blocks at its end", "" + run, "" + buf[p + RS_TRAIL])
            if (buf[p + RS_INNER] < inner || buf[p + RS_INNER] > re - rs) fail(where, "bound on its inner free runs", inner + ".." + (re - rs), "" + buf[p + RS_INNER])
            work += 16 // rowRuns() over 16 ATB bytes
            r++
        }
        this.b = r
        if (r > last) this.stage = 6 // the censuses owed, if any
        return work
    }

    /**
     * The grey set from the mark stack as it is now (a run of stage 4
     * during MARK uses it: a marked head on the mark stack may still
     * reference unmarked objects). Entries stage 3 found broken are
     * skipped here; a run after a change builds it again.
     */
    private greySet(): number {
        const buf = this.buf
        const nb = buf.getAt(H_NBLOCKS, "u16")
        const msp = buf.getAt(H_MSP, "u16")
        const ms = buf.getAt(H_MSTACK, "u16")
        this.greyAt = this.changes
        if (this.grey === null) this.grey = Buffer.alloc((nb + 7) >> 3)
        else this.grey.fillAt(0, (nb + 7) >> 3, 0)
        const grey = this.grey
        for (let j = 0; j < msp; j++) {
            const blk = buf.getAt(ms + (j << 2), "u16")
            if (blk !== 0 && blk < nb) grey[blk >> 3] |= 1 << (blk & 7)
        }
        return 2 + msp
    }

    /** Stage 3: named roots, the root stack, the mark stack. b walks them all in turn. */
    private roots(units: number): number {
        const buf = this.buf
        const ncap = buf.getAt(H_NCAP, "u16")
        const scap = buf.getAt(H_SCAP, "u16")
        const mcap = buf.getAt(H_MCAP, "u16")
        const sp = buf.getAt(H_SP, "u16")
        const msp = buf.getAt(H_MSP, "u16")
        const phase = buf[H_PHASE]
        const marking = phase !== PHASE_IDLE
        let i = this.b
        let work = 0
        while (work < units && i < ncap + scap + mcap) {
            work += 2
            if (i < ncap) {
                const h = buf.getAt(buf.getAt(H_NAMED, "u16") + (i << 2), "u32")
                if (h !== 0 && this.named !== null && !this.named[i]) fail("named root slot " + i, "a name for a slot in use", "a name", "none (holds " + h + ")")
                if (h !== 0) work += 10 // a ref() call
                this.ref(0, i, 2, h, marking)
            } else if (i < ncap + scap) {
                const j = i - ncap
                const h = buf.getAt(buf.getAt(H_STACK, "u16") + (j << 2), "u32")
                if (j >= sp) {
                    if (h !== 0) fail("root stack slot " + j, "entry above H_SP " + sp, "0", "" + h)
                } else {
                    if (h !== 0) work += 10 // a ref() call
                    this.ref(0, j, 3, h, marking)
                }
            } else {
                const j = i - ncap - scap
                if (j >= msp) {
                    i = ncap + scap + mcap
                    break
                }
                const at = buf.getAt(H_MSTACK, "u16") + (j << 2)
                const blk = buf.getAt(at, "u16")
                if (blk !== 0) {
                    const where = "mark stack entry " + j
                    const c = this.code(blk)
                    if (blk < buf.getAt(H_DATA, "u16") || blk >= buf.getAt(H_NBLOCKS, "u16") || c !== AT_MARK)
                        fail(where, "block " + blk, "a marked head", blk < buf.getAt(H_NBLOCKS, "u16") ? CODE_NAMES[c] : "outside the pool")
                    const off = blk << 4
                    if (buf[off] < T_LIST) fail(where, "type of the object at block " + blk, "list or record", "" + buf[off])
                    // (a list's count may shrink under its entry, by pop() or removeAt(): the collector
                    // then ends the entry, so the bound is the list's capacity, not its count)
                    const count = buf[off] === T_LIST ? (buf.getAt(off + O_LEN, "u16") - LIST_ITEMS) >> 2 : buf.getAt(off + O_LEN, "u16") >> 2
                    const from = buf.getAt(at + 2, "u16")
                    if (from > count) fail(where, "resume index", "<= " + count, "" + from)
                }
            }
            i++
        }
        this.b = i
        if (i >= ncap + scap + mcap) {
            this.stage = 4
            this.b = buf.getAt(H_DATA, "u16")
            this.k = 0
        }
        return work
    }
}

/** Work units a synchronous verify() may spend: enough for any pool in Node; see Verifier for the VM. */
const ALL = 0x7fffffff

/**
 * Checks every invariant of the pool bytes `buf` at once; throws
 * CorruptionError naming the first violation. On the VM a 32 KiB pool full of
 * small objects can exceed one slice: use Pool.verifyAsync() there.
 */
export function verifyPool(buf: Buffer, kinds?: number[], named?: boolean[]): void {
    new Verifier(buf, kinds, named).run(ALL)
}
