/**
 * Every dump survives a board's log path. The demo and the dumps of a 32 KiB
 * fully fragmented pool run in Node with the platform seam instrumented (every
 * zero and positive sleep recorded, with every console.log line); the events
 * go through the model of each board's log path (host/logpath.mjs: the
 * 4,096-byte ring, lines cut at 158 bytes, drained only in positive sleeps at
 * the link's rate, no overflow marker) and what the host reads goes through
 * the monitor's session: every dump must arrive whole, its crc checked. The
 * same events unpaced (positive sleeps made zero) must arrive damaged, so the
 * test can fail.
 */
import { readFileSync } from "node:fs"
import { afterEach, describe, expect, test, vi } from "vitest"
import { LINE_TEXT_MAX, linkOf, LogPath, RING_BYTES } from "../../host/logpath.mjs"
import { MonitorSession } from "../../monitor/protocol/session.mjs"
import { BOARDS } from "../../demo/boards"
import { runDemo } from "../../demo/demo"
import { Pool } from "../../src/index"
import { instrumentedSeam, LogEvent, recordConsole, unpaced } from "../support/logevents"
import { buildChain, everyBlockOptions } from "../vm/shapes"

const events = vi.hoisted(() => [] as LogEvent[])
vi.mock("../../host/platform.ts", async importOriginal => {
    const { instrumentedSeam } = await import("../support/logevents")
    return instrumentedSeam(await importOriginal(), events)
})
// the demo's status LED: packets, not log lines (and @devicescript/runtime is not Node code)
vi.mock("@devicescript/runtime", () => ({ setStatusLight: async () => {} }))

afterEach(() => {
    events.length = 0
})

/** The boards with their links, from poolgc's board settings (boards/poolgc-boards.json). */
const SETTINGS = JSON.parse(readFileSync("boards/poolgc-boards.json", "utf8")).boards
const LINKS = BOARDS.filter(b => b.id !== "wasm").map(b => {
    return { board: b, link: linkOf(SETTINGS[b.id].serial) }
})

/** Runs `fn` with the console recorded; returns the events (line, sleep, yield) it produced. */
async function capture(fn: () => Promise<void>): Promise<LogEvent[]> {
    events.length = 0
    const stop = recordConsole(events)
    try {
        await fn()
    } finally {
        stop()
    }
    return events.splice(0)
}

/** The dumps in a run's lines, by number: their framed lines. */
function dumpsIn(ev: LogEvent[]): Map<number, string[]> {
    const out = new Map<number, string[]>()
    for (const e of ev) {
        if (e.t !== "line") continue
        const m = /^@(\d+):/.exec(e.text)
        if (!m) continue
        const n = Number(m[1])
        if (!out.has(n)) out.set(n, [])
        out.get(n)!.push(e.text)
    }
    return out
}

/** What the host reads through the model, through the monitor's session. */
function monitor(bytes: Buffer) {
    const session = new MonitorSession({ idleMs: 0 })
    for (let i = 0; i < bytes.length; i += 64) session.data(bytes.subarray(i, i + 64))
    session.setStatus("ended")
    return session
}

/** Sends a run through a board's log path and checks every dump arrived whole and unchanged. */
function expectWhole(ev: LogEvent[], bytesPerMs: number, label: string) {
    const path = new LogPath({ bytesPerMs }).run(ev)
    const session = monitor(path.output())
    const sent = dumpsIn(ev)
    expect(sent.size, label).toBeGreaterThan(0)
    expect(session.damaged.map(d => d.summary), label).toEqual([])
    expect(session.history.map(d => d.dump), label).toEqual([...sent.keys()])
    for (const d of session.history) expect(d.lines.map(l => l.replace(/^> /, "")), label).toEqual(sent.get(d.dump))
    expect(path.overflows, label).toBe(0)
    return path
}

