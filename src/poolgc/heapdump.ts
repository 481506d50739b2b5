/**
 * The heap dump: every object of a pool with its handle, type, size, offset,
 * long-lived flag and references, and the roots by name, over serial in the
 * map dumps' framing (docs/serial-format.md, "Heap dumps"), for the monitor's
 * object graph and its diff of two dumps.
 *
 * A free function in a module of its own: a program that never calls it does
 * not carry it (the demo firmware is at the boards' storage limit).
 *
 * The dump reads the live pool a few lines per VM slice, so the program may
 * change the pool while it is taken. It then takes a second, cheap pass that
 * hashes the same fields again; the dump is a snapshot of the instant between
 * the two passes when the hashes agree and the pool's allocation, free and
 * compaction counters and its roots did not move from the dump's start to the
 * second pass's end. Otherwise it says `torn <changes>` before its end line.
 */
import { ATB } from "./allocator"
import { FNV_START, fnv1a, hex } from "./memmap"
import { meter, rest } from "./meter"
import { refSpan, word } from "./graph"
import { H_ALLOCS, H_COMPACTIONS, H_DUMPS, H_FREES, H_NAMED, H_NBLOCKS, H_NCAP, H_DATA, H_SP, H_STACK, O_AUX, O_GEN, O_LEN, O_SLOT, OF_LONG, OF_SLOT, POOL_SHIFT, HANDLE_SHIFT, TYPE_LETTERS, T_MAX, T_RECORD } from "./layout"
import type { PoolCore, RecordKind } from "./core"

/** What heapDump() wrote. */
export interface HeapDumpReport {
    /** The dump's number (shared with memInfo()'s dumps: never the same as one of theirs). */
    number: number
    /** `o` lines written: the objects. */
    objects: number
    /** Lines written, the end line included. */
    lines: number
    /** Characters written, each line counted with its newline. */
    chars: number
    /** Changes seen while the dump was taken (its `torn` line); 0 for a clean snapshot. */
    changes: number
}

/** Most characters of a line's text: with the longest prefix (`@4294967295:99999 `) a line stays under 150. */
const TEXT_MAX = 120
/** Most characters of a root, kind or field name on a line. */
const NAME_MAX = 40
/** Lines written between suspensions, as memInfo()'s. */
const LINES_PER_SLICE = 8
/** Console bytes between positive sleeps, and what the link carries a millisecond (memInfo()'s pacing). */
const PRINT_BYTES = 1024
const DRAIN_BYTES_PER_MS = 64
/**
 * What a line costs the VM at most, formatted, hashed and printed, and each
 * step of the walk over free space before an `o` line. Measured
 * (tools/step-probe.mjs): heapdump-lines, 8 `o` lines of 1-block records of
 * two fields, 12,468 operations (1,559 a line); heapdump-lines-wide, 8 of a
 * list's lines of about 120 characters (its `o` line and 7 `+` lines),
 * 28,951 (3,619 a line): 4,500 is 24 % above that.
 */
export const C_HEAP_LINE = 4500
export const C_SKIP = 24
/**
 * The second pass: VM operations it spends a slice (its own estimate,
 * charged), and its costs. Measured (tools/step-probe.mjs, heapdump-check:
 * the 32 KiB chain of 1-block records of two fields): a slice charged 40,000
 * (about 88 objects at 400 + 24 + 2 x 16) spent 31,526, about 360 an object:
 * 27 % margin.
 */
export const CHECK_SLICE = 40000
const C_CHECK_OBJECT = 400
const C_CHECK_REF = 16

/** FNV-1a's step on a whole number: the hash both passes take of the fields they read. */
function mix(h: number, v: number): number {
    return Math.imul(h ^ v, 16777619)
}

/** The counters that move when objects are allocated, freed or moved, and the roots: [allocs, frees, compactions, roots hash]. */
function census(buf: Buffer, roots: string[]): number[] {
    let h = FNV_START
    const named = buf.getAt(H_NAMED, "u16")
    const ncap = buf.getAt(H_NCAP, "u16")
    for (let i = 0; i < ncap; i++) {
        const n = roots[i]
        h = mix(h, buf.getAt(named + (i << 2), "u32"))
        if (n !== null && n !== undefined) h = fnv1a(mix(h, n.length), n)
    }
    const sp = buf.getAt(H_SP, "u16")
    const stack = buf.getAt(H_STACK, "u16")
    h = mix(h, sp)
    for (let i = 0; i < sp; i++) h = mix(h, buf.getAt(stack + (i << 2), "u32"))
    return [buf.getAt(H_ALLOCS, "u32"), buf.getAt(H_FREES, "u32"), buf.getAt(H_COMPACTIONS, "u32"), h]
}

/**
 * A pass over the objects in ascending offset order, from block `b`: the
 * first pass formats each as it goes, the second only hashes. Both hash the
 * same words in the same order: handle, type word, length, offset, then
 * each reference. Exported for the step probes (test/vm/probes.ts).
 */
