/**
 * Reassembles poolgc dumps from console lines and decides, for each, whether it
 * arrived whole or damaged, following docs/serial-format.md:
 *
 * - every dump line is `@<dump>:<line> <text>`; the last is
 *   `@<dump>:<n> end lines=<n> crc=<fnv1a32 of the n texts, each + "\n">`;
 * - whole: lines 0..n-1 all present and the crc matches;
 * - damaged: a gap in the indexes (those lines are lost), a crc mismatch (text
 *   altered or cut), or a new dump (or a source break) before the end (the end
 *   and maybe more lines are lost);
 * - a line whose prefix cannot be parsed is not part of any dump.
 *
 * On a board each line may carry a DMESG marker (`> ` for console.log, `? `,
 * `* `, `! `), and `devs run` output a `WASM> ` prefix: both are skipped
 * before the prefix is parsed.
 */

/** `@<dump>:<line> <text>` */
const LINE_RE = /^@(\d{1,10}):(\d{1,6}) (.*)$/s
/** a line that starts like a dump line but is not one */
const GARBLED_RE = /^@\d/
const MARKER_RE = /^(?:WASM> )?(?:[>?*!] )?/
const END_RE = /^end lines=(\d{1,6}) crc=([0-9a-f]{8})$/

/**
 * @typedef {{ dump: number, index: number, text: string }} DumpLine
 * @typedef {{ whole: true, dump: number, texts: string[], lines: string[] }} WholeDump
 *   `texts`: the n payload texts; `lines`: the n + 1 framed lines as received.
 * @typedef {{ whole: false, dump: number, lost: number[], endLost: boolean, crcMismatch: boolean,
 *   expected: number | null, received: number, highest: number, duplicates: number[], cause: string,
 *   heap: boolean | null, summary: string }} DamagedDump
 *   `lost`: indexes known to be missing (of 0..n-1, or of 0..highest seen when the
 *   end was lost); `endLost`: the end line never came, so lines after the highest
 *   seen may be lost too; `crcMismatch`: all lines came but some text was altered
 *   or cut; `expected`: n from the end line, when it came; `received`: payload
 *   lines that came; `highest`: the highest payload index that came (-1: none);
 *   `cause`: what ended it (`end`, or why it was cut off); `heap`: its line 0 came and starts with `HEAP:`
 *   (true: a heap dump), or came and does not (false: a map dump), or was lost (null: it is not known which).
 * @typedef {WholeDump | DamagedDump} Verdict
 */

/**
 * FNV-1a, 32 bits, of the texts each followed by `\n`, as 8 hex digits.
 * @param {string[]} texts
 */
export function dumpCrc(texts) {
    let h = 0x811c9dc5
    for (const t of texts) {
        for (let i = 0; i < t.length; i++) h = Math.imul(h ^ (t.charCodeAt(i) & 0xff), 16777619)
        h = Math.imul(h ^ 10, 16777619)
    }
    return (h >>> 0).toString(16).padStart(8, "0")
}

/**
 * Classifies one console line.
 * @param {string} line
 * @returns {{ kind: "dump", dump: number, index: number, text: string } | { kind: "garbled" } | { kind: "log" }}
 */
export function classifyLine(line) {
    const body = line.replace(MARKER_RE, "")
    const m = LINE_RE.exec(body)
    if (m) return { kind: "dump", dump: Number(m[1]), index: Number(m[2]), text: m[3] }
    if (GARBLED_RE.test(body)) return { kind: "garbled" }
    return { kind: "log" }
}

/** "2, 3, 4, 9" as "2-4, 9". @param {number[]} xs sorted */
export function ranges(xs) {
    /** @type {string[]} */
    const parts = []
    for (let i = 0; i < xs.length; ) {
        let j = i
        while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) j++
        parts.push(j > i ? `${xs[i]}-${xs[j]}` : `${xs[i]}`)
        i = j + 1
    }
    return parts.join(", ")
}

/** One line summary of a damaged dump. @param {Omit<DamagedDump, "summary">} d */
function summarize(d) {
    /** @type {string[]} */
    const what = []
    if (d.lost.length) {
        const of = d.expected !== null ? ` of ${d.expected}` : ""
        what.push(`lost ${d.lost.length} line${d.lost.length === 1 ? "" : "s"}${of} (${ranges(d.lost)})`)
    }
    if (d.endLost) {
        const after = d.highest >= 0 ? `lines after ${d.highest}` : "all its lines"
        what.push(`its end never came (${d.cause}): the end and any ${after} lost`)
    }
    if (d.crcMismatch) what.push("all lines came but the crc does not match: some text was altered or cut")
    if (d.duplicates.length) what.push(`line${d.duplicates.length === 1 ? "" : "s"} ${ranges(d.duplicates)} came twice`)
    return `${d.heap ? "heap dump" : "dump"} ${d.dump} damaged: ${what.join("; ")}`
}

