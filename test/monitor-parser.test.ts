/**
 * The monitor's stream layers: Jacdac frame stripping, line splitting, and the
 * dump assembler's whole / damaged verdicts (docs/serial-format.md), on the
 * stream recorded from the simulator's demo (test/fixtures/monitor-demo.rec)
 * and on board-like and damaged variants of it.
 */
import { describe, expect, test } from "vitest"
import { classifyLine, DumpAssembler, dumpCrc } from "../monitor/dumps.mjs"
import { FrameStripper, MAX_FRAME } from "../monitor/frames.mjs"
import { LineSplitter, MAX_LINE } from "../monitor/lines.mjs"
import { blockChanges, blockTypes, parsePayload } from "../monitor/payload.mjs"
import { Pool } from "../src/index"
import {
    chunks,
    dumpsOf,
    escapeText,
    fixtureLines,
    fixtureText,
    frame,
    randomPayload,
    rng,
    runSession,
} from "./monitor-support"

/** Text bytes after stripping, for a stream given in pieces. */
function strip(parts: number[][]): { text: string; gaps: number; stripper: FrameStripper } {
    const f = new FrameStripper()
    let text = ""
    let gaps = 0
    for (const p of [...parts.map(x => f.push(Uint8Array.from(x))), f.end()])
        for (const item of p) item.type === "text" ? (text += item.bytes.toString("latin1")) : gaps++
    return { text, gaps, stripper: f }
}

const bytes = (s: string) => [...Buffer.from(s, "latin1")]

describe("Jacdac frame stripping", () => {
    test("frames, escapes and gap markers, split at every possible point", () => {
        const wire = [
            ...bytes("ab"),
            ...frame([1, 0xfe, 0xff, 0xfd, 2]),
            ...bytes("c"),
            0xfe, 0xf8, // a literal 0xFE in the text
            0xfe, 0xf9, // reserved: ignored
            0xfe, 0xfb, // frames dropped: ignored
            ...bytes("d\n"),
            0xfe, 0xfa, // serial gap
            ...bytes("e"),
            0xfe, 0x41, // FE + another byte in text: a literal FE, then the byte
            0xfe, 0xfe, 0xf8, // FE FE: a literal FE, then FE F8: another
            ...bytes("f"),
            0xfe, 0xfd, // an end without a start: nothing
        ]
        const expected = "ab" + "c\xfe" + "d\n" + "e\xfeA" + "\xfe\xfe" + "f"
        for (let cut = 0; cut <= wire.length; cut++) {
            for (let cut2 = cut; cut2 <= wire.length; cut2 += 3) {
                const r = strip([wire.slice(0, cut), wire.slice(cut, cut2), wire.slice(cut2)])
                expect(r.text, `cut at ${cut}, ${cut2}`).toBe(expected)
                expect(r.gaps).toBe(1)
            }
        }
        const r = strip([wire])
        expect(r.stripper.counters).toMatchObject({ frames: 1, serialGaps: 1, frameGaps: 1, brokenFrames: 0 })
    })

    test("a frame broken by FE + another byte gives its bytes back as text", () => {
        const r = strip([[...bytes("x"), 0xfe, 0xfc, ...bytes("abc"), 0xfe, 0x41, ...bytes("y")]])
        expect(r.text).toBe("x\xfe\xfcabc\xfeAy")
        expect(r.stripper.counters.brokenFrames).toBe(1)
    })

    test("a start with no end does not swallow the text for good", () => {
        const text = "@1:0 hello\n".repeat(200)
        const r = strip([[0xfe, 0xfc, ...bytes(text)]])
        // the garbage start and the first MAX_FRAME bytes come back as text
        expect(r.text).toBe("\xfe\xfc" + text)
        expect(r.stripper.counters.brokenFrames).toBe(1)
        expect(text.length).toBeGreaterThan(MAX_FRAME)
    })
})

