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
    AT_HEAD,
    AT_TAIL,
    F_AUTO,
    H_ALLOCS,
    H_COLLECTIONS,
    H_COMPACTIONS,
    H_DATA,
    H_DUMPS,
    H_FLAGS,
    H_FREE,
    H_FREES,
    H_GCWORK,
    H_MINFREE,
    H_NBLOCKS,
    H_PHASE,
    H_SWEPT,
    H_TBLOCKS,
    H_TCOUNT,
    H_THRESH,
    H_WORK,
    OBJ_HEADER,
    PHANTOM_LETTERS,
    ROW_BLOCKS,
    TYPE_LETTERS,
    TYPE_NAMES,
    T_MAX,
} from "./layout"

const HEX = "0123456789abcdef"
const PHASES = ["idle", "mark", "sweep", "hold", "compact", "lift"]
/** Map character for each possible type byte: TYPE_LETTERS, "?" for anything else. */
const TYPE_CHARS = Buffer.alloc(256)
for (let t = 0; t < 256; t++) TYPE_CHARS[t] = t >= 1 && t <= T_MAX ? TYPE_LETTERS.charCodeAt(t) : 63
/** The same for a phantom in a phantom view: PHANTOM_LETTERS. */
const PHANTOM_CHARS = Buffer.alloc(256)
for (let t = 0; t < 256; t++) PHANTOM_CHARS[t] = t >= 1 && t <= T_MAX ? PHANTOM_LETTERS.charCodeAt(t) : 63
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
 * One dump, taken in three stages so that no stage is long for the VM:
 * 1. the constructor copies the allocation table and the header figures (the
 *    instant the dump shows);
 * 2. walk() reads that copy, a bounded number of ATB bytes per call, for the
 *    map characters and MicroPython's gc_info() figures; the program may run
 *    between calls;
 * 3. next() formats the lines one at a time.
 * The walk reads one thing from the live pool: the type byte of each head.
 * Only an allocation rewrites a header (freeing leaves it), so the pool calls
 * capture() before it allocates over blocks while a walk is in progress, and
 * the letters of the snapshot's heads there are taken first.
 * Creating a Dump increments the pool's dump counter.
 */
export class Dump {
    /** The dump number printed on every line. */
    readonly number: number
    private readonly verbose: boolean
    private readonly texts: string[] = []
    /** Map characters, one per block. */
    private readonly chars: Buffer
    /** The allocation table at the instant of the dump. */
    private readonly atb: Buffer
    private readonly nb: number
    private readonly data: number
    // figures read from the header at the instant of the dump
    private readonly head: number[]
    private readonly phase: number
    private readonly auto: boolean
    private readonly pauseMs: number
    private readonly gcMs: number
    /** A phantom view: unmarked heads (ATB code HEAD) are phantoms. */
    private readonly phantom: boolean
    /** Map rows run-length packed (packRow); null when they are sent as they are. */
    private readonly packed: Buffer
    /** Objects and blocks by type at the instant of the dump: [count1, blocks1, count2, ...]. */
    private readonly types: number[] = []
    /** Phantoms found by the walk (a phantom view only). */
    phantomObjects = 0
    phantomBlocks = 0
    private inPhantom = false
    // walk state: next ATB byte, and the gc_info() figures so far
    private at: number
    private ones = 0
    private twos = 0
    private maxObj = 0
    private maxFree = 0
    private squares = 0
    private runs = 0
    private run = 0
    private obj = 0
    // line state
    private row = 0
    private line = 0
    private crc = FNV_START
    private ended = false

