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
 * The search walks a summary of each 64-block row (below) and reads the ATB,
 * a byte (4 blocks) at a time through FIT, a 256-entry table, only inside a
 * row that may hold the fit: the VM charges per operation, not per block.
 */
import {
    AT_FREE,
    HEADER_BYTES,
    H_FREE,
    H_HINT,
    H_MINFREE,
    H_NBLOCKS,
    ROW_BLOCKS,
    ROW_ENTRY,
    ROW_SHIFT,
    RS_INNER,
    RS_LEAD,
    RS_TRAIL,
    rowTable,
} from "./layout"

/** Byte offset of the allocation table in every pool (the row summary follows it: rowTable(nb) = ATB + (nb >> 2), written out in the hot paths). */
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

/**
 * The row summary (ROW_BLOCKS = 64 blocks a row, ROW_ENTRY bytes an entry at
 * rowTable(nb) + 3r) lets a search skip whole rows: a full-pool search reads
 * 32 entries at 32 KiB instead of 512 ATB bytes.
 *
 * Invariants (verify() checks them):
 * - RS_LEAD and RS_TRAIL are exact: the free blocks from the row's first block
 *   up, and from its last block down; both are the row's length when the row
 *   is all free.
 * - RS_INNER is an upper bound on the longest free run of the row touching
 *   neither end (0 for an all-free row). Claims only ever shorten free runs,
 *   so they leave it as it is; a search that scans a row for n blocks and
 *   finds none lowers it to n - 1. An upper bound can only cost a wasted row
 *   scan, never a missed fit: first fit stays first fit.
 */

/**
 * First fit: the lowest block starting a run of `n` free blocks at or above
 * H_HINT, or -1. Never returns a block that is not AT_FREE, so the space of
 * an unreachable object ("phantom") is never used before the collector frees it.
 * Walks the row summary from the hint's row, carrying the free run that ends
 * at each row's start; reads ATB bytes only in a row whose inner bound says a
 * fit may lie inside it.
 */
export function findRun(buf: Buffer, n: number): number {
    const nb = buf.getAt(H_NBLOCKS, "u16")
    const hint = buf.getAt(H_HINT, "u16")
    const last = (nb - 1) >> ROW_SHIFT
    let r = hint >> ROW_SHIFT
    let p = ATB + (nb >> 2) + r * ROW_ENTRY
    let run = 0 // free blocks just below row r
    for (; r <= last; r++) {
        const rs = r << ROW_SHIFT
        const lead = buf[p]
        if (lead === ROW_BLOCKS || rs + lead === nb) {
            // an all-free row
            run += lead
            if (run >= n) return rs + lead - run
        } else {
            // no free block lies below the hint, so the hint's row has no lead unless the hint starts it
            if (run + lead >= n) return rs - run
            if (buf[p + RS_INNER] >= n) {
                const s = scanRow(buf, r, n, nb, lead)
                if (s >= 0) return s
            }
            run = buf[p + RS_TRAIL]
            if (run >= n) return (r < last ? rs + ROW_BLOCKS : nb) - run
        }
        p += ROW_ENTRY
    }
    return -1
}

/**
 * First fit inside row r, whose lead run (`lead` blocks) is known to be
 * shorter than `n`: reads the row's ATB bytes from the one the lead ends in
 * (at most 16) through FIT. With no fit, no free run of the row is `n` long:
 * its inner bound becomes n - 1 (cheaper than an exact figure, and as
 * correct: a bound) and it returns -1.
 */
function scanRow(buf: Buffer, r: number, n: number, nb: number, lead: number): number {
    let i = ATB + (((r << ROW_SHIFT) + lead) >> 2)
    const end = ATB + (r << 4) + 16 < ATB + (nb >> 2) ? ATB + (r << 4) + 16 : ATB + (nb >> 2)
    const innerN = n << 6 // FIT[v] >= innerN <=> the byte's inner run has n blocks
    let run = 0
    for (; i < end; i++) {
        const v = buf[i]
        if (v === 0) {
            run += 4
            if (run >= n) return ((i - ATB) << 2) + 4 - run
            continue
        }
        const t = FIT[v]
        run += t & 7
        if (run >= n) return ((i - ATB) << 2) + (t & 7) - run
        // the inner run starts at block 1 of the byte if that one is free, else at 2
        if (t >= innerN) return ((i - ATB) << 2) + (((v >> 2) & 3) === AT_FREE ? 1 : 2)
        run = (t >> 3) & 7
    }
    if (run >= n) return ((end - ATB) << 2) - run
    buf[ATB + (nb >> 2) + r * ROW_ENTRY + RS_INNER] = n - 1
    return -1
}

