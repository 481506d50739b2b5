/**
 * Recording what a run writes to a board's log and when it sleeps, for the
 * log path model (host/logpath.mjs). A test file mocks the platform seam
 * (host/platform.ts) with `instrumentedSeam` and spies on console.log with
 * `recordConsole`; both append to one event list.
 */
import { vi } from "vitest"
import type { LogEvent } from "../../host/logpath.mjs"

export type { LogEvent }

/** The seam with its two suspensions recorded: nextSlice as a zero sleep, drainSlice as a positive one. */
export function instrumentedSeam(real: typeof import("../../host/platform"), events: LogEvent[]) {
    return {
        ...real,
        nextSlice: () => {
            events.push({ t: "yield" })
            return real.nextSlice()
        },
        drainSlice: (ms: number) => {
            events.push({ t: "sleep", ms: ms < 1 ? 1 : ms })
            return real.drainSlice(ms)
        },
    }
}

/** Records every console.log as a line event (silently) until the returned function is called. */
export function recordConsole(events: LogEvent[]): () => void {
    const spy = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
        events.push({ t: "line", text: args.map(String).join(" ") })
    })
    return () => spy.mockRestore()
}

/** The events with every positive sleep made a zero sleep: the same output, unpaced. */
export function unpaced(events: LogEvent[]): LogEvent[] {
    return events.map(e => (e.t === "sleep" ? { t: "yield" } : e))
}

/** The texts of the line events. */
export function lineTexts(events: LogEvent[]): string[] {
    return events.flatMap(e => (e.t === "line" ? [e.text] : []))
}