describe("line splitting", () => {
    test("\\r\\n and \\n, partial lines, overlong lines and gaps", () => {
        const s = new LineSplitter()
        const out = [
            ...s.push(Buffer.from("one\r\ntw")),
            ...s.push(Buffer.from("o\nthr")),
            ...s.gap(),
            ...s.push(Buffer.from("ee\n" + "x".repeat(MAX_LINE + 5) + "\nlast")),
            ...s.end(),
        ]
        expect(out.map(l => [l.text.length > 20 ? `x*${l.text.length}` : l.text, l.cut, l.afterGap])).toEqual([
            ["one", false, false],
            ["two", false, false],
            ["thr", true, false],
            ["ee", false, true],
            [`x*${MAX_LINE}`, true, false],
            ["xxxxx", false, false],
            ["last", true, false],
        ])
    })

    test("UTF-8 text is decoded, other bytes kept one to one", () => {
        const s = new LineSplitter()
        const [a, b] = s.push(Buffer.concat([Buffer.from("é ok\n"), Buffer.from([0xff, 0x41, 0x0a])]))
        expect(a.text).toBe("é ok")
        expect(b.text).toBe("\xffA")
    })
})

describe("dump lines and the crc", () => {
    test("prefixes: plain, DMESG markers, WASM>, garbled", () => {
        expect(classifyLine("@12:3 text")).toEqual({ kind: "dump", dump: 12, index: 3, text: "text" })
        expect(classifyLine("> @1:0 GC: total: 1")).toMatchObject({ kind: "dump", dump: 1, index: 0 })
        expect(classifyLine("WASM> @1:2  x")).toMatchObject({ kind: "dump", index: 2, text: " x" })
        expect(classifyLine("@1:x2 text").kind).toBe("garbled")
        expect(classifyLine("@1:2")).toEqual({ kind: "garbled" })
        expect(classifyLine("start: poolgc").kind).toBe("log")
        expect(classifyLine("demo @1:2 x").kind).toBe("log")
    })

    test("the crc is the one poolgc's own dumps carry (Node build of the pool)", async () => {
        const pool = new Pool({ size: 4096 })
        pool.setRoot("a", pool.string("hello"))
        const lines: string[] = []
        await pool.memInfo(true, l => lines.push(l))
        const texts = lines.slice(0, -1).map((l: string) => l.replace(/^@\d+:\d+ /, ""))
        expect(lines.at(-1)).toMatch(new RegExp(`crc=${dumpCrc(texts)}$`))
    })
})

