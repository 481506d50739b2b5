/**
 * The monitor's stream layers: Jacdac frame stripping, line splitting, and the
 * dump assembler's whole / damaged verdicts (docs/serial-format.md), on the
 * stream recorded from the simulator's demo (test/fixtures/monitor-demo.rec)
 * and on board-like and damaged variants of it; the payload, the statistics
 * lines and a phantom view (test/fixtures/monitor-stats.rec, and dumps the
 * Node build of the pool prints).
 */
import { EventEmitter } from "node:events"
import { describe, expect, test } from "vitest"
import { classifyLine, DumpAssembler, dumpCrc } from "../../monitor/protocol/dumps.mjs"
import { FrameStripper, MAX_FRAME } from "../../monitor/protocol/frames.mjs"
import { LineSplitter, MAX_LINE } from "../../monitor/protocol/lines.mjs"
import { blockChanges, blockTypes, isPhantom, parsePayload, plainText } from "../../monitor/protocol/payload.mjs"
import { startPlainView } from "../../monitor/views/plain.mjs"
import { Pool } from "../../src/index"
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
    STATS_FIXTURE,
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

    test("packed rows (packedMap) unpack: a character and a run length; bad runs are reported", () => {
        const head = [
            "GC: total: 2048, used: 1104, free: 944",
            " No. of 1-blocks: 1, 2-blocks: 1, max blk sz: 12, max free sz: 45",
            " objects: 3, meta: 1008, free runs: 2, largest free: 720, min free: 720",
            " collections: 0, pause: 0 ms, work: 0, phase: idle, auto: on, threshold: 0",
            "GC memory layout; from 0:",
        ]
        const p = parsePayload([...head, "00000: M63F", "00400: A=11L=.=3.12.a=5.27"])
        expect(p.error).toBeNull()
        expect(p.blocks).toBe("M".repeat(63) + "F" + "A" + "=".repeat(11) + "L=." + "===" + ".".repeat(12) + "." + "a=====" + ".".repeat(27))
        // a plain row and a packed one of the same blocks read the same
        expect(parsePayload([...head, "00000: " + "M".repeat(63) + "F", "00400: A=11L=.=3.12.a=5.27"]).blocks).toBe(p.blocks)
        expect(parsePayload([...head, "00000: M63F", "00400: 5A=11L=.=3.12.a=5.27"]).error).toMatch(/unreadable map line 6/)
        expect(parsePayload([...head, "00000: M63F", "00400: A=011L=.=3.12.a=5.27"]).error).toMatch(/unreadable map line 6/)
        expect(parsePayload([...head, "00000: M65", "00400: A"]).error).toMatch(/map line 5 is longer than 64 blocks/)
        expect(parsePayload([...head, "00000: M63F", "00400: A=11L=.=3.12.a=5.28"]).error).toMatch(/map line 6 is longer than 64 blocks/)
        // shown as MicroPython prints them (the plain view, the web view's text); other texts as they are
        expect(plainText("00400: A=11L=.=3.12.a=5.27")).toBe("00400: " + p.blocks!.slice(64))
        for (const t of [...head, "       (3 lines all free)", "00000: " + "M".repeat(64)]) expect(plainText(t)).toBe(t)
        const out: string[] = []
        const session = new EventEmitter()
        const view = startPlainView(session as any, { write: (s: string) => out.push(s) } as any)
        session.emit("dump", { dump: 7, texts: [...head, "00000: M63F", "00400: A=11L=.=3.12.a=5.27"] })
        view.stop()
        expect(out.join("")).toBe("=== dump 7: whole, 7 lines ===\n" + [...head, "00000: " + "M".repeat(63) + "F", "00400: " + p.blocks!.slice(64)].join("\n") + "\n")
    })
})

