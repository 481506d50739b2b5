/**
 * The terminal view: rendered to a string (map rows, colours, legend, stats,
 * damage; the statistics lines and a phantom view from
 * test/fixtures/monitor-stats.rec, the older format from the demo), and the
 * real thing under a pseudo-terminal (`script` from util-linux), redrawing in
 * place and quitting on "q".
 */
import { spawn, spawnSync } from "node:child_process"
import { describe, expect, test } from "vitest"
import { MonitorSession } from "../../monitor/protocol/session.mjs"
import { legend, printable, renderScreen, startTtyView } from "../../monitor/views/terminal.mjs"
import { PALETTE, SWATCH } from "../../monitor/views/palette.mjs"
import { FIXTURE, fixtureLines, fixtureText, runSession, STATS_FIXTURE } from "./monitor-support"

// eslint-disable-next-line no-control-regex
const plainOf = (s: string) => s.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, "")

function demoSession() {
    return runSession([Buffer.from(fixtureText(), "latin1")]).session
}

/** The statistics fixture's session, fed up to the end of dump `n`. */
function statsSession(n: number) {
    const lines = fixtureLines(STATS_FIXTURE)
    const end = lines.findIndex(l => new RegExp(`^@${n}:\\d+ end `).test(l))
    return runSession([Buffer.from(lines.slice(0, end + 1).join("\n") + "\n", "latin1")]).session
}

const sgr = (char: string) => `\x1b[${SWATCH[char].ansi};${SWATCH[char].fg}m`

