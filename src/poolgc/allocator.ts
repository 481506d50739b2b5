/**
 * The first-fit allocator: finds, claims and releases runs of blocks in the
 * allocation table (ATB) at byte HEADER_BYTES of the pool. 2 bits a block,
 * block b in bits 2*(b&3) of ATB byte b>>2, codes AT_FREE/HEAD/TAIL/MARK.
 *
 * Invariants kept here:
 * - H_FREE is the number of AT_FREE blocks.
 * - No free block lies below H_HINT (so a search may start there).
 * - H_MINFREE <= H_FREE at all times.
 *
 * The search reads the ATB a byte (4 blocks) at a time through FIT, a
 * 256-entry table, so a fully fragmented 32 KiB pool is searched in 512
 * steps rather than 2048: the VM charges per operation, not per block.
 */
import {
    AT_FREE,
    AT_TAIL,
    HEADER_BYTES,
    H_FREE,
    H_HINT,
    H_LARGEST,
    H_MINFREE,
    H_NBLOCKS,
} from "./layout"

/** Byte offset of the allocation table in every pool. */
export const ATB = HEADER_BYTES

/**
 * FIT[v] describes the 4 blocks of ATB byte v: bits 0-2 the free blocks at its
 * low end (lead, 0..4), bits 3-5 the free blocks at its high end (trail,
 * 0..4), bits 6-7 the length of the free run touching neither end (inner,
 * 0..2; a byte has at most one). For v != 0 the three runs are distinct, and
 * they are all the free runs of the byte.
 */
export const FIT = Buffer.alloc(256)
for (let v = 0; v < 256; v++) {
    let lead = 0
    while (lead < 4 && ((v >> (lead << 1)) & 3) === AT_FREE) lead++
    let trail = 0
    while (trail < 4 && ((v >> ((3 - trail) << 1)) & 3) === AT_FREE) trail++
    let inner = 0
    if (lead < 4) for (let k = lead + 1; k < 3 - trail + 1 && k < 3; k++) if (((v >> (k << 1)) & 3) === AT_FREE) inner++
    FIT[v] = lead | (trail << 3) | (inner << 6)
}

/** The 2-bit ATB code of block `blk`. */
export function codeOf(buf: Buffer, blk: number): number {
    return (buf[ATB + (blk >> 2)] >> ((blk & 3) << 1)) & 3
}

/** Sets the 2-bit ATB code of block `blk`. */
export function setCode(buf: Buffer, blk: number, code: number): void {
    const i = ATB + (blk >> 2)
    const sh = (blk & 3) << 1
    buf[i] = (buf[i] & ~(3 << sh)) | (code << sh)
}

/**
 * First fit: the lowest block starting a run of `n` free blocks at or above
 * H_HINT, or -1. Never returns a block that is not AT_FREE, so the space of
 * an unreachable object ("phantom") is never used before the collector frees it.
 * A search that fails has seen every free block (none lies below the hint),
 * so it leaves the largest free run in H_LARGEST for the error message.
 */
export function findRun(buf: Buffer, n: number): number {
    const nb = buf.getAt(H_NBLOCKS, "u16")
    const hint = buf.getAt(H_HINT, "u16")
    const end = ATB + (nb >> 2)
    let i = ATB + (hint >> 2)
    let best = 0
    if (i < end) {
        // blocks of the first byte below the hint count as used (code 01)
        let v = buf[i] | (0x55 & ((1 << ((hint & 3) << 1)) - 1))
        let run = 0
        const inner = n << 6 // FIT[v] >= inner <=> the byte's inner run has n blocks
        while (true) {
            if (v === 0xaa) {
                // four tails, the commonest byte in a heap of large objects: nothing free
                if (run > best) best = run
                run = 0
            } else if (v === 0) {
                run += 4
                if (run >= n) return ((i - ATB) << 2) + 4 - run
            } else {
                const t = FIT[v]
                const lead = t & 7
                run += lead
                if (run >= n) return ((i - ATB) << 2) + lead - run
                if (run > best) best = run
                // the inner run starts at block 1 of the byte if that one is free, else at 2
                if (t >= inner) return ((i - ATB) << 2) + (((v >> 2) & 3) === AT_FREE ? 1 : 2)
                if (best < 2 && t >> 6 > best) best = t >> 6
                run = (t >> 3) & 7
            }
            if (++i >= end) {
                // a run ending at the last block of the pool
                if (run >= n) return nb - run
                if (run > best) best = run
                break
            }
            v = buf[i]
        }
    }
    buf.setAt(H_LARGEST, "u16", best)
    return -1
}

