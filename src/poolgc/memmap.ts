/**
 * The memory map writer: `micropython.mem_info(1)` for a poolgc pool, framed
 * so a reader on the far end of a lossy serial link can tell a whole dump from
 * a damaged one. The format is specified in docs/serial-format.md; in short,
 * every line is `@<dump>:<line> <text>`, the texts are MicroPython's summary
 * and 64-blocks-a-row map, and the last line is
 * `@<dump>:<n> end lines=<n> crc=<fnv1a32 of the n texts, each + "\n">`.
 *
 * All of a dump is computed before the first line is printed, so it is one
 * consistent snapshot even if a collection runs in another fiber meanwhile.
 */
import { ATB, FIT } from "./allocator"
import {
    AT_FREE,
    AT_TAIL,
    F_AUTO,
    H_COLLECTIONS,
    H_DATA,
    H_DUMPS,
    H_FLAGS,
    H_FREE,
    H_LIVE,
    H_MINFREE,
    H_NBLOCKS,
    H_PHASE,
    H_THRESH,
    H_WORK,
    ROW_BLOCKS,
    TYPE_LETTERS,
    T_MAX,
} from "./layout"

const HEX = "0123456789abcdef"
const PHASES = ["idle", "mark", "sweep"]
/** Map character for each possible type byte: TYPE_LETTERS, "?" for anything else. */
const TYPE_CHARS = Buffer.alloc(256)
for (let t = 0; t < 256; t++) TYPE_CHARS[t] = t >= 1 && t <= T_MAX ? TYPE_LETTERS.charCodeAt(t) : 63
const DOT = 46
const EQ = 61
const META = 77

/** `n` as `digits` lower-case hex digits (DeviceScript has no toString(16)). */
export function hex(n: number, digits: number): string {
    let s = ""
    for (let i = digits - 1; i >= 0; i--) s += HEX[(n >>> (i << 2)) & 15]
    return s
}

/** FNV-1a, 32 bits, of the string's char codes (all map text is ASCII), continuing from `h`. */
export function fnv1a(h: number, s: string): number {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619)
    return h
}

/** FNV-1a offset basis. */
export const FNV_START = 0x811c9dc5 | 0

/**
 * One dump. The constructor takes the snapshot in one synchronous walk over
 * the pool (the only part that must not be interrupted, so the map is one
 * instant); next() then formats the lines one at a time from the snapshot,
 * so a caller can print them across several VM slices while the program runs.
 * Creating a Dump increments the pool's dump counter.
 */
export class Dump {
    /** The dump number printed on every line. */
    readonly number: number
    private readonly texts: string[] = []
    /** Map characters, one per block (verbose only). */
    private readonly chars: Buffer
    /** A copy of the allocation table, to fold free rows. */
    private readonly atb: Buffer
    private readonly nb: number
    private readonly data: number
    private row = 0
    private line = 0
    private crc = FNV_START
    private ended = false