    /**
     * `pauseMs` is the last collection's pause and `gcMs` the time spent
     * collecting (kept outside the pool: clocks differ between the VM and
     * Node). `phantom`: a phantom view, taken when a dry cycle's marking is
     * complete. `packed`: map rows run-length packed (the pool's packedMap).
     */
    constructor(buf: Buffer, verbose: boolean, pauseMs: number, gcMs: number, phantom: boolean, packed?: boolean) {
        const nb = buf.getAt(H_NBLOCKS, "u16")
        const data = buf.getAt(H_DATA, "u16")
        this.nb = nb
        this.data = data
        this.verbose = verbose
        this.pauseMs = pauseMs
        this.gcMs = gcMs
        this.phantom = phantom
        this.packed = packed ? Buffer.alloc(ROW_BLOCKS) : null
        this.number = buf.getAt(H_DUMPS, "u32") + 1
        buf.setAt(H_DUMPS, "u32", this.number)
        // a copy: Node's Buffer.slice() shares memory where the VM's copies
        const atb = Buffer.alloc(nb >> 2)
        atb.blitAt(0, buf, ATB, nb >> 2)
        this.atb = atb
        this.head = [
            buf.getAt(H_FREE, "u16") << 4,
            (buf.getAt(H_ALLOCS, "u32") - buf.getAt(H_FREES, "u32")) >>> 0, // objects live
            buf.getAt(H_MINFREE, "u16") << 4,
            buf.getAt(H_COLLECTIONS, "u32"),
            buf.getAt(H_WORK, "u32"),
            buf.getAt(H_THRESH, "u32"),
            buf.getAt(H_ALLOCS, "u32"),
            (buf.getAt(H_FREES, "u32") - buf.getAt(H_SWEPT, "u32")) >>> 0, // released by free()
            buf.getAt(H_FREES, "u32"),
            buf.getAt(H_COMPACTIONS, "u32"),
            buf.getAt(H_GCWORK, "u32"),
        ]
        for (let t = 1; t <= T_MAX; t++) {
            this.types.push(buf.getAt(H_TCOUNT + (t << 1), "u16"))
            this.types.push(buf.getAt(H_TBLOCKS + (t << 1), "u16"))
        }
        this.phase = buf[H_PHASE]
        this.auto = (buf[H_FLAGS] & F_AUTO) !== 0
        const chars = Buffer.alloc(nb)
        chars.fillAt(data, nb - data, EQ)
        chars.fillAt(0, data, META)
        this.chars = chars
        this.at = data >> 2
    }

