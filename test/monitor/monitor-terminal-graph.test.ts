/**
 * The terminal's graph and diff views of heap dumps (monitor/views/terminal-graph.mjs),
 * driven by keys through startTtyView on a stand-in for stdout, as a user
 * would: g, j/k, n, a handle typed and Enter, ←/→ over heap dumps, d, b, m;
 * the map view unchanged by heap dumps but for a line naming the keys.
 */
import { describe, expect, test } from "vitest"
import { MonitorSession } from "../../monitor/protocol/session.mjs"
import { startTtyView } from "../../monitor/views/terminal.mjs"
import { framed, HAND_DUMP, LATER_DUMP } from "./heap-support"
import { fixtureLines, STATS_FIXTURE } from "./monitor-support"

// eslint-disable-next-line no-control-regex
const plainOf = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "")

function view(session: MonitorSession, rows = 60) {
    const frames: string[] = []
    const out = { columns: 110, rows, write: (t: string) => frames.push(t), on() {}, off() {} }
    const v = startTtyView(session, out as any, { color: false })
    const screen = () => plainOf(frames.filter(f => f.startsWith("\x1b[H")).at(-1)!).split("\n")
    return { v, screen, text: () => screen().join("\n") }
}

const mapDump = (n: number) =>
    framed(
        n,
        fixtureLines(STATS_FIXTURE)
            .map(l => /^@1:\d+ (.*)$/.exec(l)?.[1])
            .filter((t): t is string => t !== undefined && !t.startsWith("end lines="))
    )

function session() {
    const s = new MonitorSession({ source: "test", idleMs: 0 })
    s.data(Buffer.from([...mapDump(1), ...framed(2, HAND_DUMP), ...mapDump(3), ...framed(4, LATER_DUMP)].join("\n") + "\n", "latin1"))
    return s
}

describe("the terminal's graph and diff views", () => {
    test("g shows the newest heap dump; j/k, n and a typed handle select objects, each with its retainer path", () => {
        const t = view(session())
        try {
            expect(t.text()).toContain("2 heap dumps · g: object graph · d: diff")
            expect(t.text()).toMatch(/^00000: M/m) // the map view, from map dump 3
            t.v.key("g")
            expect(t.text()).toContain("graph view")
            expect(t.text()).toMatch(/^heap dump 4 · /m)
            expect(t.text()).toContain("13 objects (196 B), 2 roots, 0 temporaries, 3 phantoms (28 B)")
            expect(t.text()).toContain("roots  game #257 · best #1793")
            // the first object is selected at first
            expect(t.text()).toContain("selected #257 record Player 12 B @64 L  .name #513 .items #769 .next #1793")
            expect(t.text()).toContain("path root game → #257")
            t.v.key("jj")
            expect(t.screen()).toContain("▶ #769 list 24 B @128  [0] #1025 [1] 0 [2] #66817 [3] #1537 [4] #4097 [5] #4353")
            expect(t.text()).toContain("path root game → #257 .items → #769")
            t.v.key("k")
            expect(t.text()).toContain("selected #513 string 5 B @96 L")
            // n: the next phantom; they are marked * in the list
            t.v.key("n")
            expect(t.text()).toContain("selected #2305 record Empty 0 B @384 (phantom)")
            expect(t.text()).toContain("path none: a phantom, no root or temporary reaches it")
            expect(t.screen()).toContain("* #4609 string 20 B @480 (phantom)")
            // a handle typed, then Enter
            t.v.key("43")
            expect(t.text()).toContain("handle: 43_ (Enter selects)")
            t.v.key("53\r")
            expect(t.text()).toContain("path root game → #257 .items → #769 [5] → #4353")
            // ← steps to heap dump 2, where the temporary still holds 2305; the selection stays
            t.v.key("\x1b[D")
            expect(t.text()).toContain("paused  on heap dump 2 (1 of 2, 1 newer)")
            expect(t.text()).toContain("no #4353 in this dump; showing the first object")
            t.v.key("2305\r")
            expect(t.text()).toContain("path temp 0 → #2305")
            t.v.key(" ")
            expect(t.text()).toContain("live (2 heap dumps)")
            t.v.key("m")
            expect(t.text()).toMatch(/^00000: M/m)
            expect(t.v.key("q")).toBe("quit")
        } finally {
            t.v.stop()
        }
    })

    test("d shows the diff of the two newest heap dumps; b picks another base; a damaged heap dump is reported here, not in the map view", () => {
        const s = session()
        const t = view(s)
        try {
            t.v.key("d")
            const lines = t.screen()
            const at = lines.indexOf("diff: heap dump 2 → heap dump 4")
            expect(at).toBeGreaterThan(0)
            expect(lines.slice(at, at + 14)).toEqual([
                "diff: heap dump 2 → heap dump 4",
                "born and still reached (leak suspects): 3 objects, 80 B",
                "  string 20 B × 2 = 40 B: #4097 #4353",
                "  bytes 40 B × 1 = 40 B: #66817",
                "born and already unreachable: 2 objects",
                "  string 20 B × 1 = 20 B: #4609",
                "  number 8 B × 1 = 8 B: #5121",
                "freed: 4 objects, 160 B",
                "  bytes 100 B × 1 = 100 B: #3585",
                "  bytes 40 B × 1 = 40 B: #1281",
                "  record Player 12 B × 1 = 12 B: #3329",
                "  list 8 B × 1 = 8 B: #3073",
                "kept: 8 objects",
                "── log " + "─".repeat(103),
            ])
            // a third heap dump (torn): the diff follows the newest two and says it may be wrong
            s.data(Buffer.from(framed(5, [...HAND_DUMP, " torn 4"]).join("\n") + "\n", "latin1"))
            t.v.key("")
            expect(t.text()).toContain("diff: heap dump 4 → heap dump 5 (⚠ a dump changed while it was taken: the diff may be wrong)")
            expect(t.text()).toContain("⚠ changed while it was taken (4 changes): not a clean snapshot")
            // b on heap dump 2, then live again: heap dump 2 against 5
            t.v.key("\x1b[D\x1b[Db ")
            expect(t.text()).toContain("diff: heap dump 2 → heap dump 5")
            t.v.key("b") // again: no base, the one before
            expect(t.text()).toContain("diff: heap dump 4 → heap dump 5")
            s.data(Buffer.from(framed(6, HAND_DUMP).filter((_, i) => i !== 2).join("\n") + "\n", "latin1"))
            t.v.key("")
            expect(t.text()).toContain("⚠ heap dump 6 damaged: lost 1 line of 20 (2); still showing heap dump 5")
            t.v.key("m")
            expect(t.text()).not.toContain("⚠ heap dump 6") // not the map's damage (its log line stays)
            expect(t.text()).toContain("monitor: heap dump 6 damaged: lost 1 line of 20 (2); still showing heap dump 5")
        } finally {
            t.v.stop()
        }
    })

    test("a short terminal: the object list shows the rows around the selected one, and says how many are not shown", () => {
        const t = view(session(), 24)
        try {
            t.v.key("g" + "j".repeat(7))
            const lines = t.screen()
            expect(lines.length).toBeLessThanOrEqual(24)
            expect(lines.some(l => l.startsWith("▶ #2049 string"))).toBe(true)
            expect(lines.some(l => /^ {2}… \d+ before$/.test(l))).toBe(true)
        } finally {
            t.v.stop()
        }
    })
})