/**
 * Top-down first fit, for long-lived objects (CircuitPython's placement):
 * the highest `n` free blocks in a free run, taking the run nearest the top
 * of the pool, or -1. Walks the row summary from the last row down to the
 * hint's row (no free block lies below the hint), as findRun does upwards.
 */
export function findRunTop(buf: Buffer, n: number): number {
    const nb = buf.getAt(H_NBLOCKS, "u16")
    const lo = buf.getAt(H_HINT, "u16") >> ROW_SHIFT
    let r = (nb - 1) >> ROW_SHIFT
    let p = ATB + (nb >> 2) + r * ROW_ENTRY
    let run = 0 // free blocks just above row r
    let top = nb // one past the highest block of that run
    for (; r >= lo; r--) {
        const rs = r << ROW_SHIFT
        const re = rs + ROW_BLOCKS < nb ? rs + ROW_BLOCKS : nb
        const trail = buf[p + RS_TRAIL]
        if (trail === re - rs) {
            if (run === 0) top = re
            run += trail
            if (run >= n) return top - n
        } else {
            if (run === 0) top = re
            if (run + trail >= n) return top - n
            if (buf[p + RS_INNER] >= n) {
                const s = scanRowTop(buf, r, n, nb, trail)
                if (s >= 0) return s
            }
            run = buf[p + RS_LEAD]
            top = rs + run
            if (run >= n) return top - n
        }
        p -= ROW_ENTRY
    }
    return -1
}

/**
 * Top-down fit inside row r, whose trail run (`trail` blocks) is known to be
 * shorter than `n`: the highest `n` blocks of the highest run that holds
 * them, reading down from the byte the trail ends in, or -1 (then the row's
 * inner bound becomes n - 1, as in scanRow).
 */
function scanRowTop(buf: Buffer, r: number, n: number, nb: number, trail: number): number {
    const lo = ATB + (r << 4)
    const re = (r << ROW_SHIFT) + ROW_BLOCKS < nb ? (r << ROW_SHIFT) + ROW_BLOCKS : nb
    let run = 0
    let top = 0 // one past the highest block of the open free run
    for (let i = ATB + ((re - trail - 1) >> 2); i >= lo; i--) {
        const v = buf[i]
        const base = (i - ATB) << 2
        if (v === 0) {
            if (run === 0) top = base + 4
            run += 4
            if (run >= n) return top - n
            continue
        }
        const t = FIT[v]
        const tr = (t >> 3) & 7
        if (tr > 0) {
            if (run === 0) top = base + 4
            run += tr
            if (run >= n) return top - n
        }
        if (t >> 6 >= n) {
            // the inner run is blocks 1-2 (two), or block 2 or block 1 (one): take its top
            if (t >> 6 === 2) return base + 3 - n
            return ((v >> 4) & 3) === AT_FREE ? base + 2 : base + 1
        }
        run = t & 7
        top = base + run
        if (run >= n) return top - n
    }
    buf[ATB + (nb >> 2) + r * ROW_ENTRY + RS_INNER] = n - 1
    return -1
}

/**
 * The longest free run, in blocks, for a failed allocation's message: the
 * runs across rows from the exact leads and trails, then the inner runs,
 * reading a row's ATB bytes (and making its bound exact) only where its bound
 * is above the longest found so far. A failed search for n blocks has already
 * lowered every bound it read below n, so this mostly reads the summary alone.
 */
export function largestRun(buf: Buffer): number {
    const nb = buf.getAt(H_NBLOCKS, "u16")
    const first = buf.getAt(H_HINT, "u16") >> ROW_SHIFT // no free block lies below the hint
    const last = (nb - 1) >> ROW_SHIFT
    const table = rowTable(nb)
    let best = 0
    let run = 0
    let p = table + first * ROW_ENTRY
    for (let r = first; r <= last; r++) {
        const lead = buf[p]
        run += lead
        if (lead !== ROW_BLOCKS && (r << ROW_SHIFT) + lead !== nb) {
            if (run > best) best = run
            run = buf[p + RS_TRAIL]
        }
        p += ROW_ENTRY
    }
    if (run > best) best = run
    p = table + first * ROW_ENTRY
    for (let r = first; r <= last; r++) {
        if (buf[p + RS_INNER] > best) {
            const inner = (rowRuns(buf, r, nb) >> 8) & 0xff
            buf[p + RS_INNER] = inner // exact from now on
            if (inner > best) best = inner
        }
        p += ROW_ENTRY
    }
    return best
}