/** The four summary lines every dump has (the format's example: a 4096-byte pool). */
const SUMMARY4 = [
    "GC: total: 4096, used: 672, free: 3424",
    " No. of 1-blocks: 1, 2-blocks: 1, max blk sz: 3, max free sz: 210",
    " objects: 3, meta: 576, free runs: 3, largest free: 3360, min free: 3360",
    " collections: 1, pause: 0 ms, work: 81, phase: idle, auto: on, threshold: 0",
]
/** The two statistics lines (one line, ALLOCS_ONE_LINE, on the first devices that printed these figures). */
const ALLOCS = [" allocs: 6, releases: 1, swept: 2, compactions: 0", " gc work: 81, gc time: 0 ms, frag: 1.9%, largest alloc: 3352"]
const ALLOCS_ONE_LINE = " allocs: 6, releases: 1, swept: 2, compactions: 0, gc work: 81, gc time: 0 ms, frag: 1.9%, largest alloc: 3352"
const BY_TYPE = " by type: bytes 2/48, string 0/0, number 0/0, bitmap 0/0, list 1/48, record 0/0"
const MAP = ["GC memory layout; from 0:", "00000: " + "M".repeat(36) + "L==...A=.A" + ".".repeat(18), "       (3 lines all free)"]

/** umm_malloc's fragmentation of a map, in percent to one decimal, as the device prints it. */
function ummFrag(blocks: string): number {
    const runs = blocks.match(/\.+/g)?.map(r => r.length) ?? []
    const sum = runs.reduce((a, b) => a + b, 0)
    const squares = runs.reduce((a, b) => a + b * b, 0)
    return sum === 0 ? 0 : Math.round(1000 - (1000 * Math.sqrt(squares)) / sum) / 10
}

/** Objects (heads) and bytes of each type letter in a map; `phantom` counts the lower-case ones only, else all. */
function countMap(blocks: string, phantom = false) {
    const types = blockTypes(blocks)
    const out: Record<string, { objects: number; bytes: number }> = {}
    for (let i = 0; i < blocks.length; i++) {
        const t = types[i]
        if (t === "." || t === "M" || (phantom && !isPhantom(t))) continue
        const k = t.toUpperCase()
        out[k] ??= { objects: 0, bytes: 0 }
        out[k].bytes += 16
        if (blocks[i] !== "=") out[k].objects++
    }
    return out
}

const LETTER: Record<string, string> = { bytes: "A", string: "S", number: "F", bitmap: "P", list: "L", record: "R" }

