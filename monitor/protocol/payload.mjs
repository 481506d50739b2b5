/**
 * Reads the payload of a whole dump (docs/serial-format.md, "Payload"): the
 * summary lines into numbers, and the map rows, folded free rows included
 * and packed ones unpacked, into one character per 16-byte block.
 *
 * The summary is the four lines every dump has, then (poolgc since the
 * statistics lines) ` allocs: ...`, ` by type: ...` and, in a phantom view
 * only, ` phantoms: ...`. A dump without those lines (an older device) parses
 * as before: the fields they carry are absent from its stats.
 */

export const BLOCK = 16
export const ROW_BLOCKS = 64
export const LAYOUT_LINE = "GC memory layout; from 0:"

/**
 * @typedef {{ objects: number, bytes: number }} TypeUsage
 * @typedef {{ total: number, used: number, free: number, ones: number, twos: number, maxBlock: number,
 *   maxFreeBlocks: number, objects: number, meta: number, freeRuns: number, largestFree: number, minFree: number,
 *   collections: number, pauseMs: number, work: number, phase: string, auto: boolean, threshold: number,
 *   fragmentation: number,
 *   allocs?: number, releases?: number, swept?: number, compactions?: number, gcWork?: number, gcMs?: number,
 *   fragPercent?: number, largestAlloc?: number,
 *   byType?: Record<string, TypeUsage>,
 *   phantoms?: { objects: number, bytes: number } }} DumpStats
 *   `fragmentation`: 1 - largestFree / free (0 when nothing or everything is in one run), the monitor's own figure.
 *   From the ` allocs:` line (absent without it): `allocs` objects ever allocated, `releases` freed by free(),
 *   `swept` freed by collections, `compactions` completed compactions, `gcWork` / `gcMs` the collector's work
 *   units and milliseconds ever, `fragPercent` the device's (umm_malloc's) figure
 *   100 - 100 * sqrt(sum of free runs squared) / sum of free runs, in percent as printed (one decimal),
 *   `largestAlloc` the largest payload an allocation gets now (largest free run - 8 header bytes, 0 if none).
 *   `byType` (from ` by type:`): for each type name, its live objects and the bytes of their blocks.
 *   `phantoms` (only in a phantom view): the objects and bytes a collection would free.
 * @typedef {{ stats: DumpStats | null, blocks: string | null, error: string | null }} Payload
 *   `blocks`: one map character per block (null for a dump without its map);
 *   `error`: why something could not be read (the dump was whole, so this is a
 *   format the monitor does not know, not a transmission error).
 */

/** A map row: its offset, then map characters, each optionally followed by a run length (packed rows). */
const ROW_RE = /^([0-9a-f]{5}): ((?:[A-Za-z.=?](?:[1-9][0-9]?)?)*)$/
const RUN_RE = /([A-Za-z.=?])([1-9][0-9]?)/g
const FOLD_RE = /^ {7}\((\d+) lines all free\)$/
/** The counters line; before the split into two lines, it also carried the GC_RE fields (still read). */
const ALLOCS_RE = /^ allocs: (\d+), releases: (\d+), swept: (\d+), compactions: (\d+)(?:, (.*))?$/
const GC_RE = /^ ?gc work: (\d+), gc time: (\d+) ms, frag: (\d+(?:\.\d+)?)%, largest alloc: (\d+)$/
const TYPE_RE = /^([a-z]+) (\d+)\/(\d+)$/
const PHANTOMS_RE = /^ phantoms: (\d+) objects, (\d+) bytes a collection would free$/

/**
 * `key: value` pairs of a summary line: "GC: total: 16384, used: 960" gives
 * total and used; the value is the text up to the next comma.
 * @param {string} text
 */
function pairs(text) {
    /** @type {Record<string, string>} */
    const out = {}
    for (const part of text.split(",")) {
        const m = /([^:]+):\s*([^:]*)$/.exec(part.trim())
        if (m) out[m[1].trim()] = m[2].trim()
    }
    return out
}

/**
 * Reads the summary lines after the first four into `stats`. Returns an
 * error, or null. A line it does not know (a newer device's) is skipped: the
 * format grows by adding summary lines.
 * @param {string[]} lines
 * @param {DumpStats} stats
 * @returns {string | null}
 */