/**
 * The exact figures of row r, from its ATB bytes through FIT: lead | inner << 8
 * | trail << 16 (as in the row summary; an all-free row: lead = trail = its
 * length, inner 0).
 */
export function rowRuns(buf: Buffer, r: number, nb: number): number {
    let i = ATB + (r << 4)
    const end = i + 16 < ATB + (nb >> 2) ? i + 16 : ATB + (nb >> 2)
    let run = 0
    let inner = 0
    let lead = -1
    for (; i < end; i++) {
        const v = buf[i]
        if (v === 0) {
            run += 4
            continue
        }
        const t = FIT[v]
        run += t & 7
        if (lead < 0) lead = run
        else if (run > inner) inner = run
        if (t >> 6 > inner) inner = t >> 6
        run = (t >> 3) & 7
    }
    return (lead < 0 ? run : lead) | (inner << 8) | (run << 16)
}

/**
 * Writes the exact summary of rows r0..r1 from the ATB (the sweep, which
 * frees blocks straight in the ATB, calls it for the rows it touched; the
 * Pool constructor for all of them).
 */
export function summariseRows(buf: Buffer, r0: number, r1: number): void {
    const nb = buf.getAt(H_NBLOCKS, "u16")
    let p = rowTable(nb) + r0 * ROW_ENTRY
    for (let r = r0; r <= r1; r++) {
        const f = rowRuns(buf, r, nb)
        buf[p] = f
        buf[p + RS_INNER] = f >> 8
        buf[p + RS_TRAIL] = f >> 16
        p += ROW_ENTRY
    }
}

/**
 * Marks the free run [s, s+n) allocated with head code `head` (AT_HEAD, or
 * AT_MARK for an object born during a collection) and updates the free count,
 * the low-water mark, the hint and the row summary.
 */
export function claimRun(buf: Buffer, s: number, n: number, head: number): void {
    const e = s + n
    // the run's ATB bits are all AT_FREE (0): OR in the head code at s and the tail code
    // (0xaa is four of it) above, a whole byte at a time between its first and last byte
    let i = ATB + (s >> 2)
    const sh = (s & 3) << 1
    if ((s & 3) + n <= 4) buf[i] = buf[i] | (((0xa8 | head) & ((1 << (n << 1)) - 1)) << sh)
    else {
        buf[i] = buf[i] | (((0xa8 | head) << sh) & 0xff)
        const last = ATB + ((e - 1) >> 2)
        i++
        if (last - i > 3) buf.fillAt(i, last - i, 0xaa)
        else for (; i < last; i++) buf[i] = 0xaa
        buf[last] = buf[last] | (0xaa & ((4 << (((e - 1) & 3) << 1)) - 1))
    }
    const nb = buf.getAt(H_NBLOCKS, "u16")
    const free = buf.getAt(H_FREE, "u16") - n
    buf.setAt(H_FREE, "u16", free)
    if (free < buf.getAt(H_MINFREE, "u16")) buf.setAt(H_MINFREE, "u16", free)
    // nothing free lies in [hint, s+n) when the run started at the hint
    if (buf.getAt(H_HINT, "u16") === s) buf.setAt(H_HINT, "u16", s + n)
    // each row's part [a, z) of the run lay inside one free run of that row
    let p = ATB + (nb >> 2) + (s >> ROW_SHIFT) * ROW_ENTRY
    for (let rs = s & ~(ROW_BLOCKS - 1); rs < e; rs += ROW_BLOCKS) {
        const re = rs + ROW_BLOCKS < nb ? rs + ROW_BLOCKS : nb
        const a = s > rs ? s : rs
        const z = e < re ? e : re
        const lead = buf[p]
        if (lead === re - rs) {
            // an all-free row keeps a lead and a trail, no inner run
            buf[p] = a - rs
            buf[p + RS_TRAIL] = re - z
        } else if (a < rs + lead) {
            // inside the lead: what is left above the claim no longer touches the start
            buf[p] = a - rs
            if (rs + lead - z > buf[p + RS_INNER]) buf[p + RS_INNER] = rs + lead - z
        } else {
            const t0 = re - buf[p + RS_TRAIL]
            if (z > t0) {
                // inside the trail: what is left below the claim no longer touches the end
                buf[p + RS_TRAIL] = re - z
                if (a - t0 > buf[p + RS_INNER]) buf[p + RS_INNER] = a - t0
            }
            // inside an inner run: the bound still holds
        }
        p += ROW_ENTRY
    }
}

/**
 * Returns the run [s, s+n) to the free blocks and updates the free count, the
 * hint and the row summary (the freed blocks merge with the free blocks
 * around them, found by reading the ATB on either side, inside each row).
 * `below` and `above` are numbers of blocks just below s and just above s+n
 * the caller knows are free (a compaction's gap; 0 for free()): the reading
 * starts past them.
 */
