/**
 * The compactor: slides live objects together so that the free blocks form
 * one run, which MicroPython cannot do (its references are raw pointers).
 * Here a program and the objects reach each other only through handles, and
 * a handle names a slot of the handle table, so moving an object is: copy its
 * blocks, rewrite its ATB run, rewrite one handle-table entry. References
 * stored in objects and roots are handles and never change.
 *
 * Two passes, each resumable after any object (the program may run between
 * steps, as with the collector):
 * - COMPACT, upward, cursor `from` = H_CURSOR, target `to` = H_CTO: every
 *   object slides down to `to`, in address order.
 *   Invariant: blocks [to, from) are free; below `to` nothing was freed by
 *   this pass (only the program's own free() can leave a hole there).
 * - LIFT, downward: long-lived objects (OF_LONG) at the top of the pool slide
 *   up to its end, until the first short-lived object from the top (below it,
 *   COMPACT left everything packed). Invariant: blocks [from, to) are free.
 * When both end, free space is one run: between the short-lived objects at the
 * bottom and the long-lived ones lifted to the top.
 *
 * An allocation during a pass that lands in the pass's free gap ends the
 * compaction there (compactAbortIfInGap): still a consistent heap, only less
 * compact. The DeviceScript Buffer's blitAt is a memcpy, so a move whose source
 * and destination overlap copies in non-overlapping chunks the size of the gap.
 *
 * Work units (about 25 VM operations each): 1 per ATB byte or block walked, 8
 * per object moved, 1 per chunk copied.
 */
import { ATB, claimRun, codeOf, releaseRun } from "./allocator"
import {
    AT_FREE,
    AT_HEAD,
    AT_TAIL,
    H_COMPACTIONS,
    H_CTO,
    H_CURSOR,
    H_DATA,
    H_FLAGS,
    H_HINT,
    H_HTAB,
    H_NBLOCKS,
    H_PHASE,
    O_LEN,
    O_SLOT,
    OF_LONG,
    OF_SLOT,
    F_POISON,
    PHASE_COMPACT,
    PHASE_IDLE,
    PHASE_LIFT,
    POISON,
} from "./layout"

/** Something that must see blocks before they are overwritten (a memory-map dump in progress). */
export interface Overwrite {
    capture(buf: Buffer, blk: number, n: number): void
}

/** Starts a compaction (from PHASE_IDLE): the upward pass begins at the hint, below which nothing is free. */
export function startCompaction(buf: Buffer): void {
    const hint = buf.getAt(H_HINT, "u16")
    buf[H_PHASE] = PHASE_COMPACT
    buf.setAt(H_CURSOR, "u16", hint)
    buf.setAt(H_CTO, "u16", hint)
}

/**
 * Moves the object of `n` blocks at block `from` to block `to` (either way),
 * its ATB run and its handle-table entry with it. Returns the chunks copied.
 */
function move(buf: Buffer, from: number, to: number, n: number, seen: Overwrite): number {
    // every block the move touches, source and destination
    if (seen !== null) seen.capture(buf, to < from ? to : from, (to < from ? from - to : to - from) + n)
    const src = from << 4
    const dst = to << 4
    const len = n << 4
    const gap = (to < from ? from - to : to - from) << 4
    let chunks = 0
    if (gap >= len) {
        buf.blitAt(dst, buf, src, len)
        chunks = 1
    } else if (to < from) {
        // downward: chunks from the start, each source read before it is overwritten
        for (let k = 0; k < len; k += gap) {
            buf.blitAt(dst + k, buf, src + k, len - k < gap ? len - k : gap)
            chunks++
        }
    } else {
        // upward: chunks from the end
        for (let k = len; k > 0; k -= gap) {
            const size = k < gap ? k : gap
            buf.blitAt(dst + k - size, buf, src + k - size, size)
            chunks++
        }
    }
    // (the gap it crossed is free, below it moving down, above it moving up: the release need not read it)
    releaseRun(buf, from, n, to < from ? from - to : 0, to > from ? to - from : 0)
    claimRun(buf, to, n, AT_HEAD)
    if (buf[H_FLAGS] & F_POISON) {
        // debug mode: the blocks the object left are free now
        if (to < from) {
            const lo = to + n > from ? to + n : from
            buf.fillAt(lo << 4, (from + n - lo) << 4, POISON)
        } else buf.fillAt(src, ((to < from + n ? to : from + n) - from) << 4, POISON)
    }
    const slot = buf.getAt(dst + O_SLOT, "u16") & OF_SLOT
    buf.setAt(buf.getAt(H_HTAB, "u16") + (slot << 1), "u16", to)
    return chunks
}

