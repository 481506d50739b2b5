/**
 * The board source, with a real pseudo-terminal pair standing in for the USB
 * port: `socat pty,link=<dir>/board pty,link=<dir>/host`. The monitor opens
 * <dir>/board with `serialport` (`--port`); the test writes what a board
 * would send into <dir>/host. Killing socat is the cable being unplugged (the
 * links go away); starting it again at the same paths is the board coming back.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process"
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs"
import os from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, test } from "vitest"
import { readRecording } from "../monitor/recording.mjs"
import { dumpsOf, escapeText, fixtureLines, frame } from "./monitor-support"

const dir = mkdtempSync(join(os.tmpdir(), "poolgc-pty-"))
const BOARD = join(dir, "board")
const HOST = join(dir, "host")
const REC = join(dir, "session.rec")
const children: ChildProcess[] = []

afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL")
    rmSync(dir, { recursive: true, force: true })
})

async function until(what: string, ok: () => boolean, ms = 15000) {
    const t0 = Date.now()
    while (!ok()) {
        if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`)
        await new Promise(r => setTimeout(r, 25))
    }
}

async function startSocat() {
    const p = spawn("socat", ["-d", "-d", `pty,raw,echo=0,link=${BOARD}`, `pty,raw,echo=0,link=${HOST}`], { stdio: "ignore" })
    children.push(p)
    await until("socat's links", () => existsSync(BOARD) && existsSync(HOST))
    return p
}

async function stopSocat(p: ChildProcess) {
    const closed = new Promise(r => p.on("close", r))
    p.kill("SIGTERM")
    await closed
}

/** Writes bytes into the host end, as the board would send them. */
function send(bytes: Uint8Array | string) {
    const fd = openSync(HOST, "w")
    try {
        writeSync(fd, typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes)
    } finally {
        closeSync(fd)
    }
}

/** A dump of the demo as a board sends it: DMESG markers, CRLF, Jacdac frames between lines. */
function boardDump(n: number, keep = Infinity) {
    const lines = fixtureLines()
    const at = dumpsOf(lines).get(n)!.at.slice(0, keep)
    const wire: number[] = []
    at.forEach((i, k) => {
        if (k % 3 === 0) wire.push(...frame([0x2a, 0xfe, 0x00, 0xff]))
        wire.push(...escapeText(Buffer.from(`> ${lines[i]}\r\n`, "latin1")))
    })
    return Uint8Array.from(wire)
}

describe("a board over a serial port (a pty pair)", () => {
    test("data flows; an unplug is survived: the monitor reconnects at the same path and continues", async () => {
        const has = spawnSync("socat", ["-V"])
        if (has.error) throw new Error("socat is needed for this test: apt-get install -y socat")
        let socat = await startSocat()
        const monitor = spawn(process.execPath, ["monitor/cli.mjs", "--port", BOARD, "--record", REC], { stdio: ["ignore", "pipe", "pipe"] })
        children.push(monitor)
        let out = ""
        monitor.stdout.on("data", d => (out += d))
        monitor.stderr.on("data", d => (out += d))
        const exited = new Promise<number | null>(resolve => monitor.on("close", resolve))
        const count = (re: RegExp) => (out.match(re) ?? []).length

        await until("the first connection", () => count(/^monitor: connected: /gm) === 1)
        expect(out).toContain(`monitor: connected: ${BOARD} at 1500000 baud`)
        send("start: poolgc v0.1.1\r\n> hello from the board\r\n")
        send(boardDump(2))
        await until("dump 2", () => out.includes("=== dump 2: whole, 9 lines ==="))
        expect(out).toContain("> hello from the board\n")
        expect(out).toContain("start: poolgc v0.1.1\n")

        // half a dump, then the cable goes
        send(boardDump(3, 5))
        await until("half of dump 3 read", () => out.length > 0 && readRecordingBytes().includes("@3:4 "))
        await stopSocat(socat)
        await until("the disconnect", () => count(/^monitor: disconnected: /gm) === 1)
        expect(out).toMatch(/monitor: dump 3 damaged: its end never came \(disconnected\): the end and any lines after 4 lost; still showing dump 2/)
        await until("waiting", () => out.includes(`monitor: waiting: ${BOARD} is not there; waiting for it`))

        // the board comes back at the same path
        socat = await startSocat()
        await until("the reconnection", () => count(/^monitor: connected: /gm) === 2, 10000)
        send("> back again\r\n")
        send(boardDump(4))
        await until("dump 4", () => out.includes("=== dump 4: whole, 9 lines ==="))
        expect(out).toContain("> back again\n")

        monitor.kill("SIGINT")
        expect(await exited).toBe(0)
        await stopSocat(socat)

        // the recording has the bytes and the unplug, and replays to the same verdicts
        const rec = readRecording(REC)
        expect(rec.header.source).toBe(`serial ${BOARD}`)
        const events = rec.items.flatMap(i => ("event" in i ? [i.event] : []))
        expect(events).toEqual(["connected", "disconnected", "waiting", "connected"])
        const replay = spawnSync(process.execPath, ["monitor/cli.mjs", "--replay", REC, "--fast"], { encoding: "utf8" })
        expect(replay.status).toBe(0)
        const verdicts = (s: string) => s.split("\n").filter(l => /^(=== dump|monitor: dump)/.test(l))
        expect(verdicts(replay.stdout)).toEqual(verdicts(out))
        expect(verdicts(out)).toHaveLength(3)
    })
})

function readRecordingBytes() {
    try {
        return readRecording(REC)
            .items.flatMap(i => ("data" in i ? [i.data.toString("latin1")] : []))
            .join("")
    } catch {
        return ""
    }
}
