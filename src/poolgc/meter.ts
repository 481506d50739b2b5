/**
 * The slice meter: how many VM operations poolgc has spent since the running
 * fiber last suspended, so that no sequence of pool calls, however tight the
 * caller's loop, can run the fiber into the VM's step limit (131,072
 * operations between suspensions, then an uncatchable InfiniteLoop panic).
 *
 * Every public operation charges an upper bound of what it costs the VM
 * (measured with tools/step-probe.mjs; the constants below) before it does
 * its work; bounded work (a collection or compaction step, a verify) gets at
 * most the units that are left. When a charge would take the total over
 * SHARE, the operation throws StepLimitError instead, having changed
 * nothing, and so does every further one until the fiber suspends.
 *
 * The rule, for users: poolgc itself spends at most SHARE + UNCHECKED
 * operations between two suspensions of a fiber; the rest of the slice
 * (at least 131,072 - SHARE - UNCHECKED = STEP_LIMIT - 110,000) is the
 * caller's own.
 *
 * The count starts again at the next suspension: the first charge that
 * takes it above ARM_AT arms the reset, asking the platform
 * (atNextSuspension) for a call of reset() when the fiber suspends, which
 * its watcher fiber makes before this fiber, or any other that waits on
 * time, runs again. A fiber woken by a packet or an awaited event may run
 * first and charge onto the old count; that overstates, and the clock
 * check corrects it: every CHECK_EVERY charged operations a charge looks
 * at the clock (runStamp: it only moves across a suspension), and if it
 * moved, only what was charged since the last look can belong to this
 * run, so the count drops to that. Below ARM_AT nothing is armed and the
 * count carries over a suspension, which only ever overstates. The VM
 * counts per fiber run and poolgc counts for all fibers together: also an
 * overstatement, never an understatement.
 */
import { atNextSuspension, drainSlice, nextSlice, runStamp, STEP_LIMIT } from "../platform"
import { StepLimitError } from "./errors"

/** The most VM operations poolgc lets itself spend between two suspensions. */
export const SHARE = 96000
/**
 * The most poolgc spends past a check before the next one (a search of the
 * whole table, the error message's largest-run count): charged afterwards,
 * so the total can pass SHARE by at most this much.
 */
export const UNCHECKED = 14000
/** Below this, the count is not worth a reset (and costs nothing to keep). */
export const ARM_AT = 4000
/** How often, in charged operations, a charge looks at the clock (Meter.refresh). */
export const CHECK_EVERY = 4000
/** VM operations one verify() work unit costs at most (37.3 measured: pool.ts, VERIFY_MAX_UNITS). */
export const UNIT_OPS = 40
/**
 * VM operations one collector or compactor work unit costs at most. Not 40:
 * the sweep's pass over whole table bytes costs more than that a unit
 * (collect() on a 16 KiB pool holding one object, about 228 units: 11,739
 * operations measured, 10,000 charged at 40 a unit, 12,260 at 50), and a
 * loop of collect() calls after many small dead objects panicked the VM.
 */
export const GC_UNIT_OPS = 50
/** A public step (collect(), collectStep()...) that cannot have this many units throws StepLimitError. */
export const MIN_STEP = 16

/** The meter itself: one for the whole program, as the VM's limit is per fiber, not per pool. */
export class Meter {
    /** Operations charged since the count last started. */
    used = 0
    /** The level above which a charge calls over(): ARM_AT, then every CHECK_EVERY up to the limit. */
    next = ARM_AT
    /** poolgc's share of a slice: SHARE on the VM, 0 (no limit, count only) in Node unless a test sets one. */
    limit = STEP_LIMIT > 0 ? SHARE : 0
    /** Whether the reset is armed: due at the next suspension. */
    armed = false
    /** runStamp() at the last check. */
    since = 0
    /** `used` at the last check. */
    mark = 0

    /**
     * Called by a charge that took `used` above `next` (every CHECK_EVERY
     * operations or so): brings the count up to date (the clock check,
     * refresh), then lets the charge stand if it is within the limit, or
     * takes it back and throws StepLimitError. A count above ARM_AT arms the
     * reset at the next suspension, if nothing has yet.
     */
    over(cost: number, what: string): void {
        if (this.limit === 0) {
            // Node without a test limit: nothing to guard
            this.next = 1e15
            return
        }
        this.refresh()
        if (this.used > this.limit) {
            this.used -= cost
            throw this.refusal(what, cost)
        }
        this.mark = this.used
        if (!this.armed && this.used > ARM_AT) this.arm()
        this.next = this.used + CHECK_EVERY < this.limit ? this.used + CHECK_EVERY : this.limit
    }

    /**
     * The clock check. If the clock moved since the last check, the fiber
     * has suspended since then without the reset (nothing armed it, or a
     * fiber woken by a packet ran before the watcher), so only what was
     * charged after that check can belong to this run: the count drops to
     * that. An unmoved clock proves nothing, and changes nothing.
     */
    refresh(): void {
        const stamp = runStamp()
        if (stamp !== this.since) {
            this.used -= this.mark
            this.mark = 0
            this.since = stamp
        }
    }

