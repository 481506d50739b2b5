/**
 * The DeviceScript simulator as a source: runs a program (default the demo,
 * demo/main.ts) with sim/runner.mjs's runSim in normal mode and feeds its
 * output lines (already without the `WASM> ` prefix) as bytes, one `\n` each.
 *
 * The run ends when a line matches `until` (default: the demo's last line,
 * "poolgc demo done"), or when the program panics, restarts, or the CLI exits:
 * unlike a board, the simulator is not restarted; the source then ends with
 * `ok: false` and the reason.
 */
import { runSim } from "../../sim/runner.mjs"

export const DEMO_ENTRY = "demo/main.ts"
export const DEMO_DONE = /^poolgc demo done$/

/**
 * @param {import("./input.mjs").SourceInput} input
 * @param {{ entry?: string, until?: RegExp, timeoutMs?: number }} [options]
 * @returns {import("./input.mjs").Source}
 */
export function startSim(input, { entry = DEMO_ENTRY, until = DEMO_DONE, timeoutMs = 24 * 3600 * 1000 } = {}) {
    const ac = new AbortController()
    let connected = false
    input.status("waiting", `compiling and starting ${entry} in the simulator`)
    const done = runSim(entry, {
        until,
        timeoutMs,
        signal: ac.signal,
        onLockWait: owner =>
            input.status("waiting", `the simulator's port 8082 is busy (another run, pid ${owner?.pid ?? "?"}): waiting for it`),
        onLine: line => {
            if (!connected) input.status("connected", `simulator running ${entry}`)
            connected = true
            input.data(Buffer.from(line + "\n", "utf8"))
        },
    }).then(
        () => {
            input.status("ended", `${entry} finished`)
            return { ok: true }
        },
        e => {
            const message = String(e?.message ?? e).split("\n")[0]
            if (e?.reason === "aborted") {
                input.status("ended", "stopped")
                return { ok: true }
            }
            input.status("ended", `the simulator run ended (${e?.reason ?? "error"}): ${message}`)
            return { ok: false, message }
        }
    )
    return {
        done,
        stop: async () => {
            ac.abort()
            await done
        },
    }
}
