/**
 * Plays a recording (monitor/protocol/recording.mjs) back into the monitor: with its
 * timing (each chunk at its recorded time after the start), or with `fast`
 * as fast as possible (yielding to the event loop now and then, so the web
 * view and the terminal stay live).
 */
import { readRecording } from "../protocol/recording.mjs"

const STATES = new Set(["waiting", "connected", "disconnected"])
const sleep = (/** @type {number} */ ms) => new Promise(r => setTimeout(r, ms))
const yieldNow = () => new Promise(r => setImmediate(r))

/**
 * @typedef {import("./input.mjs").SourceInput} SourceInput
 * @typedef {import("./input.mjs").Source} Source
 */

/**
 * @param {SourceInput} input
 * @param {{ path: string, fast?: boolean }} options
 * @returns {Source}
 */
export function startReplay(input, { path, fast = false }) {
    const { header, items } = readRecording(path)
    let stopped = false
    /** @type {() => void} */
    let wake = () => {}
    const done = (async () => {
        input.status("connected", `replay of ${header.source || "a recording"} made ${header.started}${fast ? ", fast" : ""}`)
        const t0 = performance.now()
        for (let i = 0; i < items.length && !stopped; i++) {
            const item = items[i]
            if (!fast) {
                const wait = item.t - (performance.now() - t0)
                if (wait > 0) await Promise.race([sleep(wait), new Promise(r => (wake = () => r(undefined)))])
                if (stopped) break
            } else if (i % 50 === 49) await yieldNow()
            if ("data" in item) input.data(item.data)
            else if (STATES.has(item.event)) input.status(/** @type {any} */ (item.event), item.detail)
        }
        input.status("ended", stopped ? "replay stopped" : `replay finished (${items.length} items)`)
        return { ok: true }
    })()
    return {
        done,
        stop: async () => {
            stopped = true
            wake()
            await done
        },
    }
}