/**
 * Runs the compaction in progress for at most about `budget` work units;
 * `seen`, if not null, is told before blocks are overwritten. Returns the
 * work done. The phase is PHASE_IDLE when the compaction has ended.
 */
export function compactStep(buf: Buffer, budget: number, seen: Overwrite): number {
    const nb = buf.getAt(H_NBLOCKS, "u16")
    let phase = buf[H_PHASE]
    let from = buf.getAt(H_CURSOR, "u16")
    let to = buf.getAt(H_CTO, "u16")
    let work = 0
    while (work < budget) {
        if (phase === PHASE_COMPACT) {
            if (from >= nb) {
                // nothing is free below `to` but the program's holes, which lowered the hint themselves
                if (to < buf.getAt(H_HINT, "u16")) buf.setAt(H_HINT, "u16", to)
                phase = PHASE_LIFT
                from = nb
                to = nb
                continue
            }
            const v = buf[ATB + (from >> 2)]
            work++
            if (v === 0 && (from & 3) === 0) {
                from += 4
                continue
            }
            const c = (v >> ((from & 3) << 1)) & 3
            if (c === AT_FREE) {
                from++
                continue
            }
            if (c === AT_TAIL) {
                // never expected (the walk steps from head to head); nothing may slide past it
                from++
                to = from
                continue
            }
            const n = (buf.getAt((from << 4) + O_LEN, "u16") + 23) >> 4
            if (to < from) work += 8 + move(buf, from, to, n, seen)
            to += n
            from += n
        } else if (phase === PHASE_LIFT) {
            const data = buf.getAt(H_DATA, "u16")
            if (from <= data) {
                phase = PHASE_IDLE
                break
            }
            // the block below `from`: free, or the last block of an object
            const b = from - 1
            const v = buf[ATB + (b >> 2)]
            work++
            if (v === 0 && (b & 3) === 3) {
                from -= 4
                continue
            }
            const c = (v >> ((b & 3) << 1)) & 3
            if (c === AT_FREE) {
                from--
                continue
            }
            let h = b
            if (c === AT_TAIL) {
                // walk down to the head: whole bytes of tails at a time
                h--
                while (h >= data && codeOf(buf, h) === AT_TAIL) {
                    if ((h & 3) === 3 && buf[ATB + (h >> 2)] === 0xaa) h -= 4
                    else h--
                    work++
                }
            }
            const off = h << 4
            if ((buf.getAt(off + O_SLOT, "u16") & OF_LONG) === 0) {
                // a short-lived object: below it everything is packed
                phase = PHASE_IDLE
                break
            }
            const n = (buf.getAt(off + O_LEN, "u16") + 23) >> 4
            if (to > h + n) work += 8 + move(buf, h, to - n, n, seen)
            to -= n
            from = h
        } else break
    }
    if (phase === PHASE_IDLE) buf.setAt(H_COMPACTIONS, "u32", buf.getAt(H_COMPACTIONS, "u32") + 1)
    buf[H_PHASE] = phase
    buf.setAt(H_CURSOR, "u16", from)
    buf.setAt(H_CTO, "u16", to)
    return work
}

/**
 * Called by the allocator after it chose blocks [s, s+n) while a compaction
 * runs: if they lie in the pass's free gap, the compaction ends there (the
 * heap stays consistent; it is only less compact). Returns true if it ended.
 */
export function compactAbortIfInGap(buf: Buffer, s: number, n: number): boolean {
    const phase = buf[H_PHASE]
    const from = buf.getAt(H_CURSOR, "u16")
    const to = buf.getAt(H_CTO, "u16")
    if ((phase === PHASE_COMPACT && s < from && s + n > to) || (phase === PHASE_LIFT && s + n > from && s < to)) {
        if (phase === PHASE_COMPACT && to < buf.getAt(H_HINT, "u16")) buf.setAt(H_HINT, "u16", to)
        buf[H_PHASE] = PHASE_IDLE
        buf.setAt(H_COMPACTIONS, "u32", buf.getAt(H_COMPACTIONS, "u32") + 1)
        return true
    }
    return false
}
