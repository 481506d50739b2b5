/**
 * The terminal view: rendered to a string (map rows, colours, legend, stats,
 * damage), and the real thing under a pseudo-terminal (`script` from
 * util-linux), redrawing in place and quitting on "q".
 */
import { spawn, spawnSync } from "node:child_process"
import { describe, expect, test } from "vitest"
import { printable, renderScreen } from "../monitor/terminal.mjs"
import { SWATCH } from "../monitor/palette.mjs"
import { FIXTURE, fixtureLines, fixtureText, runSession } from "./monitor-support"

// eslint-disable-next-line no-control-regex
const plainOf = (s: string) => s.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, "")

function demoSession() {
    return runSession([Buffer.from(fixtureText(), "latin1")]).session
}

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

    test("a short terminal folds the free rows; lines are cut to the width", () => {
        const screen = renderScreen(demoSession(), { width: 60, height: 24, color: true }).map(plainOf)
        expect(screen).toHaveLength(24)
        expect(screen).toContain("       (7 lines all free)")
        for (const l of screen) expect(l.length).toBeLessThanOrEqual(60)
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
            if (Date.now() - t0 > 20000) throw new Error(`no redraw with the end of the replay:\n${out.slice(-2000)}`)
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
