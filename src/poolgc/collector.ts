/**
 * The collector: incremental mark-sweep over the pool, in MicroPython's
 * manner (ATB mark bits, an explicit bounded mark stack, rescans after an
 * overflow) but able to stop after any bounded amount of work and resume,
 * because the DeviceScript VM panics when a fiber runs 128K operations
 * without suspending.
 *
 * Phases (H_PHASE): IDLE -> MARK -> SWEEP -> IDLE, or, when F_COMPACT is set,
 * SWEEP -> COMPACT -> LIFT -> IDLE (compactor.ts). A dry cycle (F_DRY, the
 * phantom view) goes MARK -> HOLD -> SWEEP -> IDLE: it stops in HOLD when
 * marking is complete, so the caller can snapshot which heads are unmarked
 * (the phantoms), and its sweep only unmarks.
 * - startCycle() marks every root (named roots, the root stack) and enters MARK.
 * - MARK pops (block, next ref index) pairs from the mark stack and marks the
 *   children, at most SCAN_CHUNK references at a time, so one huge list cannot
 *   overrun a step. When a push finds the stack full, F_OVERFLOW is set; once
 *   the stack is empty, a rescan pass (F_RESCAN, H_CURSOR) walks the ATB and
 *   pushes every marked head that holds references, until a pass ends with no
 *   new overflow.
 * - SWEEP walks the ATB from H_CURSOR: unmarked heads are freed (with their
 *   handle slot), marked heads become plain heads again.
 *
 * The program may run between steps. Correctness then rests on three rules,
 * kept by the pool's layers (core.ts, objects.ts):
 * 1. Write barrier: every reference the program stores (into an object or a
 *    root) goes through shade(), which marks the target if a cycle is running
 *    (Dijkstra's insertion barrier). So no reachable object stays white.
 * 2. Objects allocated during MARK, or during SWEEP at or above the cursor,
 *    are born marked (AT_MARK); they start with no references.
 * 3. An object freed during MARK is first removed from the mark stack.
 * 4. During SWEEP, an unmarked head at or above the cursor is garbage already
 *    (its references may be freed before it): head() (core.ts) refuses handles to it,
 *    so the program cannot revive a damaged graph.
 * 5. An allocation that may run a step pins the objects the caller is about
 *    to link (push() pins its list and the new item).
 *
 * Work units, each meant to cost the VM about 25 operations at most: 1 per
 * ATB byte swept or rescanned, 2 per object popped from the mark stack, 4 per
 * reference examined, 6 per object freed (weights fitted to what
 * tools/step-probe.mjs measured; the README has the figures).
 */
import { ATB, summariseRows } from "./allocator"
import { compactStep, Overwrite, startCompaction } from "./compactor"
import {
    AT_HEAD,
    AT_MARK,
    BLOCK_ROUND,
    BLOCK_SHIFT,
    F_COMPACT,
    F_DRY,
    F_OVERFLOW,
    F_POISON,
    F_RESCAN,
    H_COLLECTIONS,
    H_CURSOR,
    H_DATA,
    H_FLAGS,
    H_FREE,
    H_FREES,
    H_GCWORK,
    H_HCAP,
    H_HINT,
    H_HTAB,
    H_MCAP,
    H_MSP,
    H_MSTACK,
    H_NAMED,
    H_NBLOCKS,
    H_NCAP,
    H_PHASE,
    H_SINCE,
    H_SWEPT,
    H_SP,
    H_STACK,
    H_TBLOCKS,
    H_TCOUNT,
    H_WORK,
    HANDLE_SHIFT,
    HANDLE_SLOT_MASK,
    MAX_GEN,
    OF_SLOT,
    O_FIELDS,
    O_GEN,
    O_LEN,
    O_LIST_COUNT,
    O_LIST_ITEMS,
    O_SLOT,
    PHASE_COMPACT,
    PHASE_HOLD,
    PHASE_IDLE,
    PHASE_MARK,
    PHASE_SWEEP,
    POISON,
    ROW_SHIFT,
    SLOT_FREE,
    T_LIST,
} from "./layout"

/** References scanned from one object before it goes back on the mark stack. */
export const SCAN_CHUNK = 32