    /** `pauseMs` is the last collection's pause (kept outside the pool: clocks differ between the VM and Node). */
    constructor(buf: Buffer, verbose: boolean, pauseMs: number) {
        const nb = buf.getAt(H_NBLOCKS, "u16")
        const data = buf.getAt(H_DATA, "u16")
        this.nb = nb
        this.data = data
        this.number = buf.getAt(H_DUMPS, "u32") + 1
        buf.setAt(H_DUMPS, "u32", this.number)

        // One walk over the allocation table, a byte (4 blocks) at a time, fills
        // in the map characters and MicroPython's gc_info() figures. It reads
        // nothing but the table and one type byte per object: an object's size
        // is its head plus the tails that follow it. All-tail and all-free bytes
        // take one step each.
        const chars = Buffer.alloc(nb)
        chars.fillAt(data, nb - data, EQ)
        chars.fillAt(0, data, META)
        let ones = 0
        let twos = 0
        let maxObj = 0
        let maxFree = 0
        let runs = 0
        let run = 0
        let obj = 0 // blocks of the object being walked, 0 if none
        const end = ATB + (nb >> 2)
        for (let i = ATB + (data >> 2); i < end; i++) {
            const v = buf[i]
            if (v === 0xaa) {
                obj += 4
                continue
            }
            let b = (i - ATB) << 2
            if (v === 0) {
                if (obj === 1) ones++
                else if (obj === 2) twos++
                if (obj > maxObj) maxObj = obj
                obj = 0
                chars.fillAt(b, 4, DOT)
                run += 4
                continue
            }
            for (let k = 0; k < 8; k += 2) {
                const c = (v >> k) & 3
                if (c === AT_TAIL) obj++
                else {
                    if (obj === 1) ones++
                    else if (obj === 2) twos++
                    if (obj > maxObj) maxObj = obj
                    if (c === AT_FREE) {
                        obj = 0
                        chars[b] = DOT
                        run++
                    } else {
                        if (run > 0) {
                            runs++
                            if (run > maxFree) maxFree = run
                            run = 0
                        }
                        obj = 1
                        chars[b] = TYPE_CHARS[buf[b << 4]]
                    }
                }
                b++
            }
        }
        if (obj === 1) ones++
        else if (obj === 2) twos++
        if (obj > maxObj) maxObj = obj
        if (run > 0) {
            runs++
            if (run > maxFree) maxFree = run
        }
        this.chars = verbose ? chars : null
        this.atb = verbose ? buf.slice(ATB, ATB + (nb >> 2)) : null

        const texts = this.texts
        const free = buf.getAt(H_FREE, "u16") << 4
        const total = nb << 4
        texts.push("GC: total: " + total + ", used: " + (total - free) + ", free: " + free)
        texts.push(" No. of 1-blocks: " + ones + ", 2-blocks: " + twos + ", max blk sz: " + maxObj + ", max free sz: " + maxFree)
        texts.push(
            " objects: " + buf.getAt(H_LIVE, "u16") + ", meta: " + (data << 4) + ", free runs: " + runs + ", largest free: " + (maxFree << 4) + ", min free: " + (buf.getAt(H_MINFREE, "u16") << 4)
        )
        const auto = buf[H_FLAGS] & F_AUTO ? "on" : "off"
        texts.push(
            " collections: " + buf.getAt(H_COLLECTIONS, "u32") + ", pause: " + Math.round(pauseMs) + " ms, work: " + buf.getAt(H_WORK, "u32") + ", phase: " + PHASES[buf[H_PHASE]] + ", auto: " + auto + ", threshold: " + buf.getAt(H_THRESH, "u32")
        )
        if (verbose) texts.push("GC memory layout; from 0:")
    }

    /** The next line of the dump, or null after its end line. */
    next(): string {
        if (this.ended) return null
        let text: string = null
        if (this.line < this.texts.length) text = this.texts[this.line]
        else if (this.chars && this.row < this.nb) text = this.rowText()
        if (text === null) {
            this.ended = true
            return "@" + this.number + ":" + this.line + " end lines=" + this.line + " crc=" + hex(this.crc, 8)
        }
        this.crc = Math.imul(fnv1a(this.crc, text) ^ 10, 16777619)
        return "@" + this.number + ":" + this.line++ + " " + text
    }

    /** The text of the next map row, or of the fold line for a stretch of free rows. */
    private rowText(): string {
        const r = this.row
        const nb = this.nb
        if (r >= this.data) {
            // fold two or more rows that are entirely free, as MicroPython does
            let f = r
            while (f < nb) {
                const v = this.atb[f >> 2]
                if (v !== 0) {
                    f += FIT[v] & 7
                    break
                }
                f += 4
            }
            if (f > nb) f = nb
            const freeRows = ((f - r) / ROW_BLOCKS) | 0
            if (freeRows >= 2) {
                this.row = r + freeRows * ROW_BLOCKS
                return "       (" + freeRows + " lines all free)"
            }
        }
        const end = r + ROW_BLOCKS < nb ? r + ROW_BLOCKS : nb
        this.row = end
        return hex(r << 4, 5) + ": " + this.chars.slice(r, end).toString()
    }
}