function extraSummary(lines, stats) {
    for (const [k, text] of lines.entries()) {
        const at = k + 4
        if (text.startsWith(" allocs:")) {
            const m = ALLOCS_RE.exec(text)
            if (!m) return `unreadable statistics line ${at}: ${text}`
            const [allocs, releases, swept, compactions] = m.slice(1, 5).map(Number)
            Object.assign(stats, { allocs, releases, swept, compactions })
            if (m[5] !== undefined) {
                // the single-line form of the first devices with these figures
                const g = GC_RE.exec(m[5])
                if (!g) return `unreadable statistics line ${at}: ${text}`
                const [gcWork, gcMs, fragPercent, largestAlloc] = g.slice(1).map(Number)
                Object.assign(stats, { gcWork, gcMs, fragPercent, largestAlloc })
            }
        } else if (text.startsWith(" gc work:")) {
            const g = GC_RE.exec(text)
            if (!g) return `unreadable statistics line ${at}: ${text}`
            const [gcWork, gcMs, fragPercent, largestAlloc] = g.slice(1).map(Number)
            Object.assign(stats, { gcWork, gcMs, fragPercent, largestAlloc })
        } else if (text.startsWith(" by type:")) {
            /** @type {Record<string, TypeUsage>} */
            const byType = {}
            for (const part of text.slice(" by type:".length).split(",")) {
                const m = TYPE_RE.exec(part.trim())
                if (!m) return `unreadable line ${at} (by type): ${text}`
                byType[m[1]] = { objects: Number(m[2]), bytes: Number(m[3]) }
            }
            stats.byType = byType
        } else if (text.startsWith(" phantoms:")) {
            const m = PHANTOMS_RE.exec(text)
            if (!m) return `unreadable line ${at} (phantoms): ${text}`
            stats.phantoms = { objects: Number(m[1]), bytes: Number(m[2]) }
        } else if (!text.startsWith(" ")) return `unexpected line ${at}: ${text}`
    }
    return null
}

/**
 * A phantom's map character: the lower-case letter of its type (in a phantom
 * view, an object a collection would free).
 * @param {string} ch
 */
export function isPhantom(ch) {
    return ch >= "a" && ch <= "z"
}

/**
 * @param {string[]} texts the n payload texts of a whole dump
 * @returns {Payload}
 */
export function parsePayload(texts) {
    if (texts.length < 4) return { stats: null, blocks: null, error: `only ${texts.length} summary lines` }
    const kv = Object.assign({}, ...texts.slice(0, 4).map(pairs))
    /** @param {string} key */
    const num = key => {
        const v = parseFloat(kv[key])
        return Number.isFinite(v) ? v : NaN
    }
    const free = num("free")
    const largestFree = num("largest free")
    /** @type {DumpStats} */
    const stats = {
        total: num("total"),
        used: num("used"),
        free,
        ones: num("No. of 1-blocks"),
        twos: num("2-blocks"),
        maxBlock: num("max blk sz"),
        maxFreeBlocks: num("max free sz"),
        objects: num("objects"),
        meta: num("meta"),
        freeRuns: num("free runs"),
        largestFree,
        minFree: num("min free"),
        collections: num("collections"),
        pauseMs: num("pause"),
        work: num("work"),
        phase: kv.phase ?? "?",
        auto: kv.auto === "on",
        threshold: num("threshold"),
        fragmentation: free > 0 && largestFree >= 0 ? Math.max(0, 1 - largestFree / free) : 0,
    }
    const missing = Object.entries(stats).filter(([, v]) => typeof v === "number" && Number.isNaN(v))
    if (missing.length) return { stats, blocks: null, error: `unreadable summary field(s): ${missing.map(e => e[0]).join(", ")}` }
    let layout = texts.indexOf(LAYOUT_LINE, 4)
    if (layout < 0) layout = texts.length
    const extraError = extraSummary(texts.slice(4, layout), stats)
    if (extraError) return { stats, blocks: null, error: extraError }
    if (layout === texts.length) return { stats, blocks: null, error: null }
    if (stats.total % BLOCK !== 0) return { stats, blocks: null, error: `total ${stats.total} is not whole blocks` }
    const nblocks = stats.total / BLOCK
    let map = ""
    for (let i = layout + 1; i < texts.length; i++) {
        const fold = FOLD_RE.exec(texts[i])
        if (fold) {
            map += ".".repeat(Number(fold[1]) * ROW_BLOCKS)
            continue
        }
        const row = ROW_RE.exec(texts[i])
        if (!row) return { stats, blocks: null, error: `unreadable map line ${i}: ${texts[i]}` }
        const at = parseInt(row[1], 16) / BLOCK
        if (at !== map.length) return { stats, blocks: null, error: `map line ${i} starts at block ${at}, expected ${map.length}` }
        const chars = unpackRow(row[2])
        if (chars === null || chars.length > ROW_BLOCKS) return { stats, blocks: null, error: `map line ${i} is longer than ${ROW_BLOCKS} blocks` }
        map += chars
    }
    if (map.length !== nblocks) return { stats, blocks: null, error: `the map has ${map.length} blocks, total says ${nblocks}` }
    return { stats, blocks: map, error: null }
}