/**
 * Marks the object named by handle `h` if it is live and unmarked, and queues
 * it for scanning if it holds references. Stale or null handles are ignored
 * (a root may outlive an explicitly released object). Used for roots at the
 * start of a cycle and as the write barrier during MARK and SWEEP. Its slot
 * and generation test is head()'s (core.ts) without the errors, inline: see
 * head() for why it is not a shared call.
 */
export function shade(buf: Buffer, h: number): void {
    const phase = buf[H_PHASE]
    if (phase === PHASE_IDLE || phase >= PHASE_COMPACT || h <= 0) return
    const slot = h & HANDLE_SLOT_MASK
    if (slot >= buf.getAt(H_HCAP, "u16")) return
    const e = buf.getAt(buf.getAt(H_HTAB, "u16") + (slot << 1), "u16")
    if (e & SLOT_FREE || buf.getAt((e << BLOCK_SHIFT) + O_GEN, "u16") !== ((h >> HANDLE_SHIFT) & MAX_GEN)) return
    if (phase === PHASE_SWEEP && e < buf.getAt(H_CURSOR, "u16")) return // already swept
    const ai = ATB + (e >> 2)
    const sh = (e & 3) << 1
    if (((buf[ai] >> sh) & 3) !== AT_HEAD) return
    buf[ai] |= AT_MARK << sh
    if (phase === PHASE_MARK && buf[e << BLOCK_SHIFT] >= T_LIST) pushMark(buf, e, 0)
}

/** Pushes (blk, index) on the mark stack, or records an overflow. */
export function pushMark(buf: Buffer, blk: number, index: number): void {
    const msp = buf.getAt(H_MSP, "u16")
    if (msp >= buf.getAt(H_MCAP, "u16")) {
        buf[H_FLAGS] |= F_OVERFLOW
        return
    }
    const at = buf.getAt(H_MSTACK, "u16") + (msp << 2)
    buf.setAt(at, "u16", blk)
    buf.setAt(at + 2, "u16", index)
    buf.setAt(H_MSP, "u16", msp + 1)
}

/** Drops every mark-stack entry for block `blk` (it is being freed during MARK). */
export function unqueue(buf: Buffer, blk: number): void {
    const base = buf.getAt(H_MSTACK, "u16")
    const msp = buf.getAt(H_MSP, "u16")
    for (let i = 0; i < msp; i++) if (buf.getAt(base + (i << 2), "u16") === blk) buf.setAt(base + (i << 2), "u16", 0)
}

/** Begins a collection: marks every root and enters MARK. No-op if one is running. */
export function startCycle(buf: Buffer): void {
    if (buf[H_PHASE] !== PHASE_IDLE) return
    buf[H_PHASE] = PHASE_MARK
    buf[H_FLAGS] &= ~(F_OVERFLOW | F_RESCAN)
    buf.setAt(H_MSP, "u16", 0)
    buf.setAt(H_WORK, "u32", 0)
    const named = buf.getAt(H_NAMED, "u16")
    const ncap = buf.getAt(H_NCAP, "u16")
    for (let i = 0; i < ncap; i++) {
        const h = buf.getAt(named + (i << 2), "u32")
        if (h !== 0) shade(buf, h)
    }
    const stack = buf.getAt(H_STACK, "u16")
    const sp = buf.getAt(H_SP, "u16")
    for (let i = 0; i < sp; i++) {
        const h = buf.getAt(stack + (i << 2), "u32")
        if (h !== 0) shade(buf, h)
    }
}

/**
 * Runs the collection (and the compaction after it) in progress for at most
 * about `budget` work units; `seen`, if not null, is told before a compaction
 * overwrites blocks. Returns true when nothing is in progress any more. A dry
 * cycle also returns (false) when it reaches HOLD.
 *
 * A dispatcher over the phases' loops: each runs until its budget is spent or
 * its phase ends, returns the work it did and leaves the next phase in
 * H_PHASE, and the step goes on with what is left of the budget. The loops
 * read the pool directly: a function call costs the VM about four Buffer
 * accesses, so there is one call a phase, not one an object.
 */
