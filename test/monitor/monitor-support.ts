/**
 * Helpers for the monitor tests: the recorded demo fixture, a seeded random
 * generator, board-like encodings of a text stream, and running a byte stream
 * through a MonitorSession.
 */
import { readRecording } from "../../monitor/protocol/recording.mjs"
import { MonitorSession } from "../../monitor/protocol/session.mjs"

/** The demo, in the dump format before the statistics lines (4 summary lines). */
export const FIXTURE = "test/fixtures/monitor-demo.rec"
/**
 * test/fixtures/monitor-stats.ts in the simulator: the statistics lines, by
 * type, and a phantom view (dump 3).
 */
export const STATS_FIXTURE = "test/fixtures/monitor-stats.rec"

/** A fixture's text, as the simulator printed it (one `\n` a line). */
export function fixtureText(path = FIXTURE): string {
    const { items } = readRecording(path)
    return Buffer.concat(items.flatMap(i => ("data" in i ? [i.data] : []))).toString("latin1")
}

/** A fixture's lines (without the final empty string). */
export function fixtureLines(path = FIXTURE): string[] {
    return fixtureText(path).split("\n").slice(0, -1)
}

/** Mulberry32: a small seeded PRNG, so a failing case can be replayed. */
export function rng(seed: number) {
    let a = seed >>> 0
    const next = () => {
        a = (a + 0x6d2b79f5) >>> 0
        let t = a
        t = Math.imul(t ^ (t >>> 15), t | 1)
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
    return { next, int: (n: number) => Math.floor(next() * n), chance: (p: number) => next() < p }
}

/** Escapes text bytes for the wire: a literal 0xFE is FE F8. */
export function escapeText(bytes: Uint8Array): number[] {
    const out: number[] = []
    for (const b of bytes) b === 0xfe ? out.push(0xfe, 0xf8) : out.push(b)
    return out
}

/** A Jacdac frame on the wire: FE FC, the payload with 0xFE escaped, FE FD. */
export function frame(payload: number[]): number[] {
    return [0xfe, 0xfc, ...escapeText(Uint8Array.from(payload)), 0xfe, 0xfd]
}

/** Random frame payload bytes, 0xFE and 0xFF included (they are common in Jacdac packets). */
export function randomPayload(r: ReturnType<typeof rng>): number[] {
    const n = 4 + r.int(60)
    return Array.from({ length: n }, () => (r.chance(0.1) ? 0xfe : r.chance(0.1) ? 0xff : r.int(256)))
}

/** Splits bytes into random chunks (1 to 200 bytes), as a serial port delivers them. */
export function chunks(bytes: Uint8Array, r: ReturnType<typeof rng>): Buffer[] {
    const out: Buffer[] = []
    for (let i = 0; i < bytes.length; ) {
        const n = 1 + r.int(r.chance(0.2) ? 3 : 200)
        out.push(Buffer.from(bytes.subarray(i, i + n)))
        i += n
    }
    return out
}

/** Runs chunks through a session (no idle timer) and ends the stream. */
export function runSession(parts: Uint8Array[]) {
    const s = new MonitorSession({ source: "test", idleMs: 0 })
    const order: string[] = []
    s.on("dump", d => order.push(`whole ${d.dump}`))
    s.on("damaged", d => order.push(`damaged ${d.dump}`))
    for (const p of parts) s.data(p)
    s.setStatus("ended")
    s.close()
    return { session: s, order }
}

/** The dumps of a list of lines: number -> { texts, lineIndexes (positions in `lines`) }. */
export function dumpsOf(lines: string[]) {
    const dumps = new Map<number, { texts: string[]; at: number[] }>()
    lines.forEach((l, i) => {
        const m = /^@(\d+):(\d+) (.*)$/.exec(l)
        if (!m) return
        const d = Number(m[1])
        if (!dumps.has(d)) dumps.set(d, { texts: [], at: [] })
        const e = dumps.get(d)!
        e.at.push(i)
        if (!m[3].startsWith("end lines=")) e.texts.push(m[3])
    })
    return dumps
}