export class Walk {
    b: number
    hash = FNV_START
    /** The object whose references are being read: its handle, the next reference's offset, references left. */
    handle = 0
    refAt = 0
    refLeft = 0
    /** Steps over free space and tails since the caller last looked. */
    skipped = 0
    constructor(readonly buf: Buffer, readonly hid: number) {
        this.b = buf.getAt(H_DATA, "u16")
    }

    /**
     * Moves to the next object's head, hashes its header fields and sets up
     * its references; returns its offset, or -1 past the last object.
     */
    nextObject(): number {
        const buf = this.buf
        const nb = buf.getAt(H_NBLOCKS, "u16")
        let b = this.b
        let skipped = this.skipped
        while (b < nb) {
            const v = buf[ATB + (b >> 2)]
            skipped++
            if (v === 0 && (b & 3) === 0) {
                b += 4
                continue
            }
            // a head (marked or not) starts an object; free blocks and tails do not
            if (((v >> ((b & 3) << 1)) & 1) === 0) {
                b++
                continue
            }
            const off = b << 4
            const len = buf.getAt(off + O_LEN, "u16")
            const sw = buf.getAt(off + O_SLOT, "u16")
            const h = this.hid | (buf.getAt(off + O_GEN, "u16") << HANDLE_SHIFT) | (sw & OF_SLOT)
            this.hash = mix(mix(mix(mix(this.hash, h), buf[off] | (buf[off + O_AUX] << 8) | (sw & OF_LONG)), len), off)
            const span = refSpan(buf, off)
            this.handle = h
            this.refAt = span[0]
            this.refLeft = span[1]
            this.b = b + ((len + 23) >> 4)
            this.skipped = skipped
            return off
        }
        this.b = b
        this.skipped = skipped
        return -1
    }

    /** Appends the current object's next references to `s` while it stays within TEXT_MAX. */
    refs(s: string): string {
        const buf = this.buf
        while (this.refLeft > 0) {
            const r = buf.getAt(this.refAt, "u32")
            const t = " " + r
            if (s.length + t.length > TEXT_MAX) break
            s += t
            this.hash = mix(this.hash, r)
            this.refAt += 4
            this.refLeft--
        }
        return s
    }

    /** The second pass: hashes objects for at most about `ops` VM operations; true when past the last one. */
    check(ops: number): boolean {
        const buf = this.buf
        let cost = 0
        while (cost < ops) {
            if (this.refLeft === 0) {
                this.skipped = 0
                if (this.nextObject() < 0) {
                    meter.spent(cost + this.skipped * C_SKIP)
                    return true
                }
                cost += C_CHECK_OBJECT + this.skipped * C_SKIP
            }
            const left = this.refLeft
            if (left === 0) continue
            let at = this.refAt
            let h = this.hash
            // at least one reference a round, so a slice always moves on
            const most = ((ops - cost) / C_CHECK_REF) | 0
            const n = left < most ? left : most > 0 ? most : 1
            for (let i = 0; i < n; i++) {
                h = Math.imul(h ^ buf.getAt(at, "u32"), 16777619)
                at += 4
            }
            cost += n * C_CHECK_REF
            this.hash = h
            this.refAt = at
            this.refLeft = left - n
        }
        meter.spent(cost)
        return false
    }
}

/**
 * Formats the dump's lines one at a time (next()), framed: `@<dump>:<line>`
 * and the running checksum of the texts, as memmap.ts's Dump does.
 * Exported for the step probes (test/vm/probes.ts).
 */
export class HeapLines {
    readonly number: number
    line = 0
    crc = FNV_START
    objects = 0
    stage = 0
    i = 0
    readonly walk: Walk
    constructor(readonly buf: Buffer, readonly roots: string[], readonly kinds: RecordKind[], hid: number) {
        this.number = buf.getAt(H_DUMPS, "u32") + 1
        buf.setAt(H_DUMPS, "u32", this.number)
        this.walk = new Walk(buf, hid)
    }

    /** `text` framed as line `line` of the dump, and counted into its checksum. */
    frame(text: string): string {
        this.crc = Math.imul(fnv1a(this.crc, text) ^ 10, 16777619)
        return "@" + this.number + ":" + this.line++ + " " + text
    }

    /** The end line. */
    end(): string {
        return "@" + this.number + ":" + this.line + " end lines=" + this.line + " crc=" + hex(this.crc, 8)
    }

