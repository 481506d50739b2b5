/**
 * The plain-text view, for when stdout is not a terminal (a pipe, a file, CI):
 * every line in arrival order, nothing redrawn:
 *
 *     demo: 1. Blinka's bitmap (P) is allocated at 960, ...     a log line, as it came
 *     === dump 2: whole, 9 lines ===                              a whole dump, once,
 *     GC: total: 16384, used: 2064, free: 14320                   then its payload texts (packed map rows unpacked)
 *     ...
 *     monitor: dump 8 damaged: lost 3 lines of 14 (4-6); still showing dump 7
 *     monitor: disconnected: /dev/ttyACM0: ...; waiting for it to come back
 *
 * Control characters in device lines are written as \xNN.
 */
import { plainText } from "../protocol/payload.mjs"
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
    session.on("log", onLog)
    session.on("dump", onDump)
    session.on("status", onStatus)
    return {
        stop() {
            session.off("log", onLog)
            session.off("dump", onDump)
            session.off("status", onStatus)
        },
    }
}