describe("the log path model", () => {
    test("writes the ring as jd_dmesg_write: a line that does not fit before the end continues at offset 0", () => {
        const p = new LogPath({ bytesPerMs: 64, ringBytes: 256, connectAtMs: 1e9 })
        for (let i = 0; i < 5; i++) p.log("x".repeat(56) + i) // 5 lines of 60 bytes ("> ", 57, "\n"): 300 bytes
        // 256 - 240 = 16 bytes of the fifth line at the end, its other 44 from offset 0, a NUL after
        expect(p.ring.subarray(240, 256).toString()).toBe("> " + "x".repeat(14))
        expect(p.ring.subarray(0, 44).toString()).toBe("x".repeat(42) + "4\n")
        expect(p.ptr).toBe(44)
        expect(p.ring[44]).toBe(0)
    })

    test("cuts a line at 158 bytes, marker included, and splits a text at its newlines", () => {
        const p = new LogPath({ bytesPerMs: 1000 })
        p.log("a".repeat(300))
        p.log("one\ntwo")
        p.end()
        const lines = p.output().toString().split("\n")
        expect(lines[0]).toBe("> " + "a".repeat(LINE_TEXT_MAX - 2))
        expect(lines.slice(1)).toEqual(["> one", "> two", ""])
    })

    test("drains only in positive sleeps, at the link's rate", () => {
        const p = new LogPath({ bytesPerMs: 64 })
        for (let i = 0; i < 10; i++) p.log("y".repeat(97)) // 10 lines of 100 bytes
        p.yield()
        expect(p.output().length).toBe(0)
        p.sleep(1)
        expect(p.output().length).toBe(64)
        p.sleep(10)
        expect(p.output().length).toBe(704)
        p.end()
        expect(p.output().length).toBe(1000)
    })

    test("drops what overflows the ring without a mark, and a late connect replays from offset 0, mid-line", () => {
        // 50 lines of 100 bytes before the host connects: 5,000 bytes, the ring wrapped once
        const p = new LogPath({ bytesPerMs: 64, connectAtMs: 10 })
        for (let i = 0; i < 50; i++) p.log(String(i).padStart(2, "0") + "z".repeat(95))
        p.sleep(10) // connects: "usb: connected", then 131 ms until it sends
        p.end()
        const out = p.output().toString()
        expect(out).not.toContain("\xfe")
        // the ring's offset 0 holds the end of the line that wrapped (line 40: bytes 4,000-4,099)
        expect(out.startsWith("zzz\n> 41")).toBe(true)
        expect(out.endsWith("> 49" + "z".repeat(95) + "\nusb: connected\n")).toBe(true)
        // lines 0-39 and the start of 40 are gone; nothing says so
        expect(out).not.toContain("> 39")
    })

    test("refuses bad settings, naming them", () => {
        expect(() => new LogPath({ bytesPerMs: 0 })).toThrow(/bytesPerMs must be positive/)
        expect(() => new LogPath({ bytesPerMs: 1, ringBytes: 100 })).toThrow(/at least 256/)
        expect(() => new LogPath({ bytesPerMs: 1, connectAtMs: -1 })).toThrow(/connectAtMs/)
        expect(() => new LogPath({ bytesPerMs: 1 }).sleep(0)).toThrow(/yield\(\)/)
        expect(() => linkOf({ transport: "spi", baud: null })).toThrow(/unknown serial transport "spi"/)
        expect(() => linkOf({ transport: "uart", baud: null })).toThrow(/baud/)
        expect(linkOf({ transport: "uart", baud: 1500000 }).bytesPerMs).toBe(150)
    })
})

describe("every dump arrives whole through each board's log path", () => {
    test("the demo, on each board's pool", async () => {
        const damagedUnpaced: string[] = []
        for (const { board, link } of LINKS) {
            const ev = await capture(() => runDemo(new Pool({ size: board.pool }), { rounds: 48, pause: 0, ledBeat: 0, ledFail: 0 }))
            const path = expectWhole(ev, link.bytesPerMs, board.id)
            // the bounds the pacing keeps: bytes written between positive sleeps (well under the ring),
            // and VM slices in one main-loop pass (each <= 131,072 operations)
            expect(path.maxSinceSleep, board.id).toBeLessThanOrEqual(1024)
            expect(path.maxYields, board.id).toBeLessThanOrEqual(8)
            console.log(
                `${board.id} (${link.transport}, ${link.bytesPerMs} B/ms): demo ${path.written} bytes, ${dumpsIn(ev).size} dumps, at most ${path.maxSinceSleep} bytes between positive sleeps, ` +
                    `${path.maxBacklog} bytes waiting in the ring, ${path.maxYields + 1} slices in a main-loop pass`
            )
            // unpaced, the same output overflows the ring on every board; whether what is lost
            // falls inside a dump (so the monitor reports it damaged) depends on where the cut lands
            const raw = new LogPath({ bytesPerMs: link.bytesPerMs }).run(unpaced(ev))
            expect(raw.overflows, board.id).toBeGreaterThan(0)
            if (monitor(raw.output()).damaged.length > 0) damagedUnpaced.push(board.id)
        }
        expect(damagedUnpaced.length).toBeGreaterThanOrEqual(LINKS.length - 1)
    })

    test("a 32 KiB fully fragmented pool: memInfo, packed memInfo and phantoms, one after the other", async () => {
        const pool = new Pool(everyBlockOptions(32768))
        await buildChain(pool, true, async () => {})
        await pool.collectAsync()
        expect(pool.stats().freeRuns).toBeGreaterThan(800)
        const ev = await capture(async () => {
            await pool.memInfo(true)
            pool.packedMap(true)
            await pool.memInfo(true)
            pool.packedMap(false)
            await pool.phantoms(true)
        })
        expect(dumpsIn(ev).size).toBe(3)
        for (const { board, link } of LINKS) {
            const path = expectWhole(ev, link.bytesPerMs, board.id)
            // a dump's own lines: at most 1,024 bytes between positive sleeps
            expect(path.maxSinceSleep, board.id).toBeLessThanOrEqual(1024)
            const raw = new LogPath({ bytesPerMs: link.bytesPerMs }).run(unpaced(ev))
            expect(monitor(raw.output()).damaged.length, board.id).toBeGreaterThan(0)
        }
        const bytes = new LogPath({ bytesPerMs: 64 }).run(ev).written
        const sleeps = ev.filter(e => e.t === "sleep")
        const ms = sleeps.reduce((n, e) => n + (e as { ms: number }).ms, 0)
        console.log(
            `32 KiB fully fragmented: 3 dumps (lines/bytes: ${[...dumpsIn(ev).values()].map(d => d.length + "/" + d.reduce((n, l) => n + l.length + 3, 0)).join(", ")}), ` +
                `${bytes} bytes in the ring (${(bytes / RING_BYTES).toFixed(2)} rings), ${sleeps.length} positive sleeps of ${ms} ms in all`
        )
    })
})