export function step(buf: Buffer, budget: number, seen?: Overwrite): boolean {
    let work = 0
    while (work < budget) {
        const phase = buf[H_PHASE]
        if (phase === PHASE_MARK) {
            work += mark(buf, budget - work)
            // a phantom view snapshots the map in HOLD: the step ends there
            if (buf[H_PHASE] === PHASE_HOLD) break
        } else if (phase === PHASE_HOLD) {
            buf[H_PHASE] = PHASE_SWEEP
            buf.setAt(H_CURSOR, "u16", buf.getAt(H_DATA, "u16"))
        } else if (phase === PHASE_SWEEP) {
            if (buf[H_FLAGS] & F_DRY) {
                work += drySweep(buf, budget - work)
                continue
            }
            work += sweep(buf, budget - work)
            if (buf[H_PHASE] === PHASE_IDLE) {
                // a compaction asked for starts once the sweep's counters and hint are written back
                if (buf[H_FLAGS] & F_COMPACT) {
                    buf[H_FLAGS] &= ~F_COMPACT
                    startCompaction(buf)
                    if (work < budget) work += compactStep(buf, budget - work, seen === undefined ? null : seen)
                }
                break
            }
        } else if (phase >= PHASE_COMPACT) {
            work += compactStep(buf, budget - work, seen === undefined ? null : seen)
            if (buf[H_PHASE] === PHASE_IDLE) break
        } else break
    }
    buf.setAt(H_WORK, "u32", buf.getAt(H_WORK, "u32") + work)
    buf.setAt(H_GCWORK, "u32", buf.getAt(H_GCWORK, "u32") + work)
    return buf[H_PHASE] === PHASE_IDLE
}

/**
 * MARK for at most `budget` units: scans chunks of the objects on the mark
 * stack; once it is empty, rescans after an overflow; when marking is
 * complete, enters HOLD (a dry cycle) or SWEEP with the cursor at the first
 * data block. Returns the work done.
 */
function mark(buf: Buffer, budget: number): number {
    const nb = buf.getAt(H_NBLOCKS, "u16")
    const htab = buf.getAt(H_HTAB, "u16")
    const hcap = buf.getAt(H_HCAP, "u16")
    const mstack = buf.getAt(H_MSTACK, "u16")
    const mcap = buf.getAt(H_MCAP, "u16")
    let work = 0
    while (work < budget) {
        let msp = buf.getAt(H_MSP, "u16")
        if (msp > 0) {
            // ---- scan one chunk of one object's references ----
            msp--
            const at = mstack + (msp << 2)
            const blk = buf.getAt(at, "u16")
            const from = buf.getAt(at + 2, "u16")
            work += 2
            if (blk === 0) {
                buf.setAt(H_MSP, "u16", msp)
                continue
            }
            const off = blk << BLOCK_SHIFT
            let refs: number
            let count: number
            if (buf[off] === T_LIST) {
                refs = off + O_LIST_ITEMS
                count = buf.getAt(off + O_LIST_COUNT, "u32")
            } else {
                refs = off + O_FIELDS
                count = buf.getAt(off + O_LEN, "u16") >> 2
            }
            let to = from + SCAN_CHUNK
            if (to < count) {
                // come back for the rest after the children of this chunk
                buf.setAt(at + 2, "u16", to)
                msp++
            } else to = count < from ? from : count // (a list shrunk by pop()/removeAt() under its entry: done)
            for (let k = from; k < to; k++) {
                const h = buf.getAt(refs + (k << 2), "u32")
                if (h === 0) continue
                // (the slot and generation test of shade() and head(), inline: once a reference)
                const slot = h & HANDLE_SLOT_MASK
                if (slot >= hcap) continue
                const e = buf.getAt(htab + (slot << 1), "u16")
                if (e & SLOT_FREE || buf.getAt((e << BLOCK_SHIFT) + O_GEN, "u16") !== ((h >> HANDLE_SHIFT) & MAX_GEN)) continue
                const ai = ATB + (e >> 2)
                const sh = (e & 3) << 1
                if (((buf[ai] >> sh) & 3) !== AT_HEAD) continue
                buf[ai] |= AT_MARK << sh
                if (buf[e << BLOCK_SHIFT] >= T_LIST) {
                    if (msp < mcap) {
                        const p = mstack + (msp << 2)
                        buf.setAt(p, "u16", e)
                        buf.setAt(p + 2, "u16", 0)
                        msp++
                    } else buf[H_FLAGS] |= F_OVERFLOW
                }
            }
            work += (to - from) << 2
            buf.setAt(H_MSP, "u16", msp)
        } else if (buf[H_FLAGS] & F_RESCAN) {
            // ---- rescan pass: find the next marked head that holds references ----
            let rb = buf.getAt(H_CURSOR, "u16")
            let found = 0
            while (rb < nb && work < budget) {
                const v = buf[ATB + (rb >> 2)]
                work++
                if ((v & (v >> 1) & 0x55) === 0) {
                    rb = (rb | 3) + 1 // no marked head in this byte
                    continue
                }
                const stop = (rb | 3) + 1
                while (rb < stop) {
                    if (((v >> ((rb & 3) << 1)) & 3) === AT_MARK && buf[rb << BLOCK_SHIFT] >= T_LIST) {
                        found = rb
                        break
                    }
                    rb++
                }
                if (found) break
            }
            if (found) {
                buf.setAt(H_CURSOR, "u16", found + 1)
                const p = mstack + (msp << 2) // the stack is empty here
                buf.setAt(p, "u16", found)
                buf.setAt(p + 2, "u16", 0)
                buf.setAt(H_MSP, "u16", 1)
            } else if (rb >= nb) {
                if (buf[H_FLAGS] & F_OVERFLOW) {
                    // something overflowed during this pass: another pass
                    buf[H_FLAGS] &= ~F_OVERFLOW
                    buf.setAt(H_CURSOR, "u16", buf.getAt(H_DATA, "u16"))
                } else buf[H_FLAGS] &= ~F_RESCAN
            } else buf.setAt(H_CURSOR, "u16", rb)
        } else if (buf[H_FLAGS] & F_OVERFLOW) {
            buf[H_FLAGS] = (buf[H_FLAGS] & ~F_OVERFLOW) | F_RESCAN
            buf.setAt(H_CURSOR, "u16", buf.getAt(H_DATA, "u16"))
        } else {
            // marking is complete
            if (buf[H_FLAGS] & F_DRY) buf[H_PHASE] = PHASE_HOLD
            else {
                buf[H_PHASE] = PHASE_SWEEP
                buf.setAt(H_CURSOR, "u16", buf.getAt(H_DATA, "u16"))
            }
            break
        }
    }
    return work
}