    /** Asks for the count to start again at the next suspension. */
    arm(): void {
        this.armed = true
        atNextSuspension(resetMeter)
    }

    /** The StepLimitError for `what`, which needs `cost` more operations (it arms the reset, if nothing has). */
    refusal(what: string, cost: number): StepLimitError {
        if (!this.armed) this.arm()
        return new StepLimitError(
            "poolgc has used about " + this.used + " of the VM's " + STEP_LIMIT + " operations since this fiber last suspended; " + what + " needs up to " + cost + " more: await a suspension (await ds.sleep(0)) and retry"
        )
    }

    /**
     * Work units of `unitOps` operations each (GC_UNIT_OPS, UNIT_OPS) that fit
     * in what is left of the share, keeping `reserveOps` for what the caller
     * still does after them; at most `want`.
     */
    units(want: number, reserveOps: number, unitOps: number): number {
        if (this.limit === 0) return want
        this.refresh()
        this.mark = this.used
        const left = ((this.limit - this.used - reserveOps) / unitOps) | 0
        return left < want ? (left > 0 ? left : 0) : want
    }

    /**
     * Charges `ops` for work already done within a grant (units() was the
     * check), arming the reset as a checked charge would: else a loop of
     * steps with a suspension between each would carry the count on, past
     * the suspensions, until it refused.
     */
    spent(ops: number): void {
        this.used += ops
        if (!this.armed) if (this.used > ARM_AT) this.arm()
    }

    /** Starts the count again: the fiber has suspended. */
    reset(): void {
        this.used = 0
        this.mark = 0
        this.next = ARM_AT
        this.armed = false
    }
}

/** The program's meter. */
export const meter = new Meter()

function resetMeter(): void {
    meter.reset()
}

/** Charges `cost` operations for `what` (see Meter.over for when it throws). */
export function charge(cost: number, what: string): void {
    const m = meter
    m.used += cost
    if (m.used > m.next) m.over(cost, what)
}

/**
 * For asynchronous operations, which never throw StepLimitError: suspends
 * first when `ops` more operations would take poolgc past its share. After
 * its own suspension the count starts again at once.
 */
export async function roomFor(ops: number): Promise<void> {
    const m = meter
    if (m.limit > 0 && m.used + ops > m.limit) await pause()
}

/**
 * poolgc's own positive sleep (drainSlice: on a board the main loop runs and
 * sends the log): the count starts again after it.
 */
export async function rest(ms: number): Promise<void> {
    await drainSlice(ms)
    meter.reset()
}

/** poolgc's own suspension (`await ds.sleep(0)` on the VM): the count starts again after it. */
export async function pause(): Promise<void> {
    await nextSlice()
    meter.reset()
}

// What each kind of call is charged, in VM operations: upper bounds of what
// tools/step-probe.mjs measured (README, "The VM's limits"; the margins there).
/** A call that reads or sets a header field or two. */
export const C_CALL = 60
/** Resolving a handle (every accessor does it) and what an accessor does after. */
export const C_ACCESS = 300
/** An allocation's fixed part: everything but its searches and collection steps. */
export const C_ALLOC = 850
/**
 * An allocation that takes the fast path (the run at the hint, the slot at
 * the cursor: Pool.alloc), all of it; an allocation that does not is charged
 * the rest of C_ALLOC before it goes on.
 */
export const C_ALLOC_FAST = 700
/** A search, per row of the allocation table it walks (a row scan included). */
export const C_ROW = 250
/** Releasing an object (free(); its handle is charged apart). */
export const C_FREE = 500
/** A pixel access, beyond C_ACCESS. */
export const C_PIXEL = 60
/** A collection or compaction step's fixed part (its units are charged apart). */
export const C_STEP = 400
/**
 * stats(): the fixed part; per byte of the allocation table (4 blocks) its
 * walk reads in the data part (a byte that mixes free and used blocks is the
 * costliest: the fully fragmented table); per byte of the metadata's run
 * (all tails but the first byte: the walk's cheap path). Measured (the
 * stats-fragmented probe at 32 and 8 KiB, stats-empty at 32 KiB): about 780
 * fixed, 84 a mixed byte, 24 a byte on the cheap path.
 */
export const C_STATS = 1200
export const C_STATS_BYTE = 92
export const C_STATS_META = 32
/** A slice of a dump's walk of the table (memInfo, phantoms). */
export const C_WALK = 50000
/** A line of a dump, formatted and printed. */
export const C_LINE = 1800
/** Debug mode: an allocation's check of the poison, per block it reads. */
export const C_POISON_BLOCK = 40
/** defineRecord(): per field name checked and per kind compared. */
export const C_FIELD = 30
/** readBitmap()/writeBitmap(): their checks and the copy, beyond C_ACCESS (the copy, one blitAt, costs the same at any size: about 356 operations a call in all, measured at 512 and 15,360 bytes; docs/bitmaps.md). */
export const C_BAND = 200
