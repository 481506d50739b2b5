/**
 * The board source, with a real pseudo-terminal pair standing in for the USB
 * port (test/support/ptypair.py: python3 alone). The monitor opens <dir>/board
 * with `serialport` (`--port`); the test writes what a board would send into
 * <dir>/host. Killing the pair is the cable being unplugged (the kernel hangs
 * up the monitor's tty); starting another at the same paths is the board
 * coming back.
 *
 * Every wait is on an event (a line of the monitor's output, the pair's ready
 * line, a process exit) with a generous deadline, never on a fixed delay: the
 * session's 3 s idle timer plays no part, since a disconnect judges the pending
 * dump at once.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process"
import { closeSync, mkdtempSync, readFileSync, rmSync, writeSync } from "node:fs"
import os from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, test } from "vitest"
import { readRecording } from "../../monitor/protocol/recording.mjs"
import { EMPTY_READS, readUnix } from "../../monitor/sources/serial.mjs"
import { dumpsOf, escapeText, fixtureLines, frame } from "./monitor-support"
import { killPtyPairs, openHost, sendTo, startPtyPair } from "../support/pty"

const dir = mkdtempSync(join(os.tmpdir(), "poolgc-pty-"))
const monitors: ChildProcessWithoutNullStreams[] = []

afterAll(() => {
    for (const m of monitors) if (m.exitCode === null) m.kill("SIGKILL")
    killPtyPairs()
    rmSync(dir, { recursive: true, force: true })
})

/** Deadline for any one event: far above what it takes, so only a real miss fails. */
const DEADLINE = 30000

