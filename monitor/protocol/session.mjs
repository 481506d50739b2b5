/**
 * The monitor's state: raw bytes in (from a board, the simulator or a
 * recording), and out the whole dumps (parsed), the damaged ones (with what was
 * lost), the log lines, and the source's status. The views (terminal, plain,
 * web) read the state and listen to its events:
 *
 * - "log" (LogEntry): a console line that is not part of a dump (the program's
 *   logs, the runtime's `start:` / `Exception:` lines...), or a note from the
 *   monitor (kind "monitor") or a damage report (kind "damage");
 * - "dump" (DumpRecord): a whole map dump (`memInfo()`, `phantoms()`);
 * - "heap" (HeapRecord): a whole heap dump (its line 0 starts with `HEAP:`), read into a graph;
 * - "damaged" (DamageRecord): a damaged dump (of either kind); the last whole one stays current;
 * - "status" (Status): the source connected, disconnected, ended...
 *
 * Pipeline: FrameStripper (Jacdac frames out) -> LineSplitter -> classifyLine ->
 * DumpAssembler -> parsePayload (map dumps) or parseHeap (heap dumps).
 */
import { EventEmitter } from "node:events"
import { classifyLine, DumpAssembler } from "./dumps.mjs"
import { FrameStripper } from "./frames.mjs"
import { LineSplitter } from "./lines.mjs"
import { isHeapDump, parseHeap } from "./heap.mjs"
import { parsePayload } from "./payload.mjs"

/**
 * @typedef {import("./dumps.mjs").Verdict} Verdict
 * @typedef {import("./dumps.mjs").DamagedDump} DamagedDump
 * @typedef {import("./payload.mjs").DumpStats} DumpStats
 * @typedef {{ seq: number, dump: number, at: number, texts: string[], lines: string[], stats: DumpStats | null,
 *   blocks: string | null, error: string | null }} DumpRecord
 *   `seq`: 1, 2, ... over the session (device dump numbers restart with the program);
 *   `at`: ms since the session started.
 * @typedef {{ seq: number, dump: number, at: number, texts: string[], lines: string[],
 *   graph: import("./heap.mjs").HeapGraph | null, error: string | null }} HeapRecord
 *   a whole heap dump; `seq` from the same counter as DumpRecord's.
 * @typedef {DamagedDump & { at: number, afterSeq: number }} DamageRecord
 *   `afterSeq`: the seq of the last whole dump of its kind before it (a map dump's, or a heap dump's when
 *   `heap` is true; 0: none).
 * @typedef {{ at: number, text: string, kind: "log" | "system" | "monitor" | "damage", cut: boolean }} LogEntry
 *   `cut`: the line may be incomplete (the device dropped data in it or just
 *   before it, or the source broke before its end).
 * @typedef {{ state: "starting" | "waiting" | "connected" | "disconnected" | "ended", detail: string, source: string }} Status
 */

/** Lines the DeviceScript runtime prints itself (not the program). */
const SYSTEM_RE =
    /^(start: |Exception: |PANIC |RESTART requested|stop program|DeviceScript |Unhandled exception| at | message: |using devs: )/
/** A line that means the program (and its pool, and the dump numbering) started over. */
const RESTART_RE = /^start: /

export class MonitorSession extends EventEmitter {
    /**
     * @param {{ source?: string, historyLimit?: number, heapLimit?: number, logLimit?: number, idleMs?: number }} [options]
     *   heapLimit: heap dumps kept (the oldest go first); fewer than map dumps, since a heap dump's text
     *   grows with its objects (97 KB for 2,048 of them) where a 32 KiB pool's map is 32 rows of 64 blocks.
     *   idleMs: a dump whose end has not come after this long without a dump line
     *   is judged damaged (0: never; the next dump or the end of the source judges it).
     */
    constructor({ source = "", historyLimit = 2000, heapLimit = 200, logLimit = 1000, idleMs = 3000 } = {}) {
        super()
        this.started = Date.now()
        this.historyLimit = historyLimit
        this.heapLimit = heapLimit
        this.logLimit = logLimit
        this.idleMs = idleMs
        /** @type {DumpRecord[]} */
        this.history = []
        /** @type {HeapRecord[]} the whole heap dumps (map dumps are in `history`) */
        this.heaps = []
        /** @type {DamageRecord[]} */
        this.damaged = []
        /** @type {LogEntry[]} */
        this.logs = []
        /** @type {Status} */
        this.status = { state: "starting", detail: "", source }
        this.counters = { bytes: 0, lines: 0, whole: 0, damaged: 0, garbled: 0, serialGaps: 0 }
        this.seq = 0
        this.frames = new FrameStripper()
        this.splitter = new LineSplitter()
        this.assembler = new DumpAssembler()
        /** @type {NodeJS.Timeout | null} */
        this.idleTimer = null
    }

    /** The last whole dump, or null. */
    get latest() {
        return this.history.at(-1) ?? null
    }

    /** The last whole heap dump, or null. */
    get latestHeap() {
        return this.heaps.at(-1) ?? null
    }