export function releaseRun(buf: Buffer, s: number, n: number, below: number, above: number): void {
    const e = s + n
    // AT_FREE is 0: clear the run's bits, a whole byte at a time between its first and last byte
    let i = ATB + (s >> 2)
    const s2 = (s & 3) << 1
    if ((s & 3) + n <= 4) buf[i] = buf[i] & ~(((1 << (n << 1)) - 1) << s2)
    else {
        buf[i] = buf[i] & ((1 << s2) - 1)
        const last = ATB + ((e - 1) >> 2)
        i++
        if (last - i > 3) buf.fillAt(i, last - i, 0)
        else for (; i < last; i++) buf[i] = 0
        buf[last] = buf[last] & ~((4 << (((e - 1) & 3) << 1)) - 1)
    }
    const nb = buf.getAt(H_NBLOCKS, "u16")
    const free = buf.getAt(H_FREE, "u16") + n
    buf.setAt(H_FREE, "u16", free)
    if (s < buf.getAt(H_HINT, "u16")) buf.setAt(H_HINT, "u16", s)
    let p = ATB + (nb >> 2) + (s >> ROW_SHIFT) * ROW_ENTRY
    for (let rs = s & ~(ROW_BLOCKS - 1); rs < e; rs += ROW_BLOCKS) {
        let re = rs + ROW_BLOCKS
        if (re > nb) re = nb
        // (past the row's ends, a and z are clamped by the lead and trail checks below)
        let a = rs
        if (s > rs) a = s - below
        let z = re
        if (e < re) z = e + above
        // free blocks just below a and from z up, within the row: the row's lead and trail
        // runs are known free (the summary, exact, from before this release), the rest is read
        // a byte at a time through FIT: the byte is shifted so the block next to a (z) is at
        // its top (bottom), the places shifted in count as used (01), and its trail (lead) is
        // the free blocks touching a (z)
        if (a <= rs + buf[p]) a = rs
        if (z >= re - buf[p + RS_TRAIL]) z = re
        // (a used block next to the run, the common case, is told by its own code, without FIT)
        if (a > rs)
            if (((buf[ATB + ((a - 1) >> 2)] >> (((a - 1) & 3) << 1)) & 3) === AT_FREE)
                while (a > rs) {
                    const q = (a - 1) & 3
                    const sh = (3 - q) << 1
                    const c = (FIT[((buf[ATB + ((a - 1) >> 2)] << sh) | (0x55 & ((1 << sh) - 1))) & 0xff] >> 3) & 7
                    a = a - c
                    if (c <= q) break // a used block inside this byte
                }
        if (z < re)
            if (((buf[ATB + (z >> 2)] >> ((z & 3) << 1)) & 3) === AT_FREE)
                while (z < re) {
                    const q = z & 3
                    const c = FIT[((buf[ATB + (z >> 2)] >> (q << 1)) | (0x55 << ((4 - q) << 1))) & 0xff] & 7
                    z = z + c
                    if (c < 4 - q) break
                }
        if (a === rs) {
            buf[p] = z - rs
            if (z === re) {
                buf[p + RS_TRAIL] = re - rs
                buf[p + RS_INNER] = 0
            }
        } else if (z === re) buf[p + RS_TRAIL] = re - a
        else if (z - a > buf[p + RS_INNER]) buf[p + RS_INNER] = z - a
        p += ROW_ENTRY
    }
}

/**
 * Free-space figures from one pass over the ATB, a byte at a time through
 * FIT: out[0] largest free run, out[1] number of free runs, out[2] the sum of
 * the squares of the free runs (all in blocks). The free blocks are not
 * summed: they are H_FREE. stats() charges this walk per table byte
 * (C_STATS_BYTE, meter.ts): a byte with free blocks and used ones, as in a
 * fully fragmented table, is the costliest.
 */
export function freeRuns(buf: Buffer, out: number[]): void {
    const end = ATB + (buf.getAt(H_NBLOCKS, "u16") >> 2)
    let largest = 0
    let runs = 0
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
            squares += run * run
            if (run > largest) largest = run
        }
        if (t > 63) {
            // a run inside the byte: 1 or 2 blocks
            const inner = t >> 6
            runs++
            squares += inner * inner
            if (inner > largest) largest = inner
        }
        run = (t >> 3) & 7
    }
    if (run > 0) {
        runs++
        squares += run * run
        if (run > largest) largest = run
    }
    out[0] = largest
    out[1] = runs
    out[2] = squares
}