/**
 * A map row's characters unpacked (the packedMap option: `A=7` is an A and
 * seven `=`); a plain row comes back as it is. null if a run is longer than a
 * row.
 * @param {string} chars the row after its `<offset>: `
 */
export function unpackRow(chars) {
    let tooLong = false
    const out = chars.replace(RUN_RE, (_, c, k) => {
        if (Number(k) > ROW_BLOCKS) tooLong = true
        return tooLong ? "" : c.repeat(Number(k))
    })
    return tooLong ? null : out
}

/**
 * A dump's text with a packed map row unpacked, for showing it as MicroPython
 * prints it; every other text as it is.
 * @param {string} text
 */
export function plainText(text) {
    const row = ROW_RE.exec(text)
    const chars = row ? unpackRow(row[2]) : null
    return chars === null ? text : row[1] + ": " + chars
}

/**
 * The type letter of each block: a head's own letter, a tail its head's
 * letter, `M` and `.` themselves (a tail with no head to its left is `?`).
 * A phantom's blocks keep its lower-case letter.
 * @param {string} blocks
 */
export function blockTypes(blocks) {
    let out = ""
    let head = "?"
    for (const c of blocks) {
        if (c === "=") out += head
        else {
            if (c !== "." && c !== "M") head = c
            else head = "?"
            out += c
        }
    }
    return out
}

/**
 * What changed from `prev` to `cur` (same pool size): per block "+" newly
 * allocated (a used block that was free, or now belongs to a different object),
 * "-" freed (used before, free now), " " unchanged. An object that became a
 * phantom (or is shown live again after a phantom view) has not changed: it
 * is the same object in the same blocks.
 * @param {string | null} prev
 * @param {string} cur
 */
export function blockChanges(prev, cur) {
    if (!prev || prev.length !== cur.length) return " ".repeat(cur.length)
    const headsPrev = heads(prev)
    const headsCur = heads(cur)
    let out = ""
    for (let i = 0; i < cur.length; i++) {
        const p = prev[i]
        const c = cur[i]
        const pUsed = p !== "." && p !== "M"
        const cUsed = c !== "." && c !== "M"
        if (cUsed && (!pUsed || headsPrev[i] !== headsCur[i])) out += "+"
        else if (pUsed && !cUsed) out += "-"
        else out += " "
    }
    return out
}

/**
 * For each block of an object, "head index:type:length" (the same string for
 * every block of one object, whether shown live or as a phantom); "" for free
 * and metadata blocks.
 * @param {string} blocks
 */
function heads(blocks) {
    /** @type {string[]} */
    const out = new Array(blocks.length).fill("")
    for (let i = 0; i < blocks.length; ) {
        const c = blocks[i]
        if (c === "." || c === "M") {
            i++
            continue
        }
        let j = i + 1
        while (j < blocks.length && blocks[j] === "=") j++
        const id = `${i}:${c.toUpperCase()}:${j - i}`
        for (let k = i; k < j; k++) out[k] = id
        i = j
    }
    return out
}
