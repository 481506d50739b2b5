/**
 * The terminal view: the live map, one coloured character per block (a
 * phantom's in its own colours), with a legend, the statistics (and, from a
 * device that prints them, the totals, usage by type and a phantom view's
 * count), bars for use and fragmentation, the last damage report, and the log
 * lines below, redrawn in place (ANSI, alternate screen) when stdout is a TTY.
 *
 * `renderScreen` is pure (state in, text out), so it is tested by rendering to
 * a string; `startTtyView` only schedules it and writes it.
 */
import { reachable } from "../protocol/graph.mjs"
import { blockTypes, BLOCK, ROW_BLOCKS } from "../protocol/payload.mjs"
import { renderGraphScreen } from "./terminal-graph.mjs"
import { PALETTE, SWATCH, TYPE_LETTER } from "./palette.mjs"

const ESC = "\x1b["
// eslint-disable-next-line no-control-regex
const SGR_RE = /\x1b\[[0-9;]*m/g

/**
 * @typedef {import("../protocol/session.mjs").MonitorSession} MonitorSession
 * @typedef {{ width?: number, height?: number, color?: boolean, now?: number, log?: boolean }} RenderOptions
 *   now: ms since the session started (for "3 s ago"); log: false leaves the log lines out
 */

/** Control characters and non-ASCII shown as \xNN, so device garbage cannot drive the terminal. @param {string} s */
export function printable(s) {
    // eslint-disable-next-line no-control-regex
    return s.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, c => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`).replace(/\t/g, " ")
}

/** `text` in SGR `codes` when `color` (else as it is). @param {boolean} color @param {string} codes @param {string} text */
export function paint(color, codes, text) {
    return color && codes ? `${ESC}${codes}m${text}${ESC}0m` : text
}

/** Cuts `line` to `width` visible characters, keeping its colour codes. @param {string} line @param {number} width */
export function fit(line, width) {
    if (line.replace(SGR_RE, "").length <= width) return line
    let out = ""
    let visible = 0
    for (let i = 0; i < line.length && visible < width; ) {
        if (line[i] === "\x1b") {
            const m = /^\x1b\[[0-9;]*m/.exec(line.slice(i))
            if (m) {
                out += m[0]
                i += m[0].length
                continue
            }
        }
        out += line[i++]
        visible++
    }
    return out + (out.includes("\x1b") ? `${ESC}0m` : "")
}

/** Visible characters of a line (colour codes not counted). @param {string} line */
const visible = line => line.replace(SGR_RE, "").length

/**
 * Wraps `line` into lines of at most `width` visible characters, at spaces
 * where it can (a word longer than a line is split), the next lines indented
 * by `indent`. Nothing is dropped; a colour open at a break is closed at the
 * end of the line and opened again after the indent.
 * @param {string} line @param {number} width @param {string} [indent]
 * @returns {string[]}
 */
export function wrap(line, width, indent = "  ") {
    if (visible(line) <= width) return [line]
    if (indent.length >= width / 2) indent = ""
    /** @type {{ sgr?: string, ch?: string }[]} */
    const units = []
    for (let i = 0; i < line.length; ) {
        const m = line[i] === "\x1b" ? /^\x1b\[[0-9;]*m/.exec(line.slice(i)) : null
        if (m) {
            units.push({ sgr: m[0] })
            i += m[0].length
        } else units.push({ ch: line[i++] })
    }
    /** @type {string[]} */
    const out = []
    let active = "" // the colour in force where the current line starts
    let pos = 0
    let first = true
    while (pos < units.length) {
        const room = width - (first ? 0 : indent.length)
        // the units of this line: as many characters as fit
        let n = 0
        let end = pos
        let lastSpace = -1
        while (end < units.length && (units[end].sgr !== undefined || n < room)) {
            if (units[end].ch !== undefined) {
                if (units[end].ch === " ") lastSpace = end
                n++
            }
            end++
        }
        let next = end
        if (end < units.length) {
            // break after the last space (the space itself is dropped), if the line keeps some text
            if (units[end].ch === " ") next = end + 1
            else if (lastSpace > pos) {
                end = lastSpace
                next = lastSpace + 1
            }
        }
        let text = first ? "" : indent
        text += active
        let colour = active
        for (let k = pos; k < end; k++) {
            const u = units[k]
            if (u.sgr !== undefined) colour = u.sgr === `${ESC}0m` ? "" : u.sgr
            text += u.sgr ?? u.ch
        }
        for (let k = end; k < next; k++) if (units[k].sgr !== undefined) colour = units[k].sgr === `${ESC}0m` ? "" : units[k].sgr ?? ""
        if (colour) text += `${ESC}0m`
        out.push(text.replace(/ +$/, ""))
        active = colour
        pos = next
        // a line that starts with a space: skip it (a space at a break)
        while (pos < units.length && units[pos].ch === " ") pos++
        first = false
    }
    return out
}

/**
 * Items joined by `sep`, in as many lines as `width` needs: an item is never
 * split unless it is longer than a line by itself; the next lines are
 * indented.
 * @param {string[]} items @param {number} width @param {string} [sep] @param {string} [indent]
 */
export function joinItems(items, width, sep = " · ", indent = "  ") {
    /** @type {string[]} */
    const lines = []
    let line = ""
    for (const it of items) {
        if (line && visible(line) + sep.length + visible(it) > width) {
            lines.push(...wrap(line, width, indent))
            line = indent + it
        } else line = line ? line + sep + it : it
    }
    if (line) lines.push(...wrap(line, width, indent))
    return lines
}

/** @param {number} fraction 0..1 @param {number} width */
function bar(fraction, width) {
    const n = Math.max(0, Math.min(width, Math.round(fraction * width)))
    return "█".repeat(n) + "░".repeat(width - n)
}

/** Bytes as `123 B`, or `12.3 KiB` from 10 KiB. @param {number} bytes */
export const kb = bytes => (bytes >= 10240 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} B`)

/** How long ago, in words: `just now`, `12 s ago`, `3 min ago`. @param {number} ms */
export function ago(ms) {
    if (ms < 1000) return "just now"
    if (ms < 120000) return `${Math.round(ms / 1000)} s ago`
    return `${Math.round(ms / 60000)} min ago`
}

/**
 * The map rows: `<offset>: <blocks>`, `perLine` blocks a line (64, a device
 * line, unless the terminal is too narrow for one), all-free lines folded into
 * one when `fold`.
 * @param {string} blocks
 * @param {boolean} color
 * @param {boolean} fold
 * @param {number} [perLine]
 */
export function mapRows(blocks, color, fold, perLine = ROW_BLOCKS) {
    const types = blockTypes(blocks)
    /** @type {string[]} */
    const rows = []
    const nrows = Math.ceil(blocks.length / perLine)
    const allFree = (/** @type {number} */ r) => /^\.+$/.test(blocks.slice(r * perLine, (r + 1) * perLine))
    for (let r = 0; r < nrows; r++) {
        const start = r * perLine
        const chars = blocks.slice(start, start + perLine)
        if (fold && allFree(r)) {
            let k = r
            while (k + 1 < nrows && allFree(k + 1)) k++
            if (k > r) {
                rows.push(paint(color, "90", `       (${k - r + 1} lines all free)`))
                r = k
                continue
            }
        }
        let line = paint(color, "2", (start * BLOCK).toString(16).padStart(5, "0") + ": ")
        // one colour code per run of blocks of one type
        for (let i = 0; i < chars.length; ) {
            const t = types[start + i]
            let j = i + 1
            while (j < chars.length && types[start + j] === t) j++
            const sw = SWATCH[t] ?? SWATCH["?"]
            line += paint(color, codes(sw), chars.slice(i, j))
            i = j
        }
        rows.push(line)
    }
    return rows
}

/** The width of a map line's `00000: ` label. */
const LABEL = 7

/**
 * Blocks a map line can hold at `width` columns: a device line (64) when it
 * fits, else the largest of 32, 16, 8 that does (each line then starts with its
 * own offset, so no block is ever cut off).
 * @param {number} width
 */
export function blocksPerLine(width) {
    let n = ROW_BLOCKS
    while (n > 8 && LABEL + n > width) n /= 2
    return n
}

/** A swatch's colour codes. @param {import("./palette.mjs").Swatch} sw */
const codes = sw => (sw.char === "." ? "90" : `${sw.ansi};${sw.fg}`)

/**
 * Items after a title, two spaces apart, in as many lines as `width` needs
 * (the next lines indented under the first item).
 * @param {string} title
 * @param {{ text: string, shown: string }[]} items `text` as plain characters, `shown` as painted
 * @param {number} width
 */
function wrapItems(title, items, width) {
    /** @type {string[]} */
    const lines = []
    const indent = " ".repeat(title.length)
    let line = title
    let len = line.length
    for (const it of items) {
        if (len + 2 + it.text.length > width && len > title.length + 1) {
            lines.push(line)
            line = indent
            len = line.length
        }
        line += "  " + it.shown
        len += 2 + it.text.length
    }
    lines.push(line)
    // an item longer than a line by itself wraps under the first item
    return lines.flatMap(l => wrap(l, width, indent + "  "))
}

/**
 * The legend, in as many lines as `width` needs. The phantom letters are one
 * item.
 * @param {boolean} color @param {number} width
 */
export function legend(color, width) {
    const phantoms = PALETTE.filter(s => s.phantom)
    const items = [
        ...PALETTE.filter(s => !s.phantom && s.char !== "?").map(s => ({ text: `${s.char} ${s.name}`, shown: paint(color, codes(s), s.char) + ` ${s.name}` })),
        {
            text: `${phantoms.map(s => s.char).join("")} phantom: unreachable, a collection frees it`,
            shown: phantoms.map(s => paint(color, codes(s), s.char)).join("") + " phantom: unreachable, a collection frees it",
        },
        ...PALETTE.filter(s => s.char === "?").map(s => ({ text: `${s.char} ${s.name}`, shown: paint(color, codes(s), s.char) + ` ${s.name}` })),
        { text: "= rest of an object", shown: "= rest of an object" },
        ...[`(a character: a ${BLOCK}-byte block; KiB = 1024 B)`].map(t => ({ text: t, shown: t })),
    ]
    return wrapItems("legend:", items, width)
}

/**
 * The ` by type:` figures: each type's letter in its colour, its name, its
 * objects and (when any) their bytes.
 * @param {Record<string, { objects: number, bytes: number }>} byType
 * @param {boolean} color @param {number} width
 */
export function byTypeLines(byType, color, width) {
    const items = Object.entries(byType).map(([name, u]) => {
        const sw = SWATCH[TYPE_LETTER[name] ?? "?"]
        const rest = ` ${name} ${u.objects}` + (u.bytes ? ` (${kb(u.bytes)})` : "")
        return { text: sw.char + rest, shown: paint(color, codes(sw), sw.char) + rest }
    })
    return wrapItems("by type", items, width)
}

/**
 * Which dump the terminal shows: the newest (live), or one the user stepped
 * back to (paused; `seq` is its DumpRecord.seq). The graph and diff views
 * (`view`) step through the heap dumps in the same way (`heapPaused`,
 * `heapSeq`, a HeapRecord.seq); `handle` is the object selected in the graph
 * view (null: the first), `typed` the digits of a handle being typed, `base`
 * the heap dump the diff compares with (null: the one before the shown one).
 * @typedef {{ paused: boolean, seq: number | null, view?: "map" | "graph" | "diff", heapPaused?: boolean,
 *   heapSeq?: number | null, handle?: number | null, typed?: string, base?: number | null }} Nav
 */

/** @type {Nav} */
export const LIVE = Object.freeze({ paused: false, seq: null })

/**
 * The index in `history` of the dump `nav` shows (-1: none yet). A paused dump
 * that left the history (past historyLimit) is replaced by the oldest kept.
 * @param {{ seq: number }[]} history @param {{ paused?: boolean, seq?: number | null }} nav
 */
export function shownIndex(history, nav) {
    if (!nav.paused || nav.seq === null) return history.length - 1
    const i = history.findIndex(d => d.seq >= /** @type {number} */ (nav.seq))
    return i < 0 ? history.length - 1 : i
}

/**
 * A key (or a burst of them, as the terminal sends them) applied to `nav`:
 * space or p pauses on the dump shown / goes live again; left (or h) steps to
 * the dump before (pausing), right (or l) to the dump after (live again past
 * the newest). "quit" for q or Ctrl-C; other keys leave `nav` as it is.
 * g shows the graph view (again: the map), d the diff view, m the map; in
 * those views the same keys step through the heap dumps, and (graph view)
 * j/k or down/up select the next/previous object, n the next phantom, digits
 * and Enter select an object by handle (Backspace, Esc edit the digits), and
 * (both) b makes the heap dump shown the diff's base (again: no base).
 * @param {Nav} nav @param {string} keys @param {MonitorSession} session
 * @returns {Nav | "quit"}
 */
export function applyKeys(nav, keys, session) {
    for (let i = 0; i < keys.length; ) {
        // arrows: CSI (ESC [ D) or, in application cursor mode, SS3 (ESC O D)
        const arrow = /^\x1b[[O]([ABCD])/.exec(keys.slice(i))
        const key = arrow ? { A: "up", B: "down", C: "right", D: "left" }[arrow[1]] ?? "" : keys[i]
        i += arrow ? 3 : 1
        if (key === "q" || key === "\x03") return "quit"
        const view = nav.view ?? "map"
        if (key === "g" || key === "d" || (key === "m" && view !== "map")) {
            const to = key === "m" ? "map" : key === "g" ? "graph" : "diff"
            nav = { ...nav, view: view === to ? "map" : to, typed: "" }
            continue
        }
        if (view === "map") {
            const h = session.history
            if (!h.length) continue
            const at = shownIndex(h, nav)
            if (key === " " || key === "p" || key === "P") nav = nav.paused ? { ...nav, paused: false, seq: null } : { ...nav, paused: true, seq: h[at].seq }
            else if (key === "left" || key === "h") nav = { ...nav, paused: true, seq: h[Math.max(0, at - 1)].seq }
            else if (key === "right" || key === "l")
                nav = nav.paused && at + 1 < h.length ? { ...nav, paused: true, seq: h[at + 1].seq } : { ...nav, paused: false, seq: null }
            continue
        }
        const heaps = session.heaps
        if (!heaps.length) continue
        const at = shownIndex(heaps, { paused: nav.heapPaused, seq: nav.heapSeq })
        const paused = nav.heapPaused ?? false
        if (key === " " || key === "p" || key === "P") nav = paused ? { ...nav, heapPaused: false, heapSeq: null } : { ...nav, heapPaused: true, heapSeq: heaps[at].seq }
        else if (key === "left" || key === "h") nav = { ...nav, heapPaused: true, heapSeq: heaps[Math.max(0, at - 1)].seq }
        else if (key === "right" || key === "l")
            nav = paused && at + 1 < heaps.length ? { ...nav, heapPaused: true, heapSeq: heaps[at + 1].seq } : { ...nav, heapPaused: false, heapSeq: null }
        else if (key === "b") nav = { ...nav, base: nav.base === heaps[at].seq ? null : heaps[at].seq }
        else if (view === "graph") {
            const g = heaps[at].graph
            if (!g || !g.objects.length) continue
            // no selection (or one this dump lacks) shows the first object selected
            const cur = Math.max(0, g.objects.findIndex(o => o.handle === nav.handle))
            const typed = nav.typed ?? ""
            if (key === "down" || key === "j") nav = { ...nav, handle: g.objects[Math.min(g.objects.length - 1, cur + 1)].handle }
            else if (key === "up" || key === "k") nav = { ...nav, handle: g.objects[Math.max(0, cur - 1)].handle }
            else if (key === "n") {
                const reached = reachable(g)
                const order = [...g.objects.slice(cur + 1), ...g.objects.slice(0, cur + 1)]
                const next = order.find(o => !reached.has(o.handle))
                if (next) nav = { ...nav, handle: next.handle }
            } else if (key >= "0" && key <= "9" && key.length === 1) nav = { ...nav, typed: (typed + key).slice(0, 10) }
            else if (key === "\x7f" || key === "\b") nav = { ...nav, typed: typed.slice(0, -1) }
            else if (key === "\x1b") nav = { ...nav, typed: "" }
            else if ((key === "\r" || key === "\n") && typed) nav = { ...nav, handle: Number(typed), typed: "" }
        }
    }
    return nav
}

/**
 * The whole screen as lines. Every line fits `width`: long lines wrap (a
 * value is never cut off) and the map's lines are halved until they fit; when
 * the screen is taller than `height`, its last line says how many lines are
 * not shown.
 * @param {MonitorSession} session
 * @param {RenderOptions & { nav?: Nav, keys?: boolean }} [options]
 *   nav: which dump to show (default the newest); keys: say which keys step through the dumps
 * @returns {string[]}
 */
export function renderScreen(session, { width = 80, height = 40, color = true, now = session.now(), log = true, nav = LIVE, keys = false } = {}) {
    width = Math.max(20, width)
    if (nav.view === "graph" || nav.view === "diff") return renderGraphScreen(session, { width, height, color, now, log, nav })
    const st = session.status
    const history = session.history
    const at = shownIndex(history, nav)
    const newest = history.at(-1) ?? null
    const latest = at >= 0 ? history[at] : null
    let mapAt = at
    while (mapAt >= 0 && !history[mapAt].blocks) mapAt--
    const mapDump = mapAt >= 0 ? history[mapAt] : null
    const c = session.counters
    /** Figures joined by " · ", wrapped between two figures. @param {string[]} list */
    const items = list => joinItems(list, width)
    /** @type {string[]} */
    const head = []
    const stateColor = st.state === "connected" ? "32" : st.state === "ended" ? "36" : "33"
    head.push(
        ...wrap(
            `${paint(color, "1", "poolgc monitor")} · ${st.source} · ${paint(color, stateColor, st.state)}${st.detail ? ` (${printable(st.detail)})` : ""}`,
            width
        )
    )
    if (!latest) {
        head.push(...wrap(`waiting for a dump… (${c.bytes} bytes, ${c.lines} lines so far)`, width))
    } else {
        const counts = `${c.whole} whole, ${c.damaged} damaged` + (c.serialGaps ? `, ${c.serialGaps} serial gaps` : "")
        head.push(...items([`dump ${latest.dump}`, ago(now - latest.at), counts]))
        if (nav.paused) {
            const newer = history.length - 1 - at
            head.push(
                ...items([
                    paint(color, "1;7", ` paused `) + ` on dump ${latest.dump} (${at + 1} of ${history.length}${newer ? `, ${newer} newer` : ", the newest"})`,
                    "←/→ step",
                    "space: live",
                ])
            )
        } else if (keys && history.length > 1) head.push(...items([`live (${history.length} dumps)`, "space/p: pause", "←: past dumps"]))
        if (keys && session.heaps.length) head.push(...items([`${session.heaps.length} heap dumps`, "g: object graph", "d: diff"]))
        const s = latest.stats
        if (s) {
            const used = s.total > 0 ? s.used / s.total : 0
            head.push(
                ...joinItems(
                    [`used  ${paint(color, "33", bar(used, 30))} ${(used * 100).toFixed(1).padStart(5)} %`, `${kb(s.used)} of ${kb(s.total)} (meta ${kb(s.meta)})`],
                    width,
                    "  "
                )
            )
            head.push(
                ...items([`free ${kb(s.free)}`, `largest free run ${kb(s.largestFree)}`, `free runs ${s.freeRuns}`, `objects ${s.objects}`, `min free ${kb(s.minFree)}`])
            )
            head.push(...items([`collections ${s.collections}`, `last pause ${s.pauseMs} ms`, `work ${s.work}`, `phase ${s.phase}`, `auto ${s.auto ? "on" : "off"}`]))
            if (s.allocs !== undefined) {
                head.push(...items([`collector, all told: work ${s.gcWork}`, `time ${s.gcMs} ms`, `compactions ${s.compactions}`]))
                head.push(...items([`allocs ${s.allocs}`, `releases ${s.releases}`, `swept ${s.swept}`, `largest alloc ${kb(s.largestAlloc ?? 0)}`]))
            }
            if (s.fragPercent !== undefined)
                head.push(
                    ...joinItems([`frag  ${paint(color, "35", bar(s.fragPercent / 100, 30))} ${s.fragPercent.toFixed(1).padStart(5)} %`, "(100 - 100·√Σrun²/Σrun)"], width, "  ")
                )
            else
                head.push(
                    ...joinItems([`frag  ${paint(color, "35", bar(s.fragmentation, 30))} ${(s.fragmentation * 100).toFixed(1).padStart(5)} %`, "(1 - largest free run / free)"], width, "  ")
                )
            if (s.byType) head.push(...byTypeLines(s.byType, color, width))
            if (s.phantoms)
                head.push(
                    ...wrap(`${paint(color, "1", "phantoms")} ${s.phantoms.objects} objects, ${kb(s.phantoms.bytes)}: a collection would free them (lower case in the map)`, width)
                )
        } else head.push(...wrap(`(dump ${latest.dump}: ${latest.error ?? "no summary"})`, width))
    }
    // a damaged heap dump is the graph view's to report
    const lastDamage = session.damaged.findLast(x => !x.heap)
    /** @type {string[]} */
    const warn = []
    if (!nav.paused && lastDamage && lastDamage.afterSeq === (newest?.seq ?? 0)) {
        const keep = newest ? `; still showing dump ${newest.dump}` : ""
        warn.push(...wrap(paint(color, "1;31", `⚠ ${lastDamage.summary}${keep}`), width))
    }
    /** @type {string[]} */
    let map = []
    if (mapDump?.blocks) {
        const perLine = blocksPerLine(width)
        const note = mapDump !== latest ? ` (the map is dump ${mapDump.dump}'s: dump ${latest?.dump} had none)` : ""
        const view = mapDump.stats?.phantoms ? " · phantom view" : ""
        const narrow = perLine < ROW_BLOCKS ? ` (a device line is ${ROW_BLOCKS}: ${LABEL + ROW_BLOCKS} columns show one)` : ""
        map.push(...wrap(paint(color, "1", `map: ${mapDump.blocks.length} blocks of ${BLOCK} bytes, ${perLine} a line${narrow}${view}`) + note, width))
        const full = mapRows(mapDump.blocks, color, false, perLine)
        const leg = legend(color, width)
        const room = height - head.length - warn.length - leg.length - map.length - 1 /* log title */ - 3 /* some log */
        const rows = full.length <= room ? full : mapRows(mapDump.blocks, color, true, perLine)
        // still too tall: the rows that fit, and a line that says what is not shown
        const fits = height - head.length - warn.length - leg.length - map.length - 1 /* log title */
        if (rows.length > fits && fits >= 2) {
            const hidden = rows.length - fits + 1
            rows.length = fits - 1
            rows.push(paint(color, "1;7", `… ${hidden} more map lines not shown: the terminal is ${height} lines high`))
        }
        map.push(...rows)
        map.push(...leg)
    }
    const fixed = [...head, ...map, ...warn]
    if (!log) return fixed.map(l => fit(l, width))
    return withLog(session, fixed, { width, height, color })
}

/**
 * `fixed` (the lines above the log), the log title, and the newest log lines
 * that fit under them in `height`; every line cut to `width`. When even the
 * fixed lines do not fit, the last line says how many are not shown.
 * @param {MonitorSession} session @param {string[]} fixed
 * @param {{ width: number, height: number, color: boolean }} options
 */
export function withLog(session, fixed, { width, height, color }) {
    const logRoom = Math.max(0, height - fixed.length - 1)
    /** @type {string[]} */
    const logs = []
    // the newest entries that fit, each wrapped whole (so a long message keeps its advice)
    for (let i = session.logs.length - 1; i >= 0 && logs.length < logRoom; i--) {
        const e = session.logs[i]
        const text = printable(e.text) + (e.cut ? paint(color, "90", " …(cut)") : "")
        const line =
            e.kind === "damage"
                ? paint(color, "31", `monitor: ${text}`)
                : e.kind === "monitor"
                  ? paint(color, "36", `monitor: ${text}`)
                  : e.kind === "system"
                    ? paint(color, "33", text)
                    : text
        logs.unshift(...wrap(line, width))
    }
    const lines = [...fixed, paint(color, "2", "── log " + "─".repeat(Math.max(0, width - 7))), ...logs.slice(-logRoom)]
    if (lines.length > height) {
        const hidden = lines.length - height + 1
        lines.length = height - 1
        lines.push(paint(color, "1;7", `… ${hidden} more lines not shown: the terminal is ${height} lines high`))
    }
    return lines.map(l => fit(l, width))
}

/**
 * Redraws the screen in place on a TTY until stopped. Uses the alternate
 * screen, so the terminal is as it was afterwards. `key(data)` takes what the
 * user typed (applyKeys) and redraws at once; it returns "quit" for q or
 * Ctrl-C, for the caller to act on.
 * @param {MonitorSession} session
 * @param {NodeJS.WriteStream} out
 * @param {{ color?: boolean, fps?: number }} [options]
 */
export function startTtyView(session, out, { color = true, fps = 15 } = {}) {
    let pending = false
    let stopped = false
    /** @type {Nav} */
    let nav = LIVE
    const draw = () => {
        pending = false
        if (stopped) return
        const lines = renderScreen(session, { width: out.columns || 80, height: out.rows || 24, color, nav, keys: true })
        out.write(`${ESC}H` + lines.map(l => l + `${ESC}K`).join("\n") + `${ESC}J`)
    }
    const schedule = () => {
        if (!pending) {
            pending = true
            setTimeout(draw, 1000 / fps)
        }
    }
    out.write(`${ESC}?1049h${ESC}?25l`)
    const events = ["log", "dump", "damaged", "status"]
    for (const e of events) session.on(e, schedule)
    out.on("resize", schedule)
    const tick = setInterval(schedule, 1000) // the "s ago"
    tick.unref()
    draw()
    return {
        /** @param {string | Buffer} data @returns {"quit" | undefined} */
        key(data) {
            const next = applyKeys(nav, data.toString(), session)
            if (next === "quit") return "quit"
            nav = next
            draw()
        },
        stop() {
            if (stopped) return
            stopped = true
            clearInterval(tick)
            for (const e of events) session.off(e, schedule)
            out.off("resize", schedule)
            out.write(`${ESC}?25h${ESC}?1049l`)
        },
    }
}