/**
 * A dry sweep (the phantom view's) for at most `budget` units: unmarks every
 * marked head from the cursor on and frees nothing; at the end, IDLE and the
 * dry flag cleared. Returns the work done.
 */
function drySweep(buf: Buffer, budget: number): number {
    const end = ATB + (buf.getAt(H_NBLOCKS, "u16") >> 2)
    let j = ATB + (buf.getAt(H_CURSOR, "u16") >> 2)
    let work = 0
    while (j < end && work < budget) {
        const v = buf[j]
        const marked = v & (v >> 1) & 0x55
        if (marked !== 0) buf[j] = v ^ (marked << 1)
        j++
        work++
    }
    if (j >= end) {
        buf[H_PHASE] = PHASE_IDLE
        buf[H_FLAGS] &= ~F_DRY
    } else buf.setAt(H_CURSOR, "u16", (j - ATB) << 2)
    return work
}

/**
 * SWEEP for at most `budget` units, from the cursor: frees every unmarked
 * head (its blocks and its handle slot), turns marked heads back into plain
 * heads; at the end of the pool, counts the collection and enters IDLE. The
 * counters, the hint and the row summary of what it freed are written back
 * once, at the end of the call. Returns the work done.
 */
function sweep(buf: Buffer, budget: number): number {
    const nb = buf.getAt(H_NBLOCKS, "u16")
    const htab = buf.getAt(H_HTAB, "u16")
    const poison = (buf[H_FLAGS] & F_POISON) !== 0
    let b = buf.getAt(H_CURSOR, "u16")
    let work = 0
    let freedBlocks = 0
    let freedObjs = 0
    let minBlk = nb
    let maxEnd = 0 // one past the last block freed in this call
    while (work < budget) {
        if (b >= nb) {
            buf.setAt(H_COLLECTIONS, "u32", buf.getAt(H_COLLECTIONS, "u32") + 1)
            buf.setAt(H_SINCE, "u32", 0)
            buf[H_PHASE] = PHASE_IDLE
            break
        }
        if ((b & 3) === 0) {
            // fast path: whole bytes without an unmarked head (free, tails, marked
            // heads); marked heads (11) become plain heads (01)
            let j = ATB + (b >> 2)
            const end = ATB + (nb >> 2)
            while (j < end && work < budget) {
                const v = buf[j]
                const marked = v & (v >> 1) & 0x55
                if ((v & 0x55) !== marked) break
                if (marked !== 0) buf[j] = v ^ (marked << 1)
                j++
                work++
            }
            b = (j - ATB) << 2
            if (j >= end || work >= budget) continue
        }
        const i = ATB + (b >> 2)
        let v = buf[i]
        work++
        // positions at or above the cursor within this byte
        const pos = 0xff & (0xff << ((b & 3) << 1))
        if ((v & ~(v >> 1) & 0x55 & pos) === 0) {
            buf[i] = v ^ ((v & (v >> 1) & 0x55 & pos) << 1)
            b = (b | 3) + 1
            continue
        }
        let next = (b | 3) + 1
        let k = b & 3
        while (k < 4) {
            const sh = k << 1
            const c = (v >> sh) & 3
            if (c === AT_MARK) {
                v ^= 2 << sh
                k++
            } else if (c === AT_HEAD) {
                // garbage: free the object and its handle slot (the writes of release() in core.ts, inline: see there)
                const blk = (b & ~3) + k
                const off = blk << BLOCK_SHIFT
                const n = (buf.getAt(off + O_LEN, "u16") + BLOCK_ROUND) >> BLOCK_SHIFT
                const slot = buf.getAt(off + O_SLOT, "u16") & OF_SLOT
                buf.setAt(htab + (slot << 1), "u16", SLOT_FREE | buf.getAt(off + O_GEN, "u16"))
                const tb = H_TBLOCKS + (buf[off] << 1)
                buf.setAt(tb, "u16", buf.getAt(tb, "u16") - n)
                const tc = H_TCOUNT + (buf[off] << 1)
                buf.setAt(tc, "u16", buf.getAt(tc, "u16") - 1)
                if (blk < minBlk) minBlk = blk
                if (blk + n > maxEnd) {
                    // the rows this call will sum up again (below) are charged as they join:
                    // 12 units a row (16 ATB bytes, ~300 VM operations)
                    const r0 = maxEnd > 0 ? ((maxEnd - 1) >> ROW_SHIFT) + 1 : blk >> ROW_SHIFT
                    const r1 = (blk + n - 1) >> ROW_SHIFT
                    if (r1 >= r0) work += (r1 - r0 + 1) * 12
                    maxEnd = blk + n
                }
                freedBlocks += n
                freedObjs++
                if (poison) buf.fillAt(off + 4, (n << BLOCK_SHIFT) - 4, POISON)
                work += 6
                const inByte = 4 - k < n ? 4 - k : n
                v &= ~(((1 << (inByte << 1)) - 1) << sh)
                k += inByte
                if (inByte < n) {
                    // its tail runs on into the following bytes
                    let rest = n - inByte
                    let j = i + 1
                    if (rest >= 4) {
                        buf.fillAt(j, rest >> 2, 0)
                        j += rest >> 2
                        rest &= 3
                    }
                    if (rest > 0) buf[j] &= 0xff << (rest << 1)
                    next = blk + n
                }
            } else k++
        }
        buf[i] = v
        b = next
    }
    if (freedObjs > 0) {
        buf.setAt(H_FREE, "u16", buf.getAt(H_FREE, "u16") + freedBlocks)
        buf.setAt(H_FREES, "u32", buf.getAt(H_FREES, "u32") + freedObjs)
        buf.setAt(H_SWEPT, "u32", buf.getAt(H_SWEPT, "u32") + freedObjs)
        if (minBlk < buf.getAt(H_HINT, "u16")) buf.setAt(H_HINT, "u16", minBlk)
        // the sweep frees straight in the ATB: the rows it touched are summed up again
        // (their work was counted as they joined, so the budget bounds it)
        summariseRows(buf, minBlk >> ROW_SHIFT, (maxEnd - 1) >> ROW_SHIFT)
    }
    if (buf[H_PHASE] === PHASE_SWEEP) buf.setAt(H_CURSOR, "u16", b)
    return work
}
