/**
 * The recording file (`--record FILE`, played back by `--replay FILE`): JSON
 * Lines, UTF-8. The first line is a header; each further line is one chunk of
 * the raw stream as the source delivered it, or one source event, with its
 * time in milliseconds since the recording started:
 *
 *     {"format":"poolgc-monitor-recording","version":1,"started":"2026-11-24T18:00:00.000Z","source":"serial /dev/ttyACM0"}
 *     {"t":0,"data":"start: poolgc v0.1.1\n"}
 *     {"t":15,"data":"> @1:0 GC: total: 16384, used: 960, free: 15424\n\u00fe\u00fc..."}
 *     {"t":5210,"event":"disconnected","detail":"the port went away"}
 *
 * `data` holds the raw bytes, one character per byte (latin1: U+0000..U+00FF),
 * JSON-escaped: the text stays readable and every byte, Jacdac frames and garbage
 * included, is kept exactly. `event` is a source status ("connected",
 * "disconnected", "waiting"...) with an optional `detail`. Unknown keys and
 * lines with an unknown `event` are ignored, so the format can grow.
 */
import { createWriteStream, readFileSync } from "node:fs"

export const FORMAT = "poolgc-monitor-recording"
export const VERSION = 1

/**
 * @typedef {{ format: string, version: number, started: string, source: string }} RecordingHeader
 * @typedef {{ t: number, data: Buffer } | { t: number, event: string, detail?: string }} RecordingItem
 */

export class RecordingWriter {
    /** @param {string} path @param {string} source */
    constructor(path, source) {
        this.t0 = performance.now()
        this.out = createWriteStream(path)
        /** @type {Error | null} */
        this.error = null
        this.out.on("error", e => (this.error = e))
        this.write({ format: FORMAT, version: VERSION, started: new Date().toISOString(), source })
    }

    /** @param {object} obj */
    write(obj) {
        this.out.write(JSON.stringify(obj) + "\n")
    }

    t() {
        return Math.round(performance.now() - this.t0)
    }

    /** @param {Uint8Array} chunk */
    data(chunk) {
        this.write({ t: this.t(), data: Buffer.from(chunk).toString("latin1") })
    }

    /** @param {string} event @param {string} [detail] */
    event(event, detail) {
        this.write(detail ? { t: this.t(), event, detail } : { t: this.t(), event })
    }

    /** @returns {Promise<void>} */
    close() {
        return new Promise((resolve, reject) => this.out.end(() => (this.error ? reject(this.error) : resolve())))
    }
}

/**
 * Reads a whole recording. Throws on a file that is not one.
 * @param {string} path
 * @returns {{ header: RecordingHeader, items: RecordingItem[] }}
 */
export function readRecording(path) {
    const lines = readFileSync(path, "utf8").split("\n")
    /** @type {RecordingHeader} */
    let header
    try {
        header = JSON.parse(lines[0])
    } catch {
        throw new Error(`${path}: not a poolgc monitor recording (the first line is not JSON)`)
    }
    if (header?.format !== FORMAT) throw new Error(`${path}: not a poolgc monitor recording (no "format": "${FORMAT}")`)
    if (header.version > VERSION) throw new Error(`${path}: recording version ${header.version}; this monitor reads ${VERSION}`)
    /** @type {RecordingItem[]} */
    const items = []
    for (let i = 1; i < lines.length; i++) {
        if (!lines[i].trim()) continue
        let o
        try {
            o = JSON.parse(lines[i])
        } catch {
            throw new Error(`${path}:${i + 1}: not JSON`)
        }
        const t = Number(o.t)
        if (!Number.isFinite(t)) throw new Error(`${path}:${i + 1}: no time "t"`)
        if (typeof o.data === "string") items.push({ t, data: Buffer.from(o.data, "latin1") })
        else if (typeof o.event === "string") items.push({ t, event: o.event, ...(o.detail ? { detail: String(o.detail) } : {}) })
    }
    return { header, items }
}
