/**
 * An independent recount of a pool's invariants, for tests: it reads the pool
 * bytes with Node's own Buffer methods and shares no code with the allocator
 * or collector. Throws with the first violation found.
 */
import type { Pool } from "../../src/index"
import * as L from "../../src/poolgc/layout"

export interface Census {
    heads: number[]
    freeBlocks: number
    live: number
}

export function checkPool(pool: Pool): Census {
    const buf = pool.buf
    const u16 = (o: number) => buf.readUInt16LE(o)
    const nb = u16(L.H_NBLOCKS)
    const data = u16(L.H_DATA)
    const htab = u16(L.H_HTAB)
    const hcap = u16(L.H_HCAP)
    const phase = buf[L.H_PHASE]
    const code = (b: number) => (buf[L.HEADER_BYTES + (b >> 2)] >> ((b & 3) * 2)) & 3
    const fail = (msg: string) => {
        throw new Error("pool invariant broken: " + msg)
    }
    if (buf.readUInt32LE(L.H_MAGIC) !== L.MAGIC) fail("magic")
    if (code(0) !== L.AT_HEAD) fail("metadata head")
    for (let b = 1; b < data; b++) if (code(b) !== L.AT_TAIL) fail("metadata tail at " + b)
    const heads: number[] = []
    let free = 0
    let firstFree = -1
    for (let b = data; b < nb; ) {
        const c = code(b)
        if (c === L.AT_FREE) {
            if (firstFree < 0) firstFree = b
            free++
            b++
            continue
        }
        if (c === L.AT_TAIL) fail("tail without head at block " + b)
        if (c === L.AT_MARK && phase === L.PHASE_IDLE) fail("marked head while idle at " + b)
        const off = b * 16
        const type = buf[off]
        if (type < 1 || type > L.T_MAX) fail("bad type " + type + " at block " + b)
        const n = (u16(off + L.O_LEN) + 8 + 15) >> 4
        if (b + n > nb) fail("object at " + b + " runs past the pool")
        for (let k = 1; k < n; k++) if (code(b + k) !== L.AT_TAIL) fail("object at " + b + " lacks tail " + k)
        const slot = u16(off + L.O_SLOT) & L.OF_SLOT
        if (slot >= hcap) fail("slot out of range at " + b)
        if (u16(htab + slot * 2) !== b) fail("handle slot " + slot + " does not point at its object " + b)
        const gen = u16(off + L.O_GEN)
        if (gen < 1 || gen > L.MAX_GEN) fail("bad generation at " + b)
        heads.push(b)
        b += n
    }
    if (free !== u16(L.H_FREE)) fail("free count " + u16(L.H_FREE) + " but " + free + " blocks are free")
    if (u16(L.H_MINFREE) > free) fail("low-water mark above free")
    if (firstFree >= 0 && u16(L.H_HINT) > firstFree) fail("hint " + u16(L.H_HINT) + " above free block " + firstFree)
    const live = (buf.readUInt32LE(L.H_ALLOCS) - buf.readUInt32LE(L.H_FREES)) >>> 0
    if (heads.length !== live) fail("live count (allocs - frees) " + live + " but " + heads.length + " objects")
    // the row summary, block by block: lead and trail exact, inner an upper bound
    const table = L.rowTable(nb)
    for (let rs = 0, p = table; rs < nb; rs += L.ROW_BLOCKS, p += L.ROW_ENTRY) {
        const re = Math.min(rs + L.ROW_BLOCKS, nb)
        const runs: number[][] = []
        for (let b = rs; b < re; b++) {
            if (code(b) !== L.AT_FREE) continue
            if (runs.length > 0 && runs[runs.length - 1][1] === b) runs[runs.length - 1][1]++
            else runs.push([b, b + 1])
        }
        const lead = runs.length > 0 && runs[0][0] === rs ? runs[0][1] - rs : 0
        const trail = runs.length > 0 && runs[runs.length - 1][1] === re ? re - runs[runs.length - 1][0] : 0
        const inner = Math.max(0, ...runs.filter(r => r[0] > rs && r[1] < re).map(r => r[1] - r[0]))
        const at = "row at block " + rs + ": "
        if (buf[p + L.RS_LEAD] !== lead) fail(at + "lead " + buf[p + L.RS_LEAD] + " but " + lead + " free blocks start it")
        if (buf[p + L.RS_TRAIL] !== trail) fail(at + "trail " + buf[p + L.RS_TRAIL] + " but " + trail + " free blocks end it")
        if (buf[p + L.RS_INNER] < inner) fail(at + "inner bound " + buf[p + L.RS_INNER] + " below its longest inner free run " + inner)
    }
    let liveSlots = 0
    for (let s = 0; s < hcap; s++) {
        const e = u16(htab + s * 2)
        if (e & L.SLOT_FREE) continue
        liveSlots++
        if (e < data || e >= nb || (code(e) !== L.AT_HEAD && code(e) !== L.AT_MARK)) fail("slot " + s + " points at non-head " + e)
        if ((u16(e * 16 + L.O_SLOT) & L.OF_SLOT) !== s) fail("slot " + s + " and its object disagree")
    }
    if (liveSlots !== heads.length) fail(liveSlots + " live slots for " + heads.length + " objects")
    if (u16(L.H_HHINT) > hcap) fail("handle cursor " + u16(L.H_HHINT) + " past the table")
    const pid = u16(L.H_POOLID)
    if (pid < 1 || pid > L.MAX_POOL_ID) fail("pool id " + pid + " out of range")
    // every reference is null, live, or stale: never a slot outside the table, nor another pool's
    for (const b of heads) {
        const off = b * 16
        const type = buf[off]
        if (type < L.T_LIST) continue
        const refs = type === L.T_LIST ? off + 12 : off + 8
        const count = type === L.T_LIST ? buf.readUInt32LE(off + 8) : u16(off + L.O_LEN) >> 2
        if (type === L.T_LIST && 4 + count * 4 > u16(off + L.O_LEN)) fail("list at " + b + " counts past its capacity")
        for (let k = 0; k < count; k++) {
            const h = buf.readUInt32LE(refs + k * 4)
            if (h !== 0 && ((h & 0xfff) >= hcap || h >>> L.POOL_SHIFT !== pid)) fail("forged reference in object at " + b)
        }
    }
    return { heads, freeBlocks: free, live: heads.length }
}