describe("the terminal view, rendered to a string", () => {
    test("map rows as the device printed them, in colour, with the legend and the statistics", () => {
        const s = demoSession()
        const screen = renderScreen(s, { width: 100, height: 50, color: true })
        const text = screen.map(plainOf)
        // every row of the last dump, unfolded (the device folds free rows)
        const last = s.history.at(-1)!
        const rows = last.texts.filter(t => /^[0-9a-f]{5}: /.test(t))
        for (const r of rows) expect(text).toContain(r)
        const mapLines = text.filter(l => /^[0-9a-f]{5}: /.test(l))
        expect(mapLines).toHaveLength(16)
        expect(mapLines.map(l => l.slice(7)).join("")).toBe(last.blocks)
        // colours: a bitmap head and its tails on the bitmap colour, metadata grey
        const P = SWATCH.P
        const row1 = screen.find(l => plainOf(l).startsWith("00400: "))!
        expect(row1).toContain(`\x1b[${P.ansi};${P.fg}mP===\x1b[0m`)
        expect(screen.find(l => plainOf(l).startsWith("00000: "))).toContain(`\x1b[${SWATCH.M.ansi};${SWATCH.M.fg}mMMMM`)
        // legend and statistics
        const all = text.join("\n")
        for (const name of ["metadata", "free", "bytes", "bitmap", "number", "string", "list", "record"]) expect(all).toContain(name)
        expect(all).toMatch(/dump 12 · .* 12 whole, 0 damaged/)
        expect(all).toContain("used  ")
        expect(all).toContain("44.1 %")
        expect(all).toContain("free 9152 B · largest free run 7792 B · free runs 4 · objects 118")
        expect(all).toContain("collections 5 · last pause 0 ms")
        expect(all).toMatch(/frag +█{4}░{26} +14\.9 %/)
        // the log lines below the map
        expect(all).toContain("demo: round 48: 118 objects")
        for (const l of text) expect(l.length).toBeLessThanOrEqual(100)
    })

    test("without colour: no escape codes at all", () => {
        const screen = renderScreen(demoSession(), { width: 80, height: 40, color: false })
        expect(screen.join("\n")).not.toContain("\x1b")
        expect(screen.every(l => l.length <= 80)).toBe(true)
    })

    test("a short terminal folds the free rows, and says which map lines it cannot show", () => {
        const at80 = renderScreen(demoSession(), { width: 80, height: 24, color: true }).map(plainOf)
        expect(at80).toHaveLength(24)
        expect(at80).toContain("       (7 lines all free)")
        expect(at80.filter(l => /^[0-9a-f]{5}: /.test(l))).toHaveLength(9)
        // at 60 columns the map needs twice the lines: those that do not fit are counted, the legend stays
        const at60 = renderScreen(demoSession(), { width: 60, height: 24, color: true }).map(plainOf)
        expect(at60).toHaveLength(24)
        expect(at60).toContain("… 13 more map lines not shown: the terminal is 24 lines high")
        expect(at60.some(l => l.startsWith("legend: "))).toBe(true)
        for (const l of at80) expect(l.length).toBeLessThanOrEqual(80)
        for (const l of at60) expect(l.length).toBeLessThanOrEqual(60)
    })

    test("at 60 columns the map's lines hold 32 blocks: every block shown, under its own offset, nothing cut", () => {
        const s = demoSession()
        const last = s.history.at(-1)!
        for (const [width, perLine] of [[60, 32], [38, 16], [120, 64]]) {
            const screen = renderScreen(s, { width, height: 200, color: true }).map(plainOf)
            for (const l of screen) expect(l.length, l).toBeLessThanOrEqual(width)
            const rows = screen.filter(l => /^[0-9a-f]{5}: /.test(l))
            expect(rows).toHaveLength(1024 / perLine)
            rows.forEach((r, i) => expect(r.slice(0, 7)).toBe((i * perLine * 16).toString(16).padStart(5, "0") + ": "))
            expect(rows.map(r => r.slice(7)).join("")).toBe(last.blocks)
            expect(screen.join("\n").replace(/\n  (?=\S)/g, " ")).toContain(`map: 1024 blocks of 16 bytes, ${perLine} a line`)
        }
        expect(renderScreen(s, { width: 60, height: 200, color: false }).join("\n").replace(/\n  (?=\S)/g, " ")).toContain(
            "(a device line is 64: 71 columns show one)"
        )
    })

    test("the statistics keep every value at 60, 80 and 120 columns (a line wraps between values, never inside one)", () => {
        const s = statsSession(3)
        const values = [
            "dump 3", "3 whole, 0 damaged", "12.3 %", "1008 B of 8192 B (meta 704 B)",
            "free 7184 B", "largest free run 7184 B", "free runs 1", "objects 11", "min free 7184 B",
            "collections 1", "last pause 0 ms", "work 14", "phase hold", "auto on",
            "collector, all told: work 157", "time 0 ms", "compactions 0",
            "allocs 14", "releases 1", "swept 2", "largest alloc 7176 B",
            "0.0 %", "(100 - 100·√Σrun²/Σrun)",
            "A bytes 3 (96 B)", "S string 1 (16 B)", "F number 3 (48 B)", "P bitmap 1 (48 B)", "L list 2 (80 B)", "R record 1 (16 B)",
            "phantoms 8 objects, 208 B: a collection would free them",
        ]
        for (const width of [60, 80, 120]) {
            const screen = renderScreen(s, { width, height: 200, color: true }).map(plainOf)
            for (const l of screen) expect(l.length, `${width}: ${l}`).toBeLessThanOrEqual(width)
            for (const v of values) expect(screen.some(l => l.includes(v)), `${width} columns: ${v}`).toBe(true)
        }
    })

    test("a long status or log message wraps onto more lines: nothing of it is cut, its advice included", () => {
        const s = demoSession()
        const detail =
            "the simulator run ended (exit): runSim(test/vm/fixtures/bad.vm.ts): the CLI exited early with code 1: does not compile: " +
            "test/vm/fixtures/bad.vm.ts(4,5): error TS9999: please use ==="
        const note = "dump 8 came whole but the monitor cannot read it: a row has 63 blocks: replug the board and press its reset button"
        s.setStatus("ended", detail)
        s.note(note)
        for (const width of [60, 80, 120]) {
            const screen = renderScreen(s, { width, height: 60, color: true }).map(plainOf)
            for (const l of screen) expect(l.length).toBeLessThanOrEqual(width)
            // the lines put back together (a continuation line is indented by two spaces)
            const joined = screen.join("\n").replace(/\n  (?=\S)/g, " ")
            expect(joined, `${width} columns`).toContain(`ended (${detail})`)
            expect(joined, `${width} columns`).toContain(`monitor: ${note}`)
        }
        // a word longer than the line is split, not dropped
        s.note("x".repeat(130))
        const screen = renderScreen(s, { width: 60, height: 60, color: false })
        expect(screen.join("").replace(/\s/g, "")).toContain("monitor:" + "x".repeat(130))
    })

    test("a damaged dump: the warning, and the last whole map stays", () => {
        const lines = fixtureLines()
        const cutAt = lines.findIndex(l => l.startsWith("@12:7 "))
        const { session } = runSession([Buffer.from(lines.slice(0, cutAt).join("\n") + "\n" + lines.slice(cutAt + 1).join("\n") + "\n")])
        const text = renderScreen(session, { width: 120, height: 50, color: false }).join("\n")
        expect(text).toContain("⚠ dump 12 damaged: lost 1 line of 15 (7); still showing dump 11")
        expect(text).toMatch(/^dump 11 · /m)
        expect(text).toContain(session.history.at(-1)!.texts.find(t => t.startsWith("01400: "))!)
    })

    test("device garbage cannot drive the terminal", () => {
        expect(printable("a\x1b[2Jb\x07\tc")).toBe("a\\x1b[2Jb\\x07 c")
    })
})

