/**
 * The monitor against a board's log path: the demo runs in Node with the seam
 * instrumented (test/support/logevents.ts), its events go through the model
 * of a Pico's log path (host/logpath.mjs) with the host connecting late, after
 * the ring has wrapped, so the replay from offset 0 starts in the middle of a
 * line; the bytes go into a MonitorSession. The dumps printed before the
 * connect are lost or damaged, and the monitor must report the damaged one and
 * show every whole one exactly as printed.
 */
import { readFileSync } from "node:fs"
import { expect, test, vi } from "vitest"
import { linkOf, LogPath, RING_BYTES } from "../../host/logpath.mjs"
import { MonitorSession } from "../../monitor/protocol/session.mjs"
import { BOARDS } from "../../demo/boards"
import { runDemo } from "../../demo/demo"
import { Pool } from "../../src/index"
import { LogEvent, recordConsole } from "../support/logevents"

const events = vi.hoisted(() => [] as LogEvent[])
vi.mock("../../host/platform.ts", async importOriginal => {
    const { instrumentedSeam } = await import("../support/logevents")
    return instrumentedSeam(await importOriginal(), events)
})
vi.mock("@devicescript/runtime", () => ({ setStatusLight: async () => {} }))

test("a late connect mid-line: the damaged dump is reported, every whole one shown as printed", async () => {
    const board = BOARDS.find(b => b.id === "poolgc_pico")!
    const link = linkOf(JSON.parse(readFileSync("boards/poolgc-boards.json", "utf8")).boards[board.id].serial)
    const stop = recordConsole(events)
    try {
        await runDemo(new Pool({ size: board.pool }), { rounds: 48, pause: 0, ledBeat: 0, ledFail: 0 })
    } finally {
        stop()
    }
    const ev = events.splice(0)

    // the dumps as printed, by number
    const printed = new Map<number, string[]>()
    for (const e of ev) {
        const m = e.t === "line" ? /^@(\d+):/.exec(e.text) : null
        if (!m) continue
        const n = Number(m[1])
        if (!printed.has(n)) printed.set(n, [])
        printed.get(n)!.push((e as { text: string }).text)
    }

    // connect at the first sleep after 1.5 rings were written: the ring has wrapped, and
    // (checked below) offset 0 is not the start of a line
    let clock = 0
    let written = 0
    let connectAt = -1
    for (const e of ev) {
        if (e.t === "line") written += Buffer.byteLength("> " + e.text) + 1
        if (e.t === "sleep") {
            clock += e.ms
            if (connectAt < 0 && written > RING_BYTES * 1.5) connectAt = clock
        }
    }
    expect(connectAt).toBeGreaterThan(0)
    const path = new LogPath({ bytesPerMs: link.bytesPerMs, connectAtMs: connectAt }).run(ev)
    const out = path.output()
    const first = out.subarray(0, 40).toString("latin1")
    expect(first.startsWith("> "), `the replay should start mid-line: ${JSON.stringify(first)}`).toBe(false)

    const session = new MonitorSession({ idleMs: 0 })
    for (let i = 0; i < out.length; i += 64) session.data(out.subarray(i, i + 64))
    session.setStatus("ended")

    // the dump the replay starts in is damaged, and reported so
    expect(session.damaged.length).toBeGreaterThan(0)
    expect(session.counters.damaged).toBe(session.damaged.length)
    // dumps that came whole are shown exactly as printed; the rest never arrived at all
    expect(session.history.length).toBeGreaterThan(0)
    for (const d of session.history) expect(d.lines.map(l => l.replace(/^> /, ""))).toEqual(printed.get(d.dump))
    const whole = session.history.map(d => d.dump)
    const damaged = session.damaged.map(d => d.dump)
    expect(whole.filter(n => damaged.includes(n))).toEqual([])
    // after the damaged one, every later dump arrived whole (the pacing keeps the ring from overflowing)
    const last = Math.max(...damaged)
    expect(whole).toEqual([...printed.keys()].filter(n => n > last))
    // and the dumps before were lost: the ring had wrapped
    expect(Math.min(...damaged)).toBeGreaterThan(1)
    console.log(
        `late connect at ${connectAt} ms of sleep: ${printed.size} dumps printed, dumps ${damaged.join(", ")} damaged (${session.damaged[0].summary}), ` +
            `${whole.length} whole (${whole[0]}-${whole.at(-1)}), the rest lost`
    )
})