/**
 * Top-down first fit, for long-lived objects (CircuitPython's placement):
 * the highest `n` free blocks in a free run, taking the run nearest the top
 * of the pool, or -1. Reads the ATB a byte at a time from the end down to the
 * hint's byte (no free block lies below the hint). A failed search leaves the
 * largest free run in H_LARGEST, as findRun does.
 */
export function findRunTop(buf: Buffer, n: number): number {
    const nb = buf.getAt(H_NBLOCKS, "u16")
    const lo = ATB + (buf.getAt(H_HINT, "u16") >> 2)
    let run = 0
    let top = 0 // one past the highest block of the open free run
    let best = 0
    for (let i = ATB + (nb >> 2) - 1; i >= lo; i--) {
        const v = buf[i]
        const base = (i - ATB) << 2
        if (v === 0) {
            if (run === 0) top = base + 4
            run += 4
            if (run >= n) return top - n
            continue
        }
        const t = FIT[v]
        const trail = (t >> 3) & 7
        if (trail > 0) {
            if (run === 0) top = base + 4
            run += trail
            if (run >= n) return top - n
        }
        if (run > best) best = run
        const inner = t >> 6
        if (inner >= n) {
            // the inner run is blocks 1-2 (two), or block 2 or block 1 (one): take its top
            if (inner === 2) return base + 3 - n
            return ((v >> 4) & 3) === AT_FREE ? base + 2 : base + 1
        }
        if (inner > best) best = inner
        run = t & 7
        top = base + run
        if (run >= n) return top - n
    }
    if (run > best) best = run
    buf.setAt(H_LARGEST, "u16", best)
    return -1
}

/** Writes `code` for block s, then AT_TAIL for blocks s+1 .. s+n-1. */
function writeRun(buf: Buffer, s: number, n: number, code: number, tail: number, tailByte: number) {
    setCode(buf, s, code)
    let b = s + 1
    const end = s + n
    while (b < end && (b & 3) !== 0) setCode(buf, b++, tail)
    const whole = (end - b) >> 2
    if (whole > 0) {
        buf.fillAt(ATB + (b >> 2), whole, tailByte)
        b += whole << 2
    }
    while (b < end) setCode(buf, b++, tail)
}

/**
 * Marks the free run [s, s+n) allocated with head code `head` (AT_HEAD, or
 * AT_MARK for an object born during a collection) and updates the free count,
 * the low-water mark and the hint.
 */
export function claimRun(buf: Buffer, s: number, n: number, head: number): void {
    writeRun(buf, s, n, head, AT_TAIL, 0xaa)
    const free = buf.getAt(H_FREE, "u16") - n
    buf.setAt(H_FREE, "u16", free)
    if (free < buf.getAt(H_MINFREE, "u16")) buf.setAt(H_MINFREE, "u16", free)
    // nothing free lies in [hint, s+n) when the run started at the hint
    if (buf.getAt(H_HINT, "u16") === s) buf.setAt(H_HINT, "u16", s + n)
}

/** Returns the run [s, s+n) to the free blocks. */
export function releaseRun(buf: Buffer, s: number, n: number): void {
    writeRun(buf, s, n, AT_FREE, AT_FREE, 0)
    buf.setAt(H_FREE, "u16", buf.getAt(H_FREE, "u16") + n)
    if (s < buf.getAt(H_HINT, "u16")) buf.setAt(H_HINT, "u16", s)
}

/**
 * Free-space figures from one pass over the ATB, a byte at a time through
 * FIT: out[0] largest free run, out[1] number of free runs, out[2] free
 * blocks, out[3] the sum of the squares of the free runs (all in blocks).
 */
export function freeRuns(buf: Buffer, out: number[]): void {
    const end = ATB + (buf.getAt(H_NBLOCKS, "u16") >> 2)
    let largest = 0
    let runs = 0
    let free = 0
    let squares = 0
    let run = 0
    for (let i = ATB; i < end; i++) {
        const v = buf[i]
        if (v === 0) {
            run += 4
            continue
        }
        if (v === 0xaa && run === 0) continue // four tails inside an object
        const t = FIT[v]
        run += t & 7 // the open run ends inside this byte
        if (run > 0) {
            runs++
            free += run
            squares += run * run
            if (run > largest) largest = run
        }
        const inner = t >> 6
        if (inner > 0) {
            runs++
            free += inner
            squares += inner * inner
            if (inner > largest) largest = inner
        }
        run = (t >> 3) & 7
    }
    if (run > 0) {
        runs++
        free += run
        squares += run * run
        if (run > largest) largest = run
    }
    out[0] = largest
    out[1] = runs
    out[2] = free
    out[3] = squares
}