/** Starts the monitor on a port; waits on its output by events. */
function startMonitor(args: string[]) {
    const proc = spawn(process.execPath, ["monitor/cli.mjs", ...args], { stdio: ["ignore", "pipe", "pipe"] })
    monitors.push(proc)
    let out = ""
    let closed = false
    const checks = new Set<() => void>()
    const onData = (d: Buffer) => {
        out += d
        for (const c of [...checks]) c()
    }
    proc.stdout.on("data", onData)
    proc.stderr.on("data", onData)
    /** the exit code, or the signal that ended it */
    const exited = new Promise<number | string | null>(resolve =>
        proc.on("close", (code, signal) => {
            closed = true
            for (const c of [...checks]) c()
            resolve(code ?? signal)
        })
    )
    const until = (what: string, ok: () => boolean, ms = DEADLINE) =>
        new Promise<void>((resolve, reject) => {
            const done = () => {
                clearTimeout(timer)
                checks.delete(check)
            }
            const check = () => {
                if (ok()) {
                    done()
                    resolve()
                } else if (closed) {
                    done()
                    reject(new Error(`the monitor exited while waiting for ${what}; its output:\n${out.slice(-3000)}`))
                }
            }
            const timer = setTimeout(() => {
                done()
                reject(new Error(`no ${what} within ${ms} ms; the monitor's output:\n${out.slice(-3000)}`))
            }, ms)
            checks.add(check)
            check()
        })
    const count = (re: RegExp) => (out.match(re) ?? []).length
    return { proc, exited, until, count, output: () => out }
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

/** 960 bytes of Jacdac frames, 16 of 60 bytes, as a board's console interleaves them with its text. */
const FLOOD = Buffer.from(Array.from({ length: 16 }, (_, k) => frame(Array.from({ length: 56 }, (_, j) => (k * 56 + j) & 0xfd))).flat())

/** Polls a condition of the test's own (no process to hear from), with a deadline. */
async function until(what: string, ok: () => boolean, ms = DEADLINE) {
    const t0 = Date.now()
    while (!ok()) {
        if (Date.now() - t0 > ms) throw new Error(`no ${what} within ${ms} ms`)
        await new Promise(r => setTimeout(r, 5))
    }
}

/** The CPU time (user + system, in clock ticks, 100 a second on Linux) a process has used. */
function cpuTicks(pid: number) {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return Number(f[11]) + Number(f[12])
}

describe("a board over a serial port (a pty pair)", () => {
    test("data flows; an unplug is survived: the monitor reconnects at the same path and continues", async () => {
        const BOARD = join(dir, "a-board")
        const HOST = join(dir, "a-host")
        const REC = join(dir, "a.rec")
        let pair = await startPtyPair(BOARD, HOST)
        const m = startMonitor(["--port", BOARD, "--record", REC])

        await m.until("first connection", () => m.count(/^monitor: connected: /gm) === 1)
        expect(m.output()).toContain(`monitor: connected: ${BOARD} at 1500000 baud`)
        sendTo(HOST, "start: poolgc v0.1.1\r\n> hello from the board\r\n")
        sendTo(HOST, boardDump(2))
        await m.until("dump 2", () => m.output().includes("=== dump 2: whole, 9 lines ==="))
        expect(m.output()).toContain("> hello from the board\n")
        expect(m.output()).toContain("start: poolgc v0.1.1\n")

        // half a dump, a log line after it (its echo says the half was read), then the cable goes
        sendTo(HOST, boardDump(3, 5))
        sendTo(HOST, "> the cable goes now\r\n")
        await m.until("the half of dump 3", () => m.output().includes("> the cable goes now\n"))
        await pair.unplug("SIGTERM")
        await m.until("the disconnect", () => m.count(/^monitor: disconnected: /gm) === 1)
        expect(m.output()).toMatch(/monitor: dump 3 damaged: its end never came \(disconnected\): the end and any lines after 4 lost; still showing dump 2/)
        await m.until("waiting", () => m.output().includes(`monitor: waiting: ${BOARD} is not there; waiting for it`))

        // the board comes back at the same path
        pair = await startPtyPair(BOARD, HOST)
        await m.until("the reconnection", () => m.count(/^monitor: connected: /gm) === 2)
        sendTo(HOST, "> back again\r\n")
        sendTo(HOST, boardDump(4))
        await m.until("dump 4", () => m.output().includes("=== dump 4: whole, 9 lines ==="))
        expect(m.output()).toContain("> back again\n")

        m.proc.kill("SIGINT")
        expect(await m.exited, m.output().slice(-3000)).toBe(0)
        await pair.unplug()

        // the recording has the bytes and the unplug, and replays to the same verdicts
        const rec = readRecording(REC)
        expect(rec.header.source).toBe(`serial ${BOARD}`)
        const events = rec.items.flatMap(i => ("event" in i ? [i.event] : []))
        expect(events).toEqual(["connected", "disconnected", "waiting", "connected"])
        const replay = spawnSync(process.execPath, ["monitor/cli.mjs", "--replay", REC, "--fast"], { encoding: "utf8" })
        expect(replay.status).toBe(0)
        const verdicts = (s: string) => s.split("\n").filter(l => /^(=== dump|monitor: dump)/.test(l))
        expect(verdicts(replay.stdout)).toEqual(verdicts(m.output()))
        expect(verdicts(m.output())).toHaveLength(3)
    })

    test("10 unplugs with data streaming at the moment of each: every one noticed, then no CPU spent waiting", async () => {
        const BOARD = join(dir, "b-board")
        const HOST = join(dir, "b-host")
        const ROUNDS = 10
        const m = startMonitor(["--port", BOARD])
        const reasons: string[] = []
        for (let round = 1; round <= ROUNDS; round++) {
            const pair = await startPtyPair(BOARD, HOST)
            await m.until(`connection ${round}`, () => m.count(/^monitor: connected: /gm) === round)
            // a board that never stops talking: a log line, then Jacdac frames (which the
            // monitor strips without a word) as fast as the port takes them, so the
            // monitor always has bytes waiting: it reads again straight after each read,
            // and the hang-up comes between two reads (where a 0-byte read used to spin)
            const fd = openHost(HOST, true)
            writeSync(fd, `> round ${round}: streaming\r\n`)
            let written = 0
            let writing = true
            const timer = setInterval(() => {
                try {
                    for (let k = 0; k < 64 && writing; k++) written += writeSync(fd, FLOOD)
                } catch (e) {
                    // EAGAIN: the port is full (the monitor is behind); EIO: the cable is gone
                    if ((e as NodeJS.ErrnoException).code !== "EAGAIN") writing = false
                }
            }, 1)
            try {
                await m.until(`round ${round}'s data`, () => m.output().includes(`> round ${round}: streaming\n`))
                const before = written
                await until(`more of round ${round}'s data`, () => written > before + 65536)
                expect(writing).toBe(true)
                // odd rounds: SIGKILL (the links dangle), even ones: SIGTERM (the links go)
                await pair.unplug(round % 2 ? "SIGKILL" : "SIGTERM")
                await m.until(`disconnect ${round}`, () => m.count(/^monitor: disconnected: /gm) === round, 10000)
            } finally {
                clearInterval(timer)
                closeSync(fd)
            }
        }
        for (const l of m.output().matchAll(/^monitor: disconnected: \S+: (.*); waiting for it to come back$/gm)) reasons.push(l[1])
        expect(reasons).toHaveLength(ROUNDS)
        for (const r of reasons) expect(r).toMatch(/hung up|EIO|ENXIO|EBADF|i\/o error/i)

        // unplugged: the monitor polls for the port once a second and does nothing else
        const t0 = Date.now()
        const c0 = cpuTicks(m.proc.pid!)
        await new Promise(r => setTimeout(r, 2000)) // the measurement's window, not a wait for an event
        const ticks = cpuTicks(m.proc.pid!) - c0
        const share = ticks / ((Date.now() - t0) / 10)
        console.log(`monitor CPU while unplugged: ${ticks} ticks in ${Date.now() - t0} ms (${(share * 100).toFixed(1)} %); disconnect reasons: ${[...new Set(reasons)].join(" | ")}`)
        // a spinning read loop takes 60-100 % of a core (a third of one on a fully loaded 2-core machine)
        expect(share).toBeLessThan(0.1)

        m.proc.kill("SIGINT")
        expect(await m.exited, m.output().slice(-3000)).toBe(0)
    })

    test("the read under it: 0-byte reads wait on the poller, and EMPTY_READS in a row are a hang-up", async () => {
        /** A port whose reads return the given results in turn, and whose poller says readable (or fails) at once. */
        const fake = (results: (number | string)[], pollError?: Error & { canceled?: boolean }) => {
            const log: string[] = []
            const port = {
                fd: 7,
                isOpen: true,
                read: () => {},
                poller: {
                    once: (_: "readable", cb: (err: (Error & { canceled?: boolean }) | null) => void) => {
                        log.push("poll")
                        cb(pollError ?? null)
                    },
                },
            }
            const read = async (fd: number, buffer: Buffer) => {
                expect(fd).toBe(7)
                const r = results.shift()
                log.push(`read ${r}`)
                if (r === undefined) throw new Error("read past the script")
                if (typeof r === "string") throw Object.assign(new Error(r), { code: r })
                buffer.fill(0x41, 0, r)
                return { bytesRead: r, buffer }
            }
            return { port, read, log }
        }
        const buf = Buffer.alloc(16)
        expect(EMPTY_READS).toBe(3)

        // bytes come back as they are; EAGAIN waits for the poller, then reads again
        let f = fake(["EAGAIN", 5])
        await expect(readUnix(f.port, buf, 0, 16, f.read)).resolves.toMatchObject({ bytesRead: 5 })
        expect(f.log).toEqual(["read EAGAIN", "poll", "read 5"])

        // a hung-up tty: 0, 0, 0, each after a poll; no busy loop
        f = fake([0, 0, 0])
        await expect(readUnix(f.port, buf, 0, 16, f.read)).rejects.toThrow("the port hung up (end of file: 3 empty reads)")
        expect(f.log).toEqual(["read 0", "poll", "read 0", "poll", "read 0"])

        // a stray 0 between bytes is not a hang-up
        f = fake([0, 2])
        await expect(readUnix(f.port, buf, 0, 16, f.read)).resolves.toMatchObject({ bytesRead: 2 })

        // a hung-up tty polls as an error: a hang-up too
        f = fake([0], new Error("bad file descriptor"))
        await expect(readUnix(f.port, buf, 0, 16, f.read)).rejects.toThrow("the port hung up (poll: bad file descriptor)")

        // EIO is passed on (the stream reports it as a disconnect)
        f = fake(["EIO"])
        await expect(readUnix(f.port, buf, 0, 16, f.read)).rejects.toMatchObject({ code: "EIO" })

        // the port closed on purpose while waiting: canceled, which the stream ignores
        f = fake([0], Object.assign(new Error("Canceled"), { canceled: true }))
        await expect(readUnix(f.port, buf, 0, 16, f.read)).rejects.toMatchObject({ canceled: true })
        f = fake([])
        f.port.isOpen = false
        await expect(readUnix(f.port, buf, 0, 16, f.read)).rejects.toMatchObject({ canceled: true, message: "Port is not open" })
    })
})