describe("the statistics lines and a phantom view", () => {
    test("the totals, fragmentation, largest allocation, usage by type and the phantoms, by value", () => {
        const s = statsSession(3) // the phantom view
        const text = renderScreen(s, { width: 100, height: 60, color: false, log: false })
        expect(text).toContain("collections 1 · last pause 0 ms · work 14 · phase hold · auto on")
        expect(text).toContain("collector, all told: work 157 · time 0 ms · compactions 0")
        expect(text).toContain("allocs 14 · releases 1 · swept 2 · largest alloc 7176 B")
        // the device's fragmentation figure on the bar (0 %: one free run)
        expect(text).toContain("frag  " + "░".repeat(30) + "   0.0 %  (100 - 100·√Σrun²/Σrun)")
        expect(text).toContain("by type  A bytes 3 (96 B)  S string 1 (16 B)  F number 3 (48 B)  P bitmap 1 (48 B)  L list 2 (80 B)")
        expect(text).toContain("         R record 1 (16 B)")
        expect(text).toContain("phantoms 8 objects, 208 B: a collection would free them (lower case in the map)")
        expect(text).toContain("map: 512 blocks of 16 bytes, 64 a line · phantom view")
        expect(text).toContain("00000: " + "M".repeat(44) + "L==rsfA=fAp==l=fa==.")

        // dump 1: a fragmented pool, the bar at 0.9 %; types with no objects have no bytes shown
        const t1 = renderScreen(statsSession(1), { width: 100, height: 60, color: false, log: false })
        expect(t1).toContain("allocs 6 · releases 1 · swept 2 · largest alloc 7320 B")
        expect(t1.find(l => l.startsWith("frag  "))).toMatch(/^frag  ░{30}   0\.9 %/)
        expect(t1).toContain("by type  A bytes 2 (48 B)  S string 0  F number 0  P bitmap 0  L list 1 (48 B)  R record 0")
        // not a phantom view: no phantoms line, the map's title says nothing of phantoms
        expect(t1.slice(0, t1.findIndex(l => l.startsWith("map: "))).join("\n")).not.toMatch(/phantom/)
        expect(t1).toContain("map: 512 blocks of 16 bytes, 64 a line")
    })

    test("phantom cells in their own colours, not their type's live ones; the legend explains them", () => {
        const screen = renderScreen(statsSession(3), { width: 100, height: 60, color: true, log: false })
        const row = screen.find(l => plainOf(l).startsWith("00000: "))!
        // live: the list and the reachable bytes; phantoms: each run in its lower-case swatch
        expect(row).toContain(`${sgr("L")}L==\x1b[0m`)
        expect(row).toContain(`${sgr("A")}A=\x1b[0m`)
        for (const run of ["r", "s", "f", "p==", "l=", "a=="]) expect(row).toContain(`${sgr(run[0])}${run}\x1b[0m`)
        for (const c of "asfplr") {
            expect(SWATCH[c].phantom).toBe(true)
            expect(sgr(c)).not.toBe(sgr(c.toUpperCase()))
        }
        // the same pool shown by memInfo (dump 4): the same blocks in the live colours
        const row4 = renderScreen(statsSession(4), { width: 100, height: 60, color: true, log: false }).find(l => plainOf(l).startsWith("00000: "))!
        for (const run of ["R", "S", "P==", "L=", "A=="]) expect(row4).toContain(`${sgr(run[0])}${run}\x1b[0m`)
        expect(row4).not.toContain("\x1b[40;")
        // the legend: the six phantom letters as one item, each in its colour
        const leg = legend(true, 200).join("\n")
        expect(leg).toContain(PALETTE.filter(p => p.phantom).map(p => `${sgr(p.char)}${p.char}\x1b[0m`).join("") + " phantom: unreachable, a collection frees it")
        expect(plainOf(leg)).toContain("apfslr phantom: unreachable, a collection frees it")
        // and in the screen's legend
        expect(screen.map(plainOf).join("\n")).toContain("phantom: unreachable, a collection frees it")
    })

    test("a dump in the older format: no lines for figures it does not carry", () => {
        const head = renderScreen(demoSession(), { width: 100, height: 50, color: false, log: false })
        const stats = head.slice(0, head.findIndex(l => l.startsWith("map: ")))
        expect(stats.join("\n")).not.toMatch(/allocs|all told|by type|phantom/)
        expect(stats.find(l => l.startsWith("frag  "))).toMatch(/14\.9 %  \(1 - largest free run \/ free\)$/)
        expect(head.find(l => l.startsWith("map: "))).toBe("map: 1024 blocks of 16 bytes, 64 a line")
    })
})