export class DumpAssembler {
    constructor() {
        /** @type {number | null} the dump being received */
        this.dump = null
        /** @type {Map<number, string>} its payload texts by index */
        this.texts = new Map()
        /** @type {Map<number, string>} its framed lines as received, by index */
        this.raw = new Map()
        /** @type {number[]} */
        this.duplicates = []
        this.highest = -1
        /** @type {{ dump: number, n: number } | null} the last dump that ended, to spot late lines */
        this.last = null
    }

    /**
     * Adds one dump line (from classifyLine). Returns the verdicts it completes:
     * none, the current dump's (its end came), and/or the previous dump's (a
     * new one started before its end).
     * @param {{ dump: number, index: number, text: string }} line
     * @param {string} [raw] the line as received
     * @returns {Verdict[]}
     */
    add({ dump, index, text }, raw = `@${dump}:${index} ${text}`) {
        /** @type {Verdict[]} */
        const out = []
        if (this.dump !== null && (dump !== this.dump || (index === 0 && this.texts.size > 0))) {
            out.push(this.cutOff(`dump ${dump} started`))
        }
        if (this.dump === null) {
            // a late line of the dump that just ended is not a new dump
            if (this.last && this.last.dump === dump && index > 0 && index <= this.last.n) return out
            this.dump = dump
        }
        const end = END_RE.exec(text)
        if (end) {
            out.push(this.finish(index, Number(end[1]), end[2], raw))
            return out
        }
        if (this.texts.has(index)) this.duplicates.push(index)
        this.texts.set(index, text)
        this.raw.set(index, raw)
        if (index > this.highest) this.highest = index
        return out
    }

    /**
     * The current dump can no longer end (a new dump started, the program
     * restarted, the source broke or went quiet): its verdict, if one is pending.
     * @param {string} cause
     * @returns {Verdict[]}
     */
    flush(cause) {
        return this.dump === null ? [] : [this.cutOff(cause)]
    }

    /** @param {string} cause @returns {DamagedDump} */
    cutOff(cause) {
        /** @type {number[]} */
        const lost = []
        for (let i = 0; i < this.highest; i++) if (!this.texts.has(i)) lost.push(i)
        const d = {
            whole: /** @type {const} */ (false),
            dump: /** @type {number} */ (this.dump),
            lost,
            endLost: true,
            crcMismatch: false,
            expected: null,
            received: this.texts.size,
            highest: this.highest,
            duplicates: [...new Set(this.duplicates)].sort((a, b) => a - b),
            cause,
            heap: this.heapKind(),
        }
        this.last = { dump: d.dump, n: Math.max(this.highest, 0) }
        this.reset()
        return { ...d, summary: summarize(d) }
    }

    /**
     * @param {number} index the end line's own index
     * @param {number} n its `lines=`
     * @param {string} crc its `crc=`
     * @param {string} raw
     * @returns {Verdict}
     */
    finish(index, n, crc, raw) {
        const dump = /** @type {number} */ (this.dump)
        /** @type {number[]} */
        const lost = []
        for (let i = 0; i < n; i++) if (!this.texts.has(i)) lost.push(i)
        const texts = []
        for (let i = 0; i < n; i++) texts.push(this.texts.get(i) ?? "")
        const extra = [...this.texts.keys()].some(i => i >= n)
        const duplicates = [...new Set(this.duplicates)].sort((a, b) => a - b)
        const crcOk = lost.length === 0 && dumpCrc(texts) === crc
        /** @type {Verdict} */
        let verdict
        if (crcOk && index === n && !extra) {
            const lines = []
            for (let i = 0; i < n; i++) lines.push(/** @type {string} */ (this.raw.get(i)))
            lines.push(raw)
            verdict = { whole: true, dump, texts, lines }
        } else {
            const d = {
                whole: /** @type {const} */ (false),
                dump,
                lost,
                endLost: false,
                // lines beyond n or an end at the wrong index also make the crc "not match" the dump
                crcMismatch: lost.length === 0 && (!crcOk || index !== n || extra),
                expected: n,
                received: [...this.texts.keys()].filter(i => i < n).length,
                highest: this.highest,
                duplicates,
                cause: "end",
                heap: this.heapKind(),
            }
            verdict = { ...d, summary: summarize(d) }
        }
        this.last = { dump, n }
        this.reset()
        return verdict
    }

    /** Whether the dump being received is a heap dump, as its line 0 says (null: line 0 has not come). */
    heapKind() {
        const first = this.texts.get(0)
        return first === undefined ? null : first.startsWith("HEAP:")
    }

    reset() {
        this.dump = null
        this.texts = new Map()
        this.raw = new Map()
        this.duplicates = []
        this.highest = -1
    }
}
