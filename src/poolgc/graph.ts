/**
 * What the heap dump (heapdump.ts) and whyAlive() (whyalive.ts) share: how an
 * object's references are found in the pool's bytes, how a stored handle is
 * resolved to a live object, and how names are made safe for a serial line.
 * Free functions, so that only programs that import heapDump() or whyAlive()
 * carry them.
 */
import { AT_TAIL, H_HCAP, H_HTAB, H_POOLID, HANDLE_SHIFT, MAX_GEN, O_GEN, O_LEN, O_LIST_COUNT, POOL_SHIFT, SLOT_FREE, T_LIST, T_RECORD } from "./layout"
import { ATB } from "./allocator"

/**
 * [byte offset of the first reference, number of references] of the object
 * at `off`: a list's items (its count, at most what its payload holds), a
 * record's fields (its payload, 4 bytes each), none for the other types.
 */
export function refSpan(buf: Buffer, off: number): number[] {
    const t = buf[off]
    const len = buf.getAt(off + O_LEN, "u16")
    if (t === T_LIST) {
        const cap = (len - 4) >> 2
        const n = buf.getAt(off + O_LIST_COUNT, "u32")
        return [off + O_LIST_COUNT + 4, n < cap ? n : cap]
    }
    if (t === T_RECORD) return [off + 8, len >> 2]
    return [off, 0]
}

/**
 * The handle slot of the live object `r` names, or -1 for null, another
 * pool's handle, a free slot or a stale generation (a reference to an object
 * freed by free() stays in its referrer: the collector skips it too).
 */
export function liveSlot(buf: Buffer, r: number): number {
    if (r === 0) return -1
    if (r >> POOL_SHIFT !== buf.getAt(H_POOLID, "u16")) return -1
    const slot = r & 0xfff
    if (slot >= buf.getAt(H_HCAP, "u16")) return -1
    const e = buf.getAt(buf.getAt(H_HTAB, "u16") + (slot << 1), "u16")
    if (e & SLOT_FREE) return -1
    if (buf.getAt((e << 4) + O_GEN, "u16") !== ((r >> HANDLE_SHIFT) & MAX_GEN)) return -1
    return slot
}

/** The byte offset of the object in handle slot `slot` (live: liveSlot() said so). */
export function slotOffset(buf: Buffer, slot: number): number {
    return buf.getAt(buf.getAt(H_HTAB, "u16") + (slot << 1), "u16") << 4
}

/** True if block `b` is a tail block (not a head, not free). */
export function isTail(buf: Buffer, b: number): boolean {
    return ((buf[ATB + (b >> 2)] >> ((b & 3) << 1)) & 3) === AT_TAIL
}

/**
 * `s` as one word of a serial line: every character outside printable ASCII,
 * and space and comma (the line's separators), becomes `?`; at most `max`
 * characters, the cut marked by a final `~`. Empty stays empty.
 */
export function word(s: string, max: number): string {
    let out = ""
    const n = s.length < max ? s.length : max
    for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i)
        out += c > 32 && c < 127 && c !== 44 ? s[i] : "?"
    }
    return s.length > max ? out + "~" : out
}