    /**
     * Walks at most `bytes` bytes of the table copy (4 blocks each; a byte of
     * four one-block objects costs the VM ~200 operations). Returns true when
     * the whole table has been walked. An object's size is its head plus the
     * tails that follow it.
     */
    walk(buf: Buffer, bytes: number): boolean {
        const atb = this.atb
        const chars = this.chars
        const end = atb.length
        let i = this.at
        const stop = i + bytes < end ? i + bytes : end
        let ones = this.ones
        let twos = this.twos
        let maxObj = this.maxObj
        let maxFree = this.maxFree
        let squares = this.squares
        let runs = this.runs
        let run = this.run
        let obj = this.obj
        // phantom view state, in locals like the rest (this loop is the VM's hot path)
        const phantom = this.phantom
        const data = this.data
        let inPhantom = this.inPhantom
        let pObjects = this.phantomObjects
        let pBlocks = this.phantomBlocks
        for (; i < stop; i++) {
            const v = atb[i]
            if (v === 0xaa) {
                obj += 4
                continue
            }
            let b = i << 2
            if (v === 0) {
                if (obj === 1) ones++
                else if (obj === 2) twos++
                if (obj > maxObj) maxObj = obj
                if (inPhantom) pBlocks += obj
                inPhantom = false
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
                    if (inPhantom) pBlocks += obj
                    inPhantom = phantom && c === AT_HEAD && b >= data
                    if (c === AT_FREE) {
                        obj = 0
                        chars[b] = DOT
                        run++
                    } else {
                        if (run > 0) {
                            runs++
                            squares += run * run
                            if (run > maxFree) maxFree = run
                            run = 0
                        }
                        obj = 1
                        if (inPhantom) pObjects++
                        // a letter already there was captured before an allocation
                        if (chars[b] === EQ) chars[b] = inPhantom ? PHANTOM_CHARS[buf[b << 4]] : TYPE_CHARS[buf[b << 4]]
                    }
                }
                b++
            }
        }
        this.at = i
        if (i >= end) {
            if (obj === 1) ones++
            else if (obj === 2) twos++
            if (obj > maxObj) maxObj = obj
            if (inPhantom) pBlocks += obj
            inPhantom = false
            obj = 0
            if (run > 0) {
                runs++
                squares += run * run
                if (run > maxFree) maxFree = run
                run = 0
            }
        }
        this.ones = ones
        this.twos = twos
        this.maxObj = maxObj
        this.maxFree = maxFree
        this.squares = squares
        this.inPhantom = inPhantom
        this.phantomObjects = pObjects
        this.phantomBlocks = pBlocks
        this.runs = runs
        this.run = run
        this.obj = obj
        if (i >= end && this.texts.length === 0) this.summary()
        return i >= end
    }

    /**
     * Called before blocks [blk, blk+n) are allocated while this dump's walk
     * is in progress: takes the letters of the snapshot's heads among them
     * that the walk has not reached, while their old headers are intact.
     */
    capture(buf: Buffer, blk: number, n: number): void {
        const from = this.at << 2
        const atb = this.atb
        const end = blk + n
        let b = blk < from ? from : blk
        while (b < end) {
            const v = atb[b >> 2]
            if ((v & 0x55) === 0) {
                b = (b | 3) + 1 // no head in this table byte
                continue
            }
            const c = (v >> ((b & 3) << 1)) & 3
            if (c & 1) this.chars[b] = this.phantom && c === AT_HEAD ? PHANTOM_CHARS[buf[b << 4]] : TYPE_CHARS[buf[b << 4]]
            b++
        }
    }

    private summary() {
        const texts = this.texts
        const h = this.head
        const total = this.nb << 4
        texts.push("GC: total: " + total + ", used: " + (total - h[0]) + ", free: " + h[0])
        texts.push(" No. of 1-blocks: " + this.ones + ", 2-blocks: " + this.twos + ", max blk sz: " + this.maxObj + ", max free sz: " + this.maxFree)
        texts.push(" objects: " + h[1] + ", meta: " + (this.data << 4) + ", free runs: " + this.runs + ", largest free: " + (this.maxFree << 4) + ", min free: " + h[2])
        texts.push(
            " collections: " + h[3] + ", pause: " + Math.round(this.pauseMs) + " ms, work: " + h[4] + ", phase: " + PHASES[this.phase] + ", auto: " + (this.auto ? "on" : "off") + ", threshold: " + h[5]
        )
        const free = h[0] >> 4
        const frag = free === 0 ? 0 : Math.round(1000 - (1000 * Math.sqrt(this.squares)) / free) / 10
        // two lines, so that each stays under 150 characters with every counter at 10 digits
        texts.push(" allocs: " + h[6] + ", releases: " + h[7] + ", swept: " + (h[8] - h[7]) + ", compactions: " + h[9])
        texts.push(" gc work: " + h[10] + ", gc time: " + Math.round(this.gcMs) + " ms, frag: " + frag + "%, largest alloc: " + (this.maxFree > 0 ? (this.maxFree << 4) - OBJ_HEADER : 0))
        let types = " by type:"
        for (let t = 1; t <= T_MAX; t++) types += (t > 1 ? "," : "") + " " + TYPE_NAMES[t] + " " + this.types[(t - 1) << 1] + "/" + (this.types[((t - 1) << 1) + 1] << 4)
        texts.push(types)
        if (this.phantom) texts.push(" phantoms: " + this.phantomObjects + " objects, " + (this.phantomBlocks << 4) + " bytes a collection would free")
        if (this.verbose) texts.push("GC memory layout; from 0:")
    }

    /** The next line of the dump, or null after its end line. */
    next(): string {
        if (this.ended) return null
        let text: string = null
        if (this.line < this.texts.length) text = this.texts[this.line]
        else if (this.verbose && this.row < this.nb) text = this.rowText()
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
        return hex(r << 4, 5) + ": " + (this.packed !== null ? this.packRow(r, end) : this.chars.slice(r, end).toString())
    }

    /**
     * Map characters [from, to) run-length packed: a run of three or more of
     * the same character is that character followed by the run's length in
     * decimal (`M64`, `A=7`, `.12`); shorter runs stay as they are. No map
     * character is a digit, so a reader can always tell, and a row without
     * runs reads the same either way. Never longer than the row (a run of 3
     * becomes 2 characters, a run of 10 or more 3), so ROW_BLOCKS bytes hold it.
     */
    private packRow(from: number, to: number): string {
        const chars = this.chars
        const out = this.packed
        let o = 0
        let i = from
        while (i < to) {
            const c = chars[i]
            let j = i + 1
            while (j < to && chars[j] === c) j++
            const k = j - i
            out[o++] = c
            if (k === 2) out[o++] = c
            else if (k >= 3) {
                if (k >= 10) out[o++] = 48 + ((k / 10) | 0)
                out[o++] = 48 + (k % 10)
            }
            i = j
        }
        return out.slice(0, o).toString()
    }
}