/** The statistics fixture's text up to the end of dump `n` (from the end of dump `from`). */
function statsText(n: number, from = 0) {
    const lines = fixtureLines(STATS_FIXTURE)
    const endOf = (k: number) => (k ? lines.findIndex(l => new RegExp(`^@${k}:\\d+ end `).test(l)) : -1)
    return Buffer.from(lines.slice(endOf(from) + 1, endOf(n) + 1).join("\n") + "\n", "latin1")
}

describe("stepping through past dumps with the keys", () => {
    /** The terminal view on a stand-in for stdout; `screen()` is the last frame drawn, as plain lines. */
    function view(session: MonitorSession) {
        const frames: string[] = []
        const out = { columns: 100, rows: 60, write: (t: string) => frames.push(t), on() {}, off() {} }
        const v = startTtyView(session, out as any, { color: false })
        const screen = () => plainOf(frames.filter(f => f.startsWith("\x1b[H")).at(-1)!).split("\n")
        const mapRow = () => screen().find(l => l.startsWith("00000: "))
        return { v, screen, mapRow, text: () => screen().join("\n") }
    }
    const LEFT = "\x1b[D"
    const RIGHT = "\x1b[C"

    test("space or p pauses, left/right step, the status says which dump and paused or live; q quits", () => {
        const s = new MonitorSession({ source: "test", idleMs: 0 })
        s.data(statsText(4))
        const rowOf = (n: number) => s.history[n - 1].texts.find(t => t.startsWith("00000: "))
        const t = view(s)
        try {
            expect(t.text()).toContain("live (4 dumps) · space/p: pause · ←: past dumps")
            expect(t.text()).toMatch(/^dump 4 · /m)
            expect(t.v.key(" ")).toBeUndefined()
            expect(t.text()).toContain("paused  on dump 4 (4 of 4, the newest) · ←/→ step · space: live")
            t.v.key(LEFT)
            t.v.key(LEFT)
            expect(t.text()).toMatch(/^dump 2 · /m)
            expect(t.text()).toContain("paused  on dump 2 (2 of 4, 2 newer)")
            expect(t.mapRow()).toBe(rowOf(2))
            // new dumps arrive: the paused screen stays on dump 2
            s.data(statsText(5, 4))
            t.v.key("") // a redraw
            expect(t.text()).toMatch(/^dump 2 · /m)
            expect(t.text()).toContain("(2 of 5, 3 newer)")
            t.v.key(RIGHT)
            expect(t.text()).toContain("paused  on dump 3 (3 of 5, 2 newer)")
            expect(t.mapRow()).toBe(rowOf(3)) // the phantom view's lower-case letters
            // the oldest is as far as it goes; several keys in one burst (application cursor mode's arrows too)
            t.v.key("\x1bOD\x1bOD\x1bOD" + LEFT)
            expect(t.text()).toContain("paused  on dump 1 (1 of 5, 4 newer)")
            t.v.key("p")
            expect(t.text()).toMatch(/^dump 5 · /m)
            expect(t.text()).toContain("live (5 dumps)")
            expect(t.mapRow()).toBe(rowOf(5))
            // right past the newest is live again; left from live pauses on the dump before
            t.v.key(LEFT)
            expect(t.text()).toContain("paused  on dump 4 (4 of 5, 1 newer)")
            t.v.key(RIGHT + RIGHT)
            expect(t.text()).toContain("live (5 dumps)")
            expect(t.v.key("x")).toBeUndefined()
            expect(t.v.key("q")).toBe("quit")
            expect(t.v.key("\x03")).toBe("quit")
        } finally {
            t.v.stop()
        }
    })

    test("a dump without a map, stepped to, shows the map before it, and says so", () => {
        const s = new MonitorSession({ source: "test", idleMs: 0 })
        s.data(statsText(6)) // dump 6 is the summary only
        const t = view(s)
        try {
            t.v.key(" ")
            expect(t.text()).toContain("(the map is dump 5's: dump 6 had none)")
            t.v.key(LEFT)
            expect(t.text()).not.toContain("had none")
            expect(t.text()).toContain("paused  on dump 5 (5 of 6, 1 newer)")
        } finally {
            t.v.stop()
        }
    })
})