    /** The next payload line's text, or null after the last object. */
    next(): string {
        const buf = this.buf
        if (this.stage === 0) {
            this.stage = 1
            let r = 0
            for (let i = 0; i < this.roots.length; i++) if (this.roots[i] !== null && this.roots[i] !== undefined) r++
            const objects = (buf.getAt(H_ALLOCS, "u32") - buf.getAt(H_FREES, "u32")) >>> 0
            return "HEAP: objects: " + objects + ", roots: " + r + ", kinds: " + this.kinds.length + ", total: " + (buf.getAt(H_NBLOCKS, "u16") << 4)
        }
        if (this.stage === 1) {
            if (this.i < this.kinds.length) {
                const k = this.kinds[this.i++]
                let s = " k " + k.id + " " + word(k.name, NAME_MAX) + " "
                if (k.fields.length === 0) return s + "-"
                for (let f = 0; f < k.fields.length; f++) {
                    const w = word(k.fields[f], NAME_MAX)
                    if (s.length + w.length + 5 > TEXT_MAX) return s + ",..."
                    s += (f > 0 ? "," : "") + w
                }
                return s
            }
            this.stage = 2
            this.i = 0
        }
        if (this.stage === 2) {
            const ncap = buf.getAt(H_NCAP, "u16")
            while (this.i < ncap) {
                const i = this.i++
                const n = this.roots[i]
                if (n !== null && n !== undefined) return " r " + word(n, NAME_MAX) + " " + buf.getAt(buf.getAt(H_NAMED, "u16") + (i << 2), "u32")
            }
            this.stage = 3
            this.i = 0
        }
        if (this.stage === 3) {
            if (this.i < buf.getAt(H_SP, "u16")) return " t " + buf.getAt(buf.getAt(H_STACK, "u16") + (this.i++ << 2), "u32")
            this.stage = 4
        }
        const w = this.walk
        if (w.refLeft > 0) return w.refs(" + " + w.handle)
        const off = w.nextObject()
        if (off < 0) return null
        this.objects++
        const t = buf[off]
        const sw = buf.getAt(off + O_SLOT, "u16")
        const letter = t >= 1 && t <= T_MAX ? TYPE_LETTERS[t] : "?"
        return w.refs(
            " o " + w.handle + " " + (t === T_RECORD ? letter + buf[off + O_AUX] : letter) + " " + buf.getAt(off + O_LEN, "u16") + " " + off + " " + ((sw & OF_LONG) !== 0 ? "L" : "-")
        )
    }
}

/**
 * Prints lines paced as memInfo()'s are: at most LINES_PER_SLICE lines and
 * PRINT_BYTES bytes between positive sleeps, each sleep as long as the link
 * needs for the bytes written since the one before. Exported for the step
 * probes (test/vm/probes.ts).
 */
export class Pacer {
    k = 0
    bytes = 0
    lines = 0
    chars = 0
    constructor(readonly sink: (line: string) => void) {}

    async out(line: string): Promise<void> {
        // "> " before, "\n" after: what the line takes in a board's log ring
        const n = line.length + 3
        if (this.k === LINES_PER_SLICE || this.bytes + n > PRINT_BYTES) await this.flush()
        if (this.sink) this.sink(line)
        else console.log(line)
        this.k++
        this.bytes += n
        this.lines++
        this.chars += line.length + 1
    }

    /** The positive sleep that lets a board's log ring send what was written since the last one. */
    async flush(): Promise<void> {
        await rest(Math.ceil(this.bytes / DRAIN_BYTES_PER_MS) || 1)
        this.k = 0
        this.bytes = 0
    }
}

/** True while a heap dump is being written: one at a time (their pacing assumes so). */
let writing = false

/**
 * Writes a heap dump of `pool` (docs/serial-format.md, "Heap dumps") to the
 * console, or to `sink`: the record kinds, the named roots, the root stack's
 * temporaries and every allocated object, phantoms included, in offset
 * order, with its references. Paced as memInfo() is (at most 8 lines and
 * 1,024 bytes between positive sleeps), so it never trips the VM's step limit
 * and a board's log ring sends it whole; the program may run between its
 * slices, and if it changes the pool meanwhile the dump ends with
 * `torn <changes>`. Its VM memory is one line at a time. One heap dump at a
 * time: a second call waits for the first.
 */
export async function heapDump(pool: PoolCore, sink?: (line: string) => void): Promise<HeapDumpReport> {
    const names = pool.graphNames()
    const roots = names[0] as string[]
    while (writing) await rest(1)
    writing = true
    try {
        // what the program printed before goes out first; the count starts again
        await rest(1)
        const buf = pool.buf
        const hid = pool.id << POOL_SHIFT
        const w = new HeapLines(buf, roots, names[1] as RecordKind[], hid)
        const before = census(buf, roots)
        const p = new Pacer(sink)
        let text = w.next()
        while (text !== null) {
            meter.spent(C_HEAP_LINE + w.walk.skipped * C_SKIP)
            w.walk.skipped = 0
            await p.out(w.frame(text))
            text = w.next()
        }
        // the second pass, from the first object again, a slice at a time; then the verdict
        await p.flush()
        const again = new Walk(buf, hid)
        while (!again.check(CHECK_SLICE)) await rest(1)
        const after = census(buf, roots)
        let changes = ((after[0] - before[0]) >>> 0) + ((after[1] - before[1]) >>> 0) + ((after[2] - before[2]) >>> 0)
        if (after[3] !== before[3]) changes++
        if (again.hash !== w.walk.hash) changes++
        if (changes > 0) await p.out(w.frame(" torn " + changes))
        await p.out(w.end())
        await p.flush()
        return { number: w.number, objects: w.objects, lines: p.lines, chars: p.chars, changes: changes }
    } finally {
        writing = false
    }
}
