/**
 * The monitor's command line: options, replay (timed and --fast), --record of
 * a replay, and --web serving while the plain output runs.
 */
import { spawn, spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import os from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, test } from "vitest"
import { parseCli } from "../../monitor/args.mjs"
import { readRecording, RecordingWriter } from "../../monitor/protocol/recording.mjs"
import { BOARD_VENDORS, listFromSysfs } from "../../monitor/sources/ports.mjs"
import { FIXTURE, fixtureText, STATS_FIXTURE } from "./monitor-support"
import { framed, HAND_DUMP, LATER_DUMP } from "./heap-support"

const dir = mkdtempSync(join(os.tmpdir(), "poolgc-cli-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const cli = (...args: string[]) => spawnSync(process.execPath, ["monitor/cli.mjs", ...args], { encoding: "utf8", timeout: 30000 })

describe("options", () => {
    test("optional values of --sim and --web, and the defaults", () => {
        expect(parseCli([])).toMatchObject({ port: undefined, sim: undefined, replay: undefined, web: null, baud: 1500000 })
        expect(parseCli(["--sim"]).sim).toBe("demo/main.ts")
        expect(parseCli(["--sim", "x.ts", "--web"])).toMatchObject({ sim: "x.ts", web: 8090 })
        expect(parseCli(["--web", "0", "--sim"])).toMatchObject({ sim: "demo/main.ts", web: 0 })
        expect(parseCli(["--sim=a.ts", "--web=9000"])).toMatchObject({ sim: "a.ts", web: 9000 })
        expect(parseCli(["--port", "/dev/ttyUSB0", "--baud", "115200", "--record", "r.rec"])).toMatchObject({
            port: "/dev/ttyUSB0",
            baud: 115200,
            record: "r.rec",
        })
        expect(() => parseCli(["--sim", "--port", "x"])).toThrow(/one source/)
        expect(() => parseCli(["--fast"])).toThrow(/--fast goes with --replay/)
        expect(() => parseCli(["--web", "http"])).toThrow(/not a port/)
        expect(() => parseCli(["--baud", "fast"])).toThrow(/not a speed/)
        expect(() => parseCli(["stray"])).toThrow(/unexpected argument: stray/)
        expect(() => parseCli(["--nope"])).toThrow(/Unknown option/)
    })

    test("--help, and usage errors exit 2", () => {
        const h = cli("--help")
        expect(h.status).toBe(0)
        expect(h.stdout).toContain("Usage: npm run monitor -- [source] [options]")
        const bad = cli("--replay", join(dir, "missing.rec"))
        expect(bad.status).toBe(2)
        expect(bad.stderr).toContain("no such file")
    })
})

describe("finding boards", () => {
    test("USB serial ports from sysfs (where udevadm is missing), with their vendor ids", () => {
        const sys = join(dir, "sys")
        const usb = join(sys, "devices/usb1/1-1")
        mkdirSync(join(usb, "1-1:1.0"), { recursive: true })
        writeFileSync(join(usb, "idVendor"), "2e8a\n")
        writeFileSync(join(usb, "idProduct"), "000a\n")
        writeFileSync(join(usb, "manufacturer"), "Raspberry Pi\n")
        mkdirSync(join(sys, "devices/platform/serial8250"), { recursive: true })
        mkdirSync(join(sys, "class/tty/ttyACM0"), { recursive: true })
        mkdirSync(join(sys, "class/tty/ttyS0"), { recursive: true })
        symlinkSync(join(usb, "1-1:1.0"), join(sys, "class/tty/ttyACM0/device"))
        symlinkSync(join(sys, "devices/platform/serial8250"), join(sys, "class/tty/ttyS0/device"))
        expect(listFromSysfs(join(sys, "class/tty"))).toEqual([
            { path: "/dev/ttyACM0", vendorId: 0x2e8a, productId: 0x000a, manufacturer: "Raspberry Pi", serialNumber: undefined },
        ])
        expect([...BOARD_VENDORS.keys()]).toEqual([0x2e8a, 0x303a, 0x10c4, 0x1a86, 0x0403])
    })
})

describe("replay and record", () => {
    test("--replay --fast of the demo: 12 whole dumps and the log lines", () => {
        const r = cli("--replay", FIXTURE, "--fast")
        expect(r.status).toBe(0)
        expect(r.stdout.match(/^=== dump \d+: whole/gm)).toHaveLength(12)
        expect(r.stdout).toContain("\npoolgc demo done\n")
        expect(r.stdout).toMatch(/monitor: ended: replay finished/)
    })

    test("--replay --fast of the statistics fixture: every dump whole, the phantom view as the device sent it", () => {
        const r = cli("--replay", STATS_FIXTURE, "--fast")
        expect(r.status).toBe(0)
        expect(r.stdout.match(/^=== dump \d+: whole, \d+ lines ===$/gm)).toEqual([
            "=== dump 1: whole, 9 lines ===",
            "=== dump 2: whole, 9 lines ===",
            "=== dump 3: whole, 10 lines ===",
            "=== dump 4: whole, 9 lines ===",
            "=== dump 5: whole, 9 lines ===",
            "=== dump 6: whole, 6 lines ===",
        ])
        expect(r.stdout).toContain(" phantoms: 8 objects, 208 bytes a collection would free\nGC memory layout; from 0:\n00000: " + "M".repeat(44) + "L==rsfA=fAp==l=fa==.\n")
        expect(r.stdout).not.toContain("damaged")
        expect(r.stdout).toContain("\nmonitor-stats done\n")
    })

    test("--replay of a recording with map and heap dumps: each read as its kind, the heap dumps' phantoms and diff, a damaged heap dump reported", () => {
        // the statistics fixture with heap dumps after its dump 2 and at its end (numbers a map dump never has)
        const text = fixtureText(STATS_FIXTURE)
        const cut = text.indexOf("\n", text.search(/@2:\d+ end lines=/)) + 1
        const heaps = (lines: string[]) => lines.map(l => `> ${l}\r\n`).join("") // as a board sends them
        const stream = [
            text.slice(0, cut),
            heaps(framed(21, HAND_DUMP)),
            text.slice(cut),
            heaps(framed(22, LATER_DUMP)),
            heaps(framed(23, HAND_DUMP).filter((_, i) => i !== 5)),
        ]
        const path = join(dir, "heap.rec")
        const header = { format: "poolgc-monitor-recording", version: 1, started: "2026-12-04T18:00:00.000Z", source: "test" }
        writeFileSync(path, [header, ...stream.map((data, t) => ({ t, data }))].map(x => JSON.stringify(x)).join("\n") + "\n")
        const r = cli("--replay", path, "--fast")
        expect(r.status).toBe(0)
        expect(r.stdout.match(/^=== (heap )?dump \d+: whole, \d+ lines ===$/gm)).toEqual([
            "=== dump 1: whole, 9 lines ===",
            "=== dump 2: whole, 9 lines ===",
            "=== heap dump 21: whole, 20 lines ===",
            "=== dump 3: whole, 10 lines ===",
            "=== dump 4: whole, 9 lines ===",
            "=== dump 5: whole, 9 lines ===",
            "=== dump 6: whole, 6 lines ===",
            "=== heap dump 22: whole, 18 lines ===",
        ])
        expect(r.stdout).toContain("\nmonitor: heap dump 21: 12 objects (240 B), 2 roots, 1 temporary, 3 phantoms (120 B): #3073 #3329 #3585\n")
        expect(r.stdout).toContain(
            [
                "monitor: heap dump 22: 13 objects (196 B), 2 roots, 0 temporaries, 3 phantoms (28 B): #2305 #4609 #5121",
                "monitor: diff: heap dump 21 → heap dump 22",
                "monitor: born and still reached (leak suspects): 3 objects, 80 B",
                "monitor:   string 20 B × 2 = 40 B: #4097 #4353",
                "monitor:   bytes 40 B × 1 = 40 B: #66817",
                "monitor: born and already unreachable: 2 objects",
                "monitor:   string 20 B × 1 = 20 B: #4609",
                "monitor:   number 8 B × 1 = 8 B: #5121",
                "monitor: freed: 4 objects, 160 B",
                "monitor:   bytes 100 B × 1 = 100 B: #3585",
                "monitor:   bytes 40 B × 1 = 40 B: #1281",
                "monitor:   record Player 12 B × 1 = 12 B: #3329",
                "monitor:   list 8 B × 1 = 8 B: #3073",
                "monitor: kept: 8 objects",
            ].join("\n")
        )
        expect(r.stdout).toContain("\nmonitor: heap dump 23 damaged: lost 1 line of 20 (5); still showing heap dump 22\n")
        expect(r.stdout.match(/damaged/g)).toHaveLength(1)
        expect(r.stdout).toContain("\nmonitor-stats done\n")
    })

    test("a replay keeps the recorded timing; --fast does not", () => {
        const path = join(dir, "timed.rec")
        writeFileSync(
            path,
            [
                JSON.stringify({ format: "poolgc-monitor-recording", version: 1, started: "x", source: "hand-made" }),
                JSON.stringify({ t: 0, data: "first\n" }),
                JSON.stringify({ t: 900, data: "second\n" }),
                "",
            ].join("\n")
        )
        const t0 = Date.now()
        const timed = cli("--replay", path)
        const timedMs = Date.now() - t0
        const t1 = Date.now()
        const fast = cli("--replay", path, "--fast")
        const fastMs = Date.now() - t1
        expect(timed.stdout).toContain("first\nsecond\n")
        expect(fast.stdout).toContain("first\nsecond\n")
        expect(timedMs).toBeGreaterThanOrEqual(900)
        expect(timedMs - fastMs).toBeGreaterThan(700)
    })

    test("the format keeps every byte; --record of a replay gives the same bytes", async () => {
        const path = join(dir, "bytes.rec")
        const w = new RecordingWriter(path, "test")
        const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
        w.data(all)
        w.event("disconnected", "unplugged")
        w.data(Buffer.from("é\n"))
        await w.close()
        const back = readRecording(path)
        expect(back.header).toMatchObject({ format: "poolgc-monitor-recording", version: 1, source: "test" })
        expect(back.items[0]).toMatchObject({ data: all })
        expect(back.items[1]).toMatchObject({ event: "disconnected", detail: "unplugged" })
        expect((back.items[2] as any).data).toEqual(Buffer.from("é\n"))

        const again = join(dir, "again.rec")
        expect(cli("--replay", FIXTURE, "--fast", "--record", again).status).toBe(0)
        const bytes = (p: string) => Buffer.concat(readRecording(p).items.flatMap(i => ("data" in i ? [i.data] : [])))
        expect(bytes(again).equals(bytes(FIXTURE))).toBe(true)
        expect(readFileSync(again, "utf8").split("\n")[0]).toContain(`"source":"replay ${FIXTURE}"`)
    })
})

describe("--web from the command line", () => {
    test("serves the state while the monitor runs; stays up after the source ends, until a signal", async () => {
        const child = spawn(process.execPath, ["monitor/cli.mjs", "--replay", FIXTURE, "--fast", "--web", "0"], {
            stdio: ["ignore", "pipe", "pipe"],
        })
        let out = ""
        child.stdout.on("data", d => (out += d))
        const exited = new Promise<number | null>(resolve => child.on("close", resolve))
        const t0 = Date.now()
        while (!/monitor: ended: /.test(out) || !/web view at (http:\S+)/.test(out)) {
            if (Date.now() - t0 > 60000) throw new Error(`no web view or end:\n${out}`)
            await new Promise(r => setTimeout(r, 25))
        }
        const url = /web view at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)![1]
        const state = await (await fetch(url + "state.json")).json()
        expect(state.history.map((d: any) => d.dump)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1))
        expect(state.status.state).toBe("ended")
        const page = await (await fetch(url)).text()
        expect(page).toContain("<title>poolgc monitor</title>")
        expect(page).toContain("function blockChanges") // payload.mjs, inlined
        expect(page).not.toMatch(/<(script|link)[^>]+(src|href)=/) // nothing to fetch
        child.kill("SIGTERM")
        expect(await exited).toBe(0)
    })
})