describe("the terminal view on a real pseudo-terminal", () => {
    test("redraws in place on the alternate screen, quits on q, leaves the last map behind", async () => {
        const has = spawnSync("script", ["--version"])
        if (has.error) throw new Error("`script` (util-linux, Debian package bsdutils) is needed for this test")
        const cmd = `stty cols 100 rows 40; ${process.execPath} monitor/cli.mjs --replay ${FIXTURE} --fast`
        const child = spawn("script", ["-qfec", cmd, "/dev/null"], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "" } })
        let out = ""
        child.stdout.on("data", d => (out += d))
        const exited = new Promise<number | null>(resolve => child.on("close", resolve))
        const t0 = Date.now()
        while (!plainOf(out).includes("replay finished")) {
            if (Date.now() - t0 > 60000) throw new Error(`no redraw with the end of the replay:\n${out.slice(-2000)}`)
            await new Promise(r => setTimeout(r, 50))
        }
        child.stdin.write("q")
        expect(await exited).toBe(0)
        expect(out).toContain("\x1b[?1049h") // the alternate screen
        expect(out).toContain("\x1b[H") // redrawn from the top
        expect(out).toContain("\x1b[?1049l") // and left
        const P = SWATCH.P
        expect(out).toContain(`\x1b[${P.ansi};${P.fg}mP`)
        const after = plainOf(out.slice(out.lastIndexOf("\x1b[?1049l")))
        expect(after).toContain("dump 12 · ")
        expect(after).toContain("00400: P===FFR=P===FFFR=")
    })
})