describe("the statistics lines and the phantom view", () => {
    test("the format's example: every new field read by value", () => {
        const p = parsePayload([...SUMMARY4, ...ALLOCS, BY_TYPE, " phantoms: 2 objects, 48 bytes a collection would free", ...MAP])
        expect(p.error).toBeNull()
        expect(p.stats).toMatchObject({
            total: 4096,
            used: 672,
            objects: 3,
            phase: "idle",
            allocs: 6,
            releases: 1,
            swept: 2,
            compactions: 0,
            gcWork: 81,
            gcMs: 0,
            fragPercent: 1.9,
            largestAlloc: 3352,
            phantoms: { objects: 2, bytes: 48 },
        })
        expect(p.stats!.byType).toEqual({
            bytes: { objects: 2, bytes: 48 },
            string: { objects: 0, bytes: 0 },
            number: { objects: 0, bytes: 0 },
            bitmap: { objects: 0, bytes: 0 },
            list: { objects: 1, bytes: 48 },
            record: { objects: 0, bytes: 0 },
        })
        // the map after the new lines, and the device's figures agree with it
        expect(p.blocks).toBe("M".repeat(36) + "L==...A=.A" + ".".repeat(18 + 192))
        expect(ummFrag(p.blocks!)).toBe(1.9)
        expect(p.stats!.largestAlloc).toBe(p.stats!.largestFree - 8)
        // without the phantoms line (memInfo rather than phantoms()): no phantoms field
        const q = parsePayload([...SUMMARY4, ...ALLOCS, BY_TYPE, ...MAP])
        expect(q.error).toBeNull()
        expect(q.stats).not.toHaveProperty("phantoms")
        expect(q.stats!.allocs).toBe(6)
        // the one-line form gives the same figures
        const one = parsePayload([...SUMMARY4, ALLOCS_ONE_LINE, BY_TYPE, ...MAP])
        expect(one.error).toBeNull()
        expect(one.stats).toEqual(q.stats)
        // a big dump's figures, and a fragmentation of more than one digit
        const big = parsePayload([
            ...SUMMARY4,
            " allocs: 1234567, releases: 89, swept: 1234000, compactions: 17",
            " gc work: 987654321, gc time: 4321 ms, frag: 37.5%, largest alloc: 0",
        ])
        expect(big.stats).toMatchObject({ allocs: 1234567, releases: 89, swept: 1234000, compactions: 17, gcWork: 987654321, gcMs: 4321, fragPercent: 37.5, largestAlloc: 0 })
    })

    test("an old-format dump (four summary lines) parses as before: the new fields are absent", () => {
        const p = parsePayload([...SUMMARY4, ...MAP])
        expect(p.error).toBeNull()
        expect(p.blocks).toHaveLength(256)
        expect(p.stats).toMatchObject({ total: 4096, free: 3424, largestFree: 3360, collections: 1, work: 81 })
        for (const k of ["allocs", "releases", "swept", "compactions", "gcWork", "gcMs", "fragPercent", "largestAlloc", "byType", "phantoms"])
            expect(p.stats, k).not.toHaveProperty(k)
        // the recorded demo is in that format too
        const { session } = runSession([Buffer.from(fixtureText(), "latin1")])
        expect(session.history).toHaveLength(12)
        for (const d of session.history) {
            expect(d.error).toBeNull()
            expect(d.stats).not.toHaveProperty("allocs")
            expect(d.stats).not.toHaveProperty("byType")
        }
    })

    test("the phases of compaction; phantom letters in the map; what is not the format is reported", () => {
        for (const phase of ["idle", "mark", "sweep", "hold", "compact", "lift"]) {
            const texts = [...SUMMARY4.slice(0, 3), SUMMARY4[3].replace("phase: idle", `phase: ${phase}`), ...ALLOCS, BY_TYPE]
            expect(parsePayload(texts).stats!.phase).toBe(phase)
        }
        const row = "00000: " + "M".repeat(36) + "l==...a=.A" + ".".repeat(18)
        const ph = parsePayload([...SUMMARY4, ...ALLOCS, BY_TYPE, " phantoms: 2 objects, 80 bytes a collection would free", MAP[0], row, MAP[2]])
        expect(ph.error).toBeNull()
        expect(ph.blocks!.slice(36, 46)).toBe("l==...a=.A")
        expect(blockTypes(ph.blocks!).slice(36, 46)).toBe("lll...aa.A")
        expect(countMap(ph.blocks!, true)).toEqual({ L: { objects: 1, bytes: 48 }, A: { objects: 1, bytes: 32 } })

        const bad = (line: string) => parsePayload([...SUMMARY4, line, BY_TYPE, ...MAP])
        expect(bad(ALLOCS_ONE_LINE.replace("frag: 1.9%", "frag: lots"))).toMatchObject({ blocks: null, error: expect.stringMatching(/^unreadable statistics line 4: /) })
        expect(bad(ALLOCS[1].replace("frag: 1.9%", "frag: lots"))).toMatchObject({ blocks: null, error: expect.stringMatching(/^unreadable statistics line 4: /) })
        expect(bad(ALLOCS[0].replace("swept: 2", "swept: two"))).toMatchObject({ blocks: null, error: expect.stringMatching(/^unreadable statistics line 4: /) })
        expect(parsePayload([...SUMMARY4, ...ALLOCS, " by type: bytes 2/48, string two/0", ...MAP]).error).toMatch(/^unreadable line 6 \(by type\)/)
        expect(parsePayload([...SUMMARY4, ...ALLOCS, BY_TYPE, " phantoms: some", ...MAP]).error).toMatch(/^unreadable line 7 \(phantoms\)/)
        expect(parsePayload([...SUMMARY4, "GC memory layout; from 4:", ...MAP.slice(1)]).error).toBe("unexpected line 4: GC memory layout; from 4:")
        // a summary line the monitor does not know (a newer device's) is skipped, the rest still read
        const newer = parsePayload([...SUMMARY4, ...ALLOCS, " finalisers: 3 pending", BY_TYPE, ...MAP])
        expect(newer.error).toBeNull()
        expect(newer.stats!.byType!.list).toEqual({ objects: 1, bytes: 48 })
        expect(newer.blocks).toHaveLength(256)
    })

    test("recorded from the simulator: the figures by value, checked against each dump's own map", () => {
        const { session, order } = runSession([Buffer.from(fixtureText(STATS_FIXTURE), "latin1")])
        expect(order).toEqual(["whole 1", "whole 2", "whole 3", "whole 4", "whole 5", "whole 6"])
        const [d1, d2, d3, d4, d5, d6] = session.history
        for (const d of session.history) expect(d.error, `dump ${d.dump}`).toBeNull()
        // 1: six allocations, one free(), a collection that swept the number and the string
        expect(d1.stats).toMatchObject({ allocs: 6, releases: 1, swept: 2, compactions: 0, gcWork: 143, gcMs: 0, fragPercent: 0.9, largestAlloc: 7320 })
        expect(d1.blocks!.slice(44, 64)).toBe("L==...A=.A..........")
        // 2: all reachable; 3: the phantom view of the same pool; 4: memInfo of it again
        expect(d2.stats).toMatchObject({ allocs: 14, releases: 1, swept: 2, objects: 11, phase: "idle" })
        expect(d2.stats).not.toHaveProperty("phantoms")
        expect(d3.stats).toMatchObject({ allocs: 14, phase: "hold", work: 14, gcWork: 157, phantoms: { objects: 8, bytes: 208 } })
        expect(d2.blocks!.slice(44, 64)).toBe("L==RSFA=FAP==L=FA==.")
        expect(d3.blocks!.slice(44, 64)).toBe("L==rsfA=fAp==l=fa==.")
        expect(d4.blocks).toBe(d2.blocks)
        expect(d4.stats).not.toHaveProperty("phantoms")
        // becoming a phantom, or live again, is not a change of the map
        expect(blockChanges(d2.blocks, d3.blocks!).trim()).toBe("")
        expect(blockChanges(d3.blocks, d4.blocks!).trim()).toBe("")
        // the phantoms line agrees with the lower-case letters of the map
        const ph = countMap(d3.blocks!, true)
        expect(Object.values(ph).reduce((a, u) => a + u.objects, 0)).toBe(8)
        expect(Object.values(ph).reduce((a, u) => a + u.bytes, 0)).toBe(208)
        expect(ph).toEqual({
            R: { objects: 1, bytes: 16 },
            S: { objects: 1, bytes: 16 },
            F: { objects: 3, bytes: 48 },
            P: { objects: 1, bytes: 48 },
            L: { objects: 1, bytes: 32 },
            A: { objects: 1, bytes: 48 },
        })
        // 5: after collect() and compact(); 6: the same, summary only
        expect(d5.stats).toMatchObject({ collections: 3, swept: 10, compactions: 1, gcWork: 842, fragPercent: 0, freeRuns: 1, largestAlloc: 7384 })
        expect(d5.blocks!.slice(44, 64)).toBe("L==A=A" + ".".repeat(14))
        expect(d6).toMatchObject({ blocks: null, error: null })
        expect(d6.stats).toMatchObject({ allocs: 14, releases: 1, swept: 10, compactions: 1, largestAlloc: 7384 })
        expect(d6.stats!.byType).toEqual(d5.stats!.byType)
        for (const d of [d1, d2, d3, d4, d5]) {
            const s = d.stats!
            expect(s.fragPercent, `dump ${d.dump}`).toBe(ummFrag(d.blocks!))
            expect(s.largestAlloc).toBe(s.largestFree - 8)
            // by type: every object the map shows (phantoms included), and nothing else
            const map = countMap(d.blocks!)
            for (const [name, u] of Object.entries(s.byType!)) expect(u, `dump ${d.dump}, ${name}`).toEqual(map[LETTER[name]] ?? { objects: 0, bytes: 0 })
            expect(Object.values(s.byType!).reduce((a, u) => a + u.objects, 0)).toBe(s.objects)
            expect(Object.values(s.byType!).reduce((a, u) => a + u.bytes, 0)).toBe(s.used - s.meta)
        }
    })

    test("what the Node build of the pool prints parses to its own stats()", async () => {
        const pool = new Pool({ size: 8192 })
        const keep = pool.list(8)
        pool.setRoot("keep", keep)
        for (let i = 0; i < 6; i++) pool.push(keep, pool.string("keep " + i))
        pool.number(1)
        pool.bytes(100)
        const gone = pool.list(2)
        pool.push(gone, pool.number(2))
        pool.free(pool.get(keep, 1))
        pool.collect()
        pool.bytes(40) // a phantom
        pool.number(3) // another
        const lines: string[] = []
        await pool.memInfo(true, l => lines.push(l))
        const report = await pool.phantoms(true, l => lines.push(l))
        // the same two dumps with their map rows packed
        pool.packedMap(true)
        await pool.memInfo(true, l => lines.push(l))
        await pool.phantoms(true, l => lines.push(l))
        pool.packedMap(false)
        const { session, order } = runSession([Buffer.from(lines.join("\n") + "\n")])
        expect(order).toHaveLength(4)
        const [live, view, livePacked, viewPacked] = session.history
        expect(lines.filter(l => /^@\d+:\d+ [0-9a-f]{5}: .*[0-9]/.test(l)).length).toBeGreaterThanOrEqual(2) // runs packed, in both dumps
        expect(livePacked.error).toBeNull()
        expect(livePacked.blocks).toBe(live.blocks)
        expect(viewPacked.blocks).toBe(view.blocks)
        const st = pool.stats()
        for (const d of [live, view]) {
            expect(d.error).toBeNull()
            expect(d.stats).toMatchObject({
                allocs: st.allocs,
                releases: st.releases,
                swept: st.frees - st.releases,
                compactions: st.compactions,
                fragPercent: st.fragmentation,
                largestAlloc: st.largestAllocatable,
                largestFree: st.largestFree,
                objects: st.live,
            })
            expect(d.stats!.byType).toEqual(st.byType)
        }
        expect(live.stats!.releases).toBe(1)
        expect(live.stats!.swept).toBe(4) // the number, the bytes, the list and its number
        expect(live.stats).not.toHaveProperty("phantoms")
        expect(view.stats!.phantoms).toEqual(report)
        expect(report).toEqual({ objects: 2, bytes: 48 + 16 }) // bytes(40): 3 blocks; a number: 1
        expect(countMap(view.blocks!, true)).toEqual({ A: { objects: 1, bytes: 48 }, F: { objects: 1, bytes: 16 } })
        expect(blockChanges(live.blocks, view.blocks!).trim()).toBe("")
    })
})

