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
import { blockTypes, BLOCK, ROW_BLOCKS } from "./payload.mjs"
import { PALETTE, SWATCH, TYPE_LETTER } from "./palette.mjs"

const ESC = "\x1b["
// eslint-disable-next-line no-control-regex
const SGR_RE = /\x1b\[[0-9;]*m/g

/**
 * @typedef {import("./session.mjs").MonitorSession} MonitorSession
 * @typedef {{ width?: number, height?: number, color?: boolean, now?: number, log?: boolean }} RenderOptions
 *   now: ms since the session started (for "3 s ago"); log: false leaves the log lines out
 */

/** Control characters and non-ASCII shown as \xNN, so device garbage cannot drive the terminal. @param {string} s */
export function printable(s) {
    // eslint-disable-next-line no-control-regex
    return s.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, c => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`).replace(/\t/g, " ")
}

/** @param {boolean} color @param {string} codes @param {string} text */
function paint(color, codes, text) {
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

/** @param {number} fraction 0..1 @param {number} width */
function bar(fraction, width) {
    const n = Math.max(0, Math.min(width, Math.round(fraction * width)))
    return "█".repeat(n) + "░".repeat(width - n)
}

/** @param {number} bytes */
const kb = bytes => (bytes >= 10240 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} B`)

/** @param {number} ms */
function ago(ms) {
    if (ms < 1000) return "just now"
    if (ms < 120000) return `${Math.round(ms / 1000)} s ago`
    return `${Math.round(ms / 60000)} min ago`
}

/**
 * The map rows: `<offset>: <64 coloured blocks>`, all-free row runs folded
 * into one line when `fold`.
 * @param {string} blocks
 * @param {boolean} color
 * @param {boolean} fold
 */
export function mapRows(blocks, color, fold) {
    const types = blockTypes(blocks)
    /** @type {string[]} */
    const rows = []
    const nrows = Math.ceil(blocks.length / ROW_BLOCKS)
    for (let r = 0; r < nrows; r++) {
        const start = r * ROW_BLOCKS
        const chars = blocks.slice(start, start + ROW_BLOCKS)
        if (fold && /^\.+$/.test(chars)) {
            let k = r
            while (k + 1 < nrows && /^\.+$/.test(blocks.slice((k + 1) * ROW_BLOCKS, (k + 2) * ROW_BLOCKS))) k++
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
    return lines
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
 * The whole screen as lines.
 * @param {MonitorSession} session
 * @param {RenderOptions} [options]
 * @returns {string[]}
 */
export function renderScreen(session, { width = 80, height = 40, color = true, now = session.now(), log = true } = {}) {
    const st = session.status
    const latest = session.latest
    const mapDump = session.latestMap
    const c = session.counters
    /** @type {string[]} */
    const head = []
    const stateColor = st.state === "connected" ? "32" : st.state === "ended" ? "36" : "33"
    head.push(
        `${paint(color, "1", "poolgc monitor")} · ${st.source} · ${paint(color, stateColor, st.state)}${st.detail ? ` (${printable(st.detail)})` : ""}`
    )
    if (!latest) {
        head.push(`waiting for a dump… (${c.bytes} bytes, ${c.lines} lines so far)`)
    } else {
        head.push(
            `dump ${latest.dump} · ${ago(now - latest.at)} · ${c.whole} whole, ${c.damaged} damaged` +
                (c.serialGaps ? `, ${c.serialGaps} serial gaps` : "")
        )
        const s = latest.stats
        if (s) {
            const used = s.total > 0 ? s.used / s.total : 0
            head.push(`used  ${paint(color, "33", bar(used, 30))} ${(used * 100).toFixed(1).padStart(5)} %  ${kb(s.used)} of ${kb(s.total)} (meta ${kb(s.meta)})`)
            head.push(
                `free ${kb(s.free)} · largest free run ${kb(s.largestFree)} · free runs ${s.freeRuns} · objects ${s.objects} · min free ${kb(s.minFree)}`
            )
            head.push(`collections ${s.collections} · last pause ${s.pauseMs} ms · work ${s.work} · phase ${s.phase} · auto ${s.auto ? "on" : "off"}`)
            if (s.allocs !== undefined) {
                head.push(`collector, all told: work ${s.gcWork} · time ${s.gcMs} ms · compactions ${s.compactions}`)
                head.push(`allocs ${s.allocs} · releases ${s.releases} · swept ${s.swept} · largest alloc ${kb(s.largestAlloc ?? 0)}`)
            }
            if (s.fragPercent !== undefined)
                head.push(`frag  ${paint(color, "35", bar(s.fragPercent / 100, 30))} ${s.fragPercent.toFixed(1).padStart(5)} %  (100 - 100·√Σrun²/Σrun)`)
            else head.push(`frag  ${paint(color, "35", bar(s.fragmentation, 30))} ${(s.fragmentation * 100).toFixed(1).padStart(5)} %  (1 - largest free run / free)`)
            if (s.byType) head.push(...byTypeLines(s.byType, color, width))
            if (s.phantoms)
                head.push(
                    `${paint(color, "1", "phantoms")} ${s.phantoms.objects} objects, ${kb(s.phantoms.bytes)}: a collection would free them (lower case in the map)`
                )
        } else head.push(`(dump ${latest.dump}: ${latest.error ?? "no summary"})`)
    }
    const lastDamage = session.damaged.at(-1)
    /** @type {string[]} */
    const warn = []
    if (lastDamage && lastDamage.afterSeq === (latest?.seq ?? 0)) {
        const keep = latest ? `; still showing dump ${latest.dump}` : ""
        warn.push(paint(color, "1;31", `⚠ ${lastDamage.summary}${keep}`))
    }
    /** @type {string[]} */
    let map = []
    if (mapDump?.blocks) {
        const note = mapDump !== latest ? ` (the map is dump ${mapDump.dump}'s: dump ${latest?.dump} had none)` : ""
        const view = mapDump.stats?.phantoms ? " · phantom view" : ""
        map.push(paint(color, "1", `map: ${mapDump.blocks.length} blocks of ${BLOCK} bytes, ${ROW_BLOCKS} a line${view}`) + note)
        const full = mapRows(mapDump.blocks, color, false)
        const leg = legend(color, width)
        const room = height - head.length - warn.length - leg.length - 1 /* log title */ - 3 /* some log */ - 1
        map.push(...(full.length <= room ? full : mapRows(mapDump.blocks, color, true)))
        map.push(...leg)
    }
    const fixed = [...head, ...map, ...warn]
    if (!log) return fixed.map(l => fit(l, width))
    const logRoom = Math.max(0, height - fixed.length - 1)
    const logs = session.logs.slice(-logRoom).map(e => {
        const text = printable(e.text) + (e.cut ? paint(color, "90", " …(cut)") : "")
        if (e.kind === "damage") return paint(color, "31", `monitor: ${text}`)
        if (e.kind === "monitor") return paint(color, "36", `monitor: ${text}`)
        if (e.kind === "system") return paint(color, "33", text)
        return text
    })
    const lines = [...fixed, paint(color, "2", "── log " + "─".repeat(Math.max(0, width - 7))), ...logs]
    return lines.slice(0, height).map(l => fit(l, width))
}

/**
 * Redraws the screen in place on a TTY until stopped. Uses the alternate
 * screen, so the terminal is as it was afterwards.
 * @param {MonitorSession} session
 * @param {NodeJS.WriteStream} out
 * @param {{ color?: boolean, fps?: number }} [options]
 */
export function startTtyView(session, out, { color = true, fps = 15 } = {}) {
    let pending = false
    let stopped = false
    const draw = () => {
        pending = false
        if (stopped) return
        const lines = renderScreen(session, { width: out.columns || 80, height: out.rows || 24, color })
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