describe("the recorded demo", () => {
    test("every dump whole, parsed, the log lines passed through", () => {
        const { session, order } = runSession([Buffer.from(fixtureText(), "latin1")])
        expect(order).toEqual(Array.from({ length: 12 }, (_, i) => `whole ${i + 1}`))
        const logs = session.logs.map(l => l.text)
        expect(logs).toContain("demo: the guide's story, on a 16384-byte pool")
        expect(logs).toContain("poolgc demo done")
        expect(session.logs.find(l => l.text.startsWith("start: "))?.kind).toBe("system")
        expect(logs.some(l => l.startsWith("@"))).toBe(false)
        for (const d of session.history) {
            expect(d.error).toBeNull()
            expect(d.blocks).toHaveLength(1024)
            expect(d.stats!.total).toBe(16384)
        }
        // story step 1: Blinka's bitmap at 960 (block 60), 65 blocks, then the TileGrid,
        // the Group (records) and the list
        const d2 = session.history[1]
        expect(d2.blocks!.slice(58, 130)).toBe("MMP" + "=".repeat(64) + "RRL=.")
        expect(blockTypes(d2.blocks!).slice(60, 129)).toBe("P".repeat(65) + "RRLL")
        // step 5: after collect() the string goes where the bitmap was; the bitmap's
        // blocks are freed, the string's are new
        const ch = blockChanges(session.history[4].blocks, session.history[5].blocks!)
        expect(ch.slice(60, 62)).toBe("++")
        expect(ch.slice(62, 125)).toBe("-".repeat(63))
        expect(ch.slice(129, 131)).toBe("  ") // the score and the time stay
        // stats as printed
        const s12 = session.history[11].stats!
        expect(s12).toMatchObject({ used: 7232, free: 9152, largestFree: 7792, freeRuns: 4, objects: 118, collections: 5 })
        expect(s12.fragmentation).toBeCloseTo(1 - 7792 / 9152, 6)
    })

    test("the same text as a board sends it: DMESG markers, CRLF, Jacdac frames, escapes, random chunks", () => {
        for (let seed = 1; seed <= 20; seed++) {
            const r = rng(seed)
            const wire: number[] = []
            for (const line of fixtureLines()) {
                if (r.chance(0.3)) wire.push(...frame(randomPayload(r)))
                if (r.chance(0.05)) wire.push(0xfe, r.chance(0.5) ? 0xf9 : 0xfb)
                // a literal 0xFE in some log lines (never in dump lines: they are ASCII)
                const fe = !line.startsWith("@") && r.chance(0.3) ? " \xfe" : ""
                const text = Buffer.from(`> ${line}${fe}\r\n`, "latin1")
                const cut = r.int(text.length)
                wire.push(...escapeText(text.subarray(0, cut)))
                if (r.chance(0.3)) wire.push(...frame(randomPayload(r))) // a frame in the middle of a line
                wire.push(...escapeText(text.subarray(cut)))
            }
            const { session, order } = runSession(chunks(Uint8Array.from(wire), r))
            expect(order, `seed ${seed}`).toEqual(Array.from({ length: 12 }, (_, i) => `whole ${i + 1}`))
            expect(session.logs.some(l => l.text.startsWith("> demo: 5. after collect()"))).toBe(true)
            expect(session.logs.some(l => l.text.endsWith(" \xfe"))).toBe(true)
        }
    })
})

/** Lines of the fixture with the given (index -> replacement) edits; null drops the line. */
function edit(lines: string[], edits: Map<number, string | null>): string {
    return lines.flatMap((l, i) => (edits.has(i) ? (edits.get(i) === null ? [] : [edits.get(i)!]) : [l])).join("\n") + "\n"
}

