/**
 * The terminal's graph and diff views of heap dumps (keys: terminal.mjs's
 * applyKeys). The graph view: the heap dump's summary, roots and
 * temporaries, the selected object with its refs and its retainer path, and
 * the objects in offset order (phantoms marked `*`, the selected one `▶`), as
 * many as fit around the selected one. The diff view: what was born and is
 * still reached, grouped by type and size (the leak suspects), born and
 * already unreachable, and freed, between the heap dump shown and the one
 * before it (or the base chosen with b). Both end with the log lines.
 */
import { reachable } from "../protocol/graph.mjs"
import { diffLines, heapSummary, objectLine, pathLine, tornNote } from "./graph-text.mjs"
import { ago, joinItems, paint, printable, shownIndex, withLog, wrap } from "./terminal.mjs"

/**
 * @typedef {import("../protocol/session.mjs").MonitorSession} MonitorSession
 * @typedef {import("./terminal.mjs").Nav} Nav
 */

/**
 * The graph or diff view (`nav.view`) as lines, every one within `width`;
 * the object list shrinks to fit `height`, and the log takes what is left.
 * @param {MonitorSession} session
 * @param {{ width: number, height: number, color: boolean, now: number, log: boolean, nav: Nav }} options
 * @returns {string[]}
 */
export function renderGraphScreen(session, { width, height, color, now, log, nav }) {
    const st = session.status
    const heaps = session.heaps
    const diff = nav.view === "diff"
    /** @param {string[]} list */
    const items = list => joinItems(list, width)
    /** @type {string[]} */
    const head = []
    const stateColor = st.state === "connected" ? "32" : st.state === "ended" ? "36" : "33"
    head.push(
        ...wrap(
            `${paint(color, "1", "poolgc monitor")} · ${st.source} · ${paint(color, stateColor, st.state)}${st.detail ? ` (${printable(st.detail)})` : ""} · ${diff ? "diff view" : "graph view"}`,
            width
        )
    )
    const at = shownIndex(heaps, { paused: nav.heapPaused, seq: nav.heapSeq })
    const rec = at >= 0 ? heaps[at] : null
    /** @type {string[]} */
    const body = []
    if (!rec) {
        head.push(...wrap(`no heap dump yet (${session.counters.whole} whole dumps so far) · g or m: the map`, width))
    } else {
        const counts = `${heaps.length} heap dumps, ${session.counters.damaged} damaged dumps`
        head.push(...items([`heap dump ${rec.dump}`, ago(now - rec.at), counts]))
        if (nav.heapPaused) {
            const newer = heaps.length - 1 - at
            head.push(
                ...items([
                    paint(color, "1;7", ` paused `) + ` on heap dump ${rec.dump} (${at + 1} of ${heaps.length}${newer ? `, ${newer} newer` : ", the newest"})`,
                    "←/→ step",
                    "space: live",
                ])
            )
        } else head.push(...items([`live (${heaps.length} heap dumps)`, "space/p: pause", "←: past heap dumps"]))
        head.push(
            ...items(
                diff
                    ? ["b: compare with this dump (again: with the one before)", "g: graph", "d or m: map"]
                    : ["j/k or ↓/↑: object", "n: next phantom", "digits + Enter: object by handle", "d: diff", "g or m: map"]
            )
        )
        const lastDamage = session.damaged.findLast(x => x.heap)
        if (!nav.heapPaused && lastDamage && lastDamage.afterSeq === heaps[heaps.length - 1].seq)
            head.push(...wrap(paint(color, "1;31", `⚠ ${lastDamage.summary}; still showing heap dump ${heaps[heaps.length - 1].dump}`), width))
        const g = rec.graph
        if (!g) head.push(...wrap(`(heap dump ${rec.dump}: ${rec.error})`, width))
        else {
            const reached = reachable(g)
            head.push(...wrap(heapSummary(g, reached), width))
            const torn = tornNote(g)
            if (torn) head.push(...wrap(paint(color, "1;33", `⚠ ${torn}`), width))
            if (g.dangling.length)
                head.push(
                    ...wrap(
                        paint(color, "33", `⚠ ${g.dangling.length} refs to handles the dump does not hold: `) +
                            g.dangling
                                .slice(0, 8)
                                .map(d => (d.from ? `#${d.from}[${d.index}] → #${d.to}` : `→ #${d.to}`))
                                .join(" "),
                        width
                    )
                )
            if (diff) body.push(...diffBody(session, at, nav, width))
            else body.push(...graphBody(g, reached, nav, { width, height: height - head.length, color }))
        }
    }
    const fixed = [...head, ...body]
    return log ? withLog(session, fixed, { width, height, color }) : fixed
}

/**
 * The diff view's lines: the shown heap dump against the base (or the one before it).
 * @param {MonitorSession} session @param {number} at @param {Nav} nav @param {number} width
 */
function diffBody(session, at, nav, width) {
    const heaps = session.heaps
    const base = nav.base != null ? heaps.findIndex(h => h.seq === nav.base) : -1
    const other = base >= 0 && base !== at ? base : at - 1
    if (other < 0) return wrap(`diff: needs two heap dumps; heap dump ${heaps[at].dump} is the first`, width)
    const [older, newer] = other < at ? [heaps[other], heaps[at]] : [heaps[at], heaps[other]]
    return diffLines(older, newer).flatMap(l => wrap(l, width, "    "))
}

/**
 * The graph view's lines below the summary.
 * @param {import("../protocol/heap.mjs").HeapGraph} g @param {Set<number>} reached @param {Nav} nav
 * @param {{ width: number, height: number, color: boolean }} options
 */
function graphBody(g, reached, nav, { width, height, color }) {
    /** @type {string[]} */
    const out = []
    out.push(...wrap(`roots  ${g.roots.length ? g.roots.map(r => `${r.name} #${r.handle}`).join(" · ") : "none"}`, width, "       "))
    out.push(...wrap(`temporaries  ${g.temps.length ? g.temps.map((h, i) => `${i}: #${h}`).join(" · ") : "none"}`, width, "             "))
    if (!g.objects.length) return [...out, "no objects"]
    let sel = g.objects.findIndex(o => o.handle === nav.handle)
    const missing = nav.handle != null && sel < 0
    if (sel < 0) sel = 0
    const o = g.objects[sel]
    if (missing) out.push(...wrap(paint(color, "33", `no #${nav.handle} in this dump; showing the first object`), width))
    if (nav.typed) out.push(paint(color, "1", `handle: ${nav.typed}_ (Enter selects)`))
    out.push(...wrap(paint(color, "1", "selected ") + objectLine(g, o, reached), width, "    "))
    out.push(...wrap(paint(color, "1", "path ") + pathLine(g, o.handle), width, "    "))
    out.push(paint(color, "1", `objects (${g.objects.length}, offset order; * phantom, ▶ selected):`))
    // the rows around the selected one that fit, leaving some room for the log
    const room = Math.max(3, height - out.length - 5)
    const from = Math.max(0, Math.min(sel - Math.floor(room / 2), g.objects.length - room))
    const to = Math.min(g.objects.length, from + room)
    if (from > 0) out.push(paint(color, "90", `  … ${from} before`))
    for (let i = from; i < to; i++) {
        const x = g.objects[i]
        const phantom = !reached.has(x.handle)
        const mark = i === sel ? "▶" : phantom ? "*" : " "
        const line = `${mark} ${objectLine(g, x, reached)}`
        out.push(i === sel ? paint(color, "7", line) : phantom ? paint(color, "35", line) : line)
    }
    if (to < g.objects.length) out.push(paint(color, "90", `  … ${g.objects.length - to} after`))
    return out
}