describe("fuzz: random bytes and dump-shaped noise", () => {
    test("4 MB of random bytes, dump-shaped lines with wrong checksums and floods of one line: no crash, nothing reported whole, memory bounded", () => {
        for (let seed = 1; seed <= 8; seed++) {
            const r = rng(1000 + seed)
            const parts: Uint8Array[] = []
            let total = 0
            while (total < 512 * 1024) {
                const kind = r.int(4)
                let chunk: Buffer
                if (kind === 0) {
                    // raw random bytes, framing bytes and newlines included
                    chunk = Buffer.from(Array.from({ length: 1 + r.int(4096) }, () => r.int(256)))
                } else if (kind === 1) {
                    // lines shaped like a dump, numbered, with an end line whose crc is random
                    const d = 1 + r.int(50)
                    const n = r.int(20)
                    let t = ""
                    for (let i = 0; i < n; i++) t += `@${d}:${i} ${Buffer.from(randomPayload(r)).toString("latin1")}\n`
                    t += `@${d}:${n} end lines=${n} crc=${(r.int(0x7fffffff) >>> 0).toString(16).padStart(8, "0")}\n`
                    chunk = Buffer.from(t, "latin1")
                } else if (kind === 2) {
                    // a flood: one long line without a newline
                    chunk = Buffer.alloc(1 + r.int(64 * 1024), 0x41 + r.int(26))
                } else {
                    // a dump line cut anywhere
                    chunk = Buffer.from(`@${r.int(99)}:${r.int(99)} GC: total: ${r.int(40000)}, used`.slice(0, 1 + r.int(40)), "latin1")
                }
                // delivered in random pieces
                for (let at = 0; at < chunk.length; ) {
                    const len = 1 + r.int(2048)
                    parts.push(Uint8Array.from(chunk.subarray(at, at + len)))
                    at += len
                }
                total += chunk.length
            }
            const { session, order } = runSession(parts)
            // a whole dump needs its crc to match: random text never does (2^-32 a try)
            expect(order.filter(o => o.startsWith("whole"))).toEqual([])
            expect(session.history.length).toBe(0)
            // what the session keeps stays bounded however much arrives
            expect(session.logs.length).toBeLessThan(5000)
            for (const l of session.logs) expect(l.text.length).toBeLessThanOrEqual(MAX_LINE + 200)
        }
    })
})