describe("damage", () => {
    const lines = fixtureLines()
    const dumps = dumpsOf(lines)
    const run = (text: string) => runSession([Buffer.from(text, "latin1")])
    const verdict = (s: any, dump: number) => s.damaged.find((d: any) => d.dump === dump)

    test("dropped lines: exactly those are reported lost, the rest stay whole", () => {
        const d7 = dumps.get(7)!.at // @7:0 .. @7:11 (end)
        const { session, order } = run(edit(lines, new Map([[d7[2], null], [d7[3], null], [d7[9], null]])))
        expect(order.filter(o => o.startsWith("damaged"))).toEqual(["damaged 7"])
        const v = verdict(session, 7)
        expect(v).toMatchObject({ lost: [2, 3, 9], expected: 11, received: 8, endLost: false, crcMismatch: false })
        expect(v.summary).toBe("dump 7 damaged: lost 3 lines of 11 (2-3, 9)")
        expect(session.history.map(d => d.dump)).toEqual([1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12])
        // the damage is among the log lines, saying what is still shown
        expect(session.logs.find(l => l.kind === "damage")?.text).toBe(v.summary + "; still showing dump 6")
    })

    test("a cut or altered line: the crc says so", () => {
        const at = dumps.get(8)!.at[6]
        const { session } = run(edit(lines, new Map([[at, lines[at].slice(0, 40)]])))
        expect(verdict(session, 8)).toMatchObject({ lost: [], crcMismatch: true, endLost: false })
        const at2 = dumps.get(9)!.at[7]
        const { session: s2 } = run(edit(lines, new Map([[at2, lines[at2].replace("R=P", "R=F")]])))
        expect(verdict(s2, 9)).toMatchObject({ lost: [], crcMismatch: true })
    })

    test("a lost end: judged when the next dump starts, or when the stream ends", () => {
        const end3 = dumps.get(3)!.at.at(-1)!
        const { session } = run(edit(lines, new Map([[end3, null]])))
        expect(verdict(session, 3)).toMatchObject({ endLost: true, lost: [], highest: 8, cause: "dump 4 started" })
        expect(verdict(session, 3).summary).toMatch(/its end never came \(dump 4 started\): the end and any lines after 8 lost/)
        expect(session.history.map(d => d.dump)).toContain(4)

        const last = dumps.get(12)!.at
        const cut = lines.slice(0, last[5]).join("\n") + "\n"
        const r = run(cut)
        expect(verdict(r.session, 12)).toMatchObject({ endLost: true, highest: 4, cause: "the source ended" })
    })

    test("a program restart in the middle of a dump", () => {
        const d5 = dumps.get(5)!.at
        const text = lines.slice(0, d5[4]).join("\n") + "\nstart: poolgc v0\n" + lines.slice(0, dumps.get(2)!.at.at(-1)! + 1).join("\n") + "\n"
        const { session, order } = run(text)
        expect(order).toEqual(["whole 1", "whole 2", "whole 3", "whole 4", "damaged 5", "whole 1", "whole 2"])
        expect(verdict(session, 5)).toMatchObject({ endLost: true, cause: "the program restarted" })
    })

    test("a serial gap in the middle of a line: the cut line and the dropped ones are lost", () => {
        const d10 = dumps.get(10)!.at
        // the device dropped the end of line 5, lines 6 and 7, and the start of line 8
        const before = lines.slice(0, d10[5]).join("\n") + "\n" + lines[d10[5]].slice(0, 20)
        const after = lines[d10[8]].slice(10) + "\n" + lines.slice(d10[8] + 1).join("\n") + "\n"
        const wire = Buffer.concat([Buffer.from(before, "latin1"), Buffer.from([0xfe, 0xfa]), Buffer.from(after, "latin1")])
        const { session } = runSession([wire])
        expect(verdict(session, 10)).toMatchObject({ lost: [5, 6, 7, 8], crcMismatch: false, endLost: false })
        expect(session.counters.serialGaps).toBe(1)
        expect(session.logs.some(l => l.kind === "monitor" && /serial gap/.test(l.text))).toBe(true)
        // the tail of line 8 passes as a log line, marked as cut; the next dump is whole
        const tail = lines[d10[8]].slice(10)
        expect(session.logs.find(l => l.text === tail)?.cut).toBe(true)
        expect(session.history.map(d => d.dump)).toContain(11)
    })

    test("two lines joined (a lost newline)", () => {
        const at = dumps.get(6)!.at[3]
        const { session } = run(edit(lines, new Map([[at, lines[at] + lines[at + 1]], [at + 1, null]])))
        expect(verdict(session, 6)).toMatchObject({ lost: [4], crcMismatch: false })
    })

    test("random damage: a whole verdict is always the dump as sent; untouched dumps stay whole; dropped lines are counted exactly", () => {
        const original = new Map([...dumps].map(([d, e]) => [d, e.texts]))
        const dumpOfLine = new Map<number, number>()
        for (const [d, e] of dumps) for (const i of e.at) dumpOfLine.set(i, d)
        const firstLine = new Map([...dumps].map(([d, e]) => [d, e.at[0]]))
        let exact = 0
        for (let seed = 1; seed <= 300; seed++) {
            const r = rng(seed)
            const sure = new Set<number>() // dumps certainly damaged
            const unknown = new Set<number>() // dumps whose fate the test does not predict
            const drops = new Map<number, number[]>() // dump -> dropped payload indexes
            const spoiled = new Set<number>() // dumps with damage other than dropped payload lines
            const wire: number[] = []
            lines.forEach((line, i) => {
                const d = dumpOfLine.get(i)
                const at = d !== undefined ? dumps.get(d)!.at.indexOf(i) : -1
                const isEnd = d !== undefined && at === dumps.get(d)!.at.length - 1
                const op = r.int(40)
                if (op === 0) {
                    // harmless garbage on a line of its own (no 0xFE or 0xFF, no "@", no newline)
                    for (let k = 1 + r.int(30); k > 0; k--) {
                        const b = r.int(254)
                        wire.push(b === 10 || b === 64 ? 32 : b)
                    }
                    wire.push(10)
                }
                let text = Buffer.from(line + "\n", "latin1")
                if (d !== undefined && op === 1) {
                    // the line is lost
                    sure.add(d)
                    if (isEnd) spoiled.add(d)
                    else drops.set(d, [...(drops.get(d) ?? []), at])
                    return
                }
                if (d !== undefined && op === 2) {
                    // cut short (the newline kept), or one byte changed
                    sure.add(d)
                    spoiled.add(d)
                    if (r.chance(0.5)) text = Buffer.concat([text.subarray(0, 1 + r.int(text.length - 2)), Buffer.from("\n")])
                    else {
                        const k = r.int(text.length - 1)
                        text[k] = text[k] === 65 ? 66 : 65
                    }
                }
                if (op === 3) {
                    // random bytes (0xFE and newlines included), raw on the wire, inside the line
                    const g = Array.from({ length: 1 + r.int(8) }, () => r.int(256))
                    const k = r.int(text.length)
                    wire.push(...escapeText(text.subarray(0, k)), ...g, ...escapeText(text.subarray(k)))
                    if (d !== undefined) unknown.add(d)
                    // a 0xFE may start a "frame" that swallows what follows
                    if (g.includes(0xfe)) for (const [dd, first] of firstLine) if (dumps.get(dd)!.at.at(-1)! >= i) unknown.add(dd)
                    return
                }
                wire.push(...escapeText(text))
            })
            const { session } = runSession(chunks(Uint8Array.from(wire), r))
            const whole = new Set(session.history.map(h => h.dump))
            // 1. never a false whole: every whole dump is exactly the one sent
            for (const h of session.history) expect(h.texts, `seed ${seed}, dump ${h.dump}`).toEqual(original.get(h.dump))
            for (const [d] of dumps) {
                if (unknown.has(d)) continue
                // 2. dumps nothing happened to are whole; 3. damaged ones are not
                expect(whole.has(d), `seed ${seed}: dump ${d} ${sure.has(d) ? "damaged" : "untouched"}`).toBe(!sure.has(d))
                if (sure.has(d) && !spoiled.has(d)) {
                    // 4. only payload lines dropped: exactly those are reported lost
                    const v = session.damaged.find(x => x.dump === d)!
                    expect(v.lost, `seed ${seed}, dump ${d}`).toEqual(drops.get(d))
                    expect(v.endLost).toBe(false)
                    exact++
                }
            }
        }
        expect(exact).toBeGreaterThan(50)
    })
})

describe("the payload", () => {
    test("folded rows unfold; a short last row; bad rows are reported, not guessed", () => {
        const texts = [
            "GC: total: 2560, used: 1024, free: 1536",
            " No. of 1-blocks: 1, 2-blocks: 0, max blk sz: 1, max free sz: 95",
            " objects: 1, meta: 1008, free runs: 1, largest free: 1520, min free: 1520",
            " collections: 0, pause: 0 ms, work: 0, phase: idle, auto: on, threshold: 0",
            "GC memory layout; from 0:",
            "00000: " + "M".repeat(63) + "F",
            "       (1 lines all free)",
            "00800: " + ".".repeat(32),
        ]
        const p = parsePayload(texts)
        expect(p.error).toBeNull()
        expect(p.blocks).toBe("M".repeat(63) + "F" + ".".repeat(96))
        expect(parsePayload([...texts.slice(0, 7), "00900: " + ".".repeat(32)]).error).toMatch(/starts at block 144, expected 128/)
        expect(parsePayload(texts.slice(0, 4))).toMatchObject({ blocks: null, error: null })
        expect(parsePayload(texts.slice(0, 6)).error).toMatch(/the map has 64 blocks, total says 160/)
    })
})
