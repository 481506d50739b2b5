/**
 * The plain-text view, for when stdout is not a terminal (a pipe, a file, CI):
 * every line in arrival order, nothing redrawn:
 *
 *     demo: 1. Blinka's bitmap (P) is allocated at 960, ...     a log line, as it came
 *     === dump 2: whole, 9 lines ===                              a whole dump, once,
 *     GC: total: 16384, used: 2064, free: 14320                   then its payload texts (packed map rows unpacked)
 *     ...
 *     === heap dump 3: whole, 20 lines ===                        a whole heap dump: its texts, then
 *     monitor: heap dump 3: 12 objects (260 B), 2 roots, ...      its summary, its phantoms,
 *     monitor: diff: heap dump 1 → heap dump 3 ...                and the diff with the heap dump before
 *     monitor: dump 8 damaged: lost 3 lines of 14 (4-6); still showing dump 7
 *     monitor: disconnected: /dev/ttyACM0: ...; waiting for it to come back
 *
 * Control characters in device lines are written as \xNN.
 */
import { plainText } from "../protocol/payload.mjs"
import { phantomObjects, reachable } from "../protocol/graph.mjs"
import { diffLines, handleList, heapSummary, tornNote } from "./graph-text.mjs"
import { printable } from "./terminal.mjs"

/**
 * @param {import("../protocol/session.mjs").MonitorSession} session
 * @param {NodeJS.WritableStream} out
 */
export function startPlainView(session, out) {
    /** @param {import("../protocol/session.mjs").LogEntry} e */
    const onLog = e => {
        const text = printable(e.text) + (e.cut ? " …(cut)" : "")
        out.write(e.kind === "monitor" || e.kind === "damage" ? `monitor: ${text}\n` : `${text}\n`)
    }
    /** @param {import("../protocol/session.mjs").DumpRecord} d */
    // packed map rows (the packedMap option) unpacked: every row as MicroPython prints it
    const onDump = d => out.write(`=== dump ${d.dump}: whole, ${d.texts.length} lines ===\n${d.texts.map(plainText).join("\n")}\n`)
    /** @param {import("../protocol/session.mjs").Status} s */
    const onStatus = s => out.write(`monitor: ${s.state}${s.detail ? `: ${printable(s.detail)}` : ""}\n`)
    /** @type {import("../protocol/session.mjs").HeapRecord | null} */
    let prevHeap = null
    /** @param {import("../protocol/session.mjs").HeapRecord} h */
    const onHeap = h => {
        out.write(`=== heap dump ${h.dump}: whole, ${h.texts.length} lines ===\n${h.texts.join("\n")}\n`)
        if (!h.graph) return // the session's note says why
        const reached = reachable(h.graph)
        const ph = phantomObjects(h.graph, reached)
        out.write(`monitor: heap dump ${h.dump}: ${heapSummary(h.graph, reached)}${ph.length ? `: ${handleList(ph)}` : ""}\n`)
        const torn = tornNote(h.graph)
        if (torn) out.write(`monitor: heap dump ${h.dump} ${torn}\n`)
        if (prevHeap?.graph) for (const l of diffLines(prevHeap, h)) out.write(`monitor: ${l}\n`)
        prevHeap = h
    }
    session.on("log", onLog)
    session.on("dump", onDump)
    session.on("heap", onHeap)
    session.on("status", onStatus)
    return {
        stop() {
            session.off("log", onLog)
            session.off("dump", onDump)
            session.off("heap", onHeap)
            session.off("status", onStatus)
        },
    }
}