    /** The last whole dump that had a map, or null. */
    get latestMap() {
        for (let i = this.history.length - 1; i >= 0; i--) if (this.history[i].blocks) return this.history[i]
        return null
    }

    now() {
        return Date.now() - this.started
    }

    /** Raw bytes from the source. @param {Uint8Array} chunk */
    data(chunk) {
        this.counters.bytes += chunk.length
        for (const item of this.frames.push(chunk)) {
            if (item.type === "text") for (const line of this.splitter.push(item.bytes)) this.line(line)
            else {
                this.counters.serialGaps++
                for (const line of this.splitter.gap()) this.line(line)
                this.note("the device dropped log data here (serial gap)")
            }
        }
    }

    /**
     * The source's state changed. A break in the stream ("disconnected",
     * "ended") cuts the partial line and judges a pending dump.
     * @param {Status["state"]} state
     * @param {string} [detail]
     */
    setStatus(state, detail = "") {
        if (state === "disconnected" || state === "ended") this.breakStream(state === "ended" ? "the source ended" : "disconnected")
        this.status = { ...this.status, state, detail }
        this.emit("status", this.status)
    }

    /** A note from the monitor, shown among the log lines. @param {string} text */
    note(text) {
        this.pushLog({ at: this.now(), text, kind: "monitor", cut: false })
    }

    /** @param {string} cause */
    breakStream(cause) {
        for (const item of this.frames.end()) if (item.type === "text") for (const l of this.splitter.push(item.bytes)) this.line(l)
        for (const line of this.splitter.end()) this.line(line)
        this.verdicts(this.assembler.flush(cause))
    }

    /** @param {import("./lines.mjs").Line} line */
    line(line) {
        this.counters.lines++
        const c = classifyLine(line.text)
        if (c.kind === "dump") {
            // a line known to be cut is lost, whatever it still says
            if (line.cut) return
            this.verdicts(this.assembler.add(c, line.text))
            this.armIdle()
            return
        }
        if (c.kind === "garbled") {
            this.counters.garbled++
            return
        }
        const body = line.text.replace(/^[>?*!] /, "")
        if (RESTART_RE.test(body)) this.verdicts(this.assembler.flush("the program restarted"))
        // the first line after a serial gap may be the tail of a line whose head was dropped
        const cut = line.cut || line.afterGap
        this.pushLog({ at: this.now(), text: line.text, kind: SYSTEM_RE.test(body) ? "system" : "log", cut })
    }

    armIdle() {
        if (this.idleTimer) clearTimeout(this.idleTimer)
        this.idleTimer = null
        if (!this.idleMs || this.assembler.dump === null) return
        this.idleTimer = setTimeout(() => {
            this.idleTimer = null
            this.verdicts(this.assembler.flush(`nothing more came for ${this.idleMs / 1000} s`))
        }, this.idleMs)
        this.idleTimer.unref()
    }

    /** @param {Verdict[]} verdicts */
    verdicts(verdicts) {
        for (const v of verdicts) {
            if (v.whole && isHeapDump(v.texts)) {
                const p = parseHeap(v.texts)
                /** @type {HeapRecord} */
                const rec = { seq: ++this.seq, dump: v.dump, at: this.now(), texts: v.texts, lines: v.lines, ...p }
                this.counters.whole++
                this.heaps.push(rec)
                if (this.heaps.length > this.heapLimit) this.heaps.splice(0, this.heaps.length - this.heapLimit)
                this.emit("heap", rec)
                if (p.error) this.note(`heap dump ${v.dump} came whole but the monitor cannot read it: ${p.error}`)
            } else if (v.whole) {
                const p = parsePayload(v.texts)
                /** @type {DumpRecord} */
                const rec = { seq: ++this.seq, dump: v.dump, at: this.now(), texts: v.texts, lines: v.lines, ...p }
                this.counters.whole++
                this.history.push(rec)
                if (this.history.length > this.historyLimit) this.history.splice(0, this.history.length - this.historyLimit)
                this.emit("dump", rec)
                if (p.error) this.note(`dump ${v.dump} came whole but the monitor cannot read it: ${p.error}`)
            } else {
                /** @type {DamageRecord} */
                const last = v.heap ? this.latestHeap : this.latest
                const rec = { ...v, at: this.now(), afterSeq: last?.seq ?? 0 }
                this.counters.damaged++
                this.damaged.push(rec)
                if (this.damaged.length > this.historyLimit) this.damaged.splice(0, this.damaged.length - this.historyLimit)
                const keep = last ? `; still showing ${v.heap ? "heap dump" : "dump"} ${last.dump}` : ""
                this.pushLog({ at: rec.at, text: v.summary + keep, kind: "damage", cut: false })
                this.emit("damaged", rec)
            }
        }
    }

    /** @param {LogEntry} entry */
    pushLog(entry) {
        this.logs.push(entry)
        if (this.logs.length > this.logLimit) this.logs.splice(0, this.logs.length - this.logLimit)
        this.emit("log", entry)
    }

    /** Stops the idle timer (the session can still be read). */
    close() {
        if (this.idleTimer) clearTimeout(this.idleTimer)
        this.idleTimer = null
    }
}
