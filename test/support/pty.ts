/**
 * A serial cable for tests: test/support/ptypair.py (python3, standard library
 * only) joins two pseudo-terminals back to back and links them at two paths.
 * The program under test opens the "board" link as a board's port; the test
 * writes what a board would send into the "host" link. Killing the pair is the
 * cable being unplugged; starting another at the same paths, plugging it back.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { closeSync, constants, openSync, writeSync } from "node:fs"

const HELPER = "test/support/ptypair.py"
const PYTHON = process.env.PYTHON ?? "python3"

export interface PtyPair {
    /** the board's end: what the monitor opens */
    board: string
    /** the host's end: write here what the board sends */
    host: string
    proc: ChildProcess
    /** the pair's process has exited */
    exited: Promise<void>
    /** Unplugs the cable: SIGTERM removes the links first, SIGKILL leaves them dangling. */
    unplug(signal?: "SIGTERM" | "SIGKILL"): Promise<void>
}

const live = new Set<ChildProcess>()

/**
 * Starts a pair and resolves once both links are in place (its `ready` line).
 * Fails with what went wrong when python3 cannot be started or the helper
 * exits first.
 */
export function startPtyPair(board: string, host: string, ms = 30000): Promise<PtyPair> {
    return new Promise((resolve, reject) => {
        // stdin stays a pipe: the helper exits when it closes, so it never outlives this process
        const proc = spawn(PYTHON, [HELPER, board, host], { stdio: ["pipe", "pipe", "pipe"] })
        live.add(proc)
        let stdout = ""
        let stderr = ""
        let settled = false
        const exited = new Promise<void>(r => proc.once("close", () => r()))
        exited.then(() => live.delete(proc))
        const timer = setTimeout(() => fail(new Error(`${HELPER} gave no ready line in ${ms} ms; stderr: ${stderr}`)), ms)
        const fail = (e: Error) => {
            if (settled) return
            settled = true
            clearTimeout(timer)
            proc.kill("SIGKILL")
            reject(e)
        }
        proc.once("error", e =>
            fail(new Error(`cannot start ${PYTHON} for ${HELPER} (${e.message}): the serial tests need python3 (or PYTHON=/path/to/python3)`))
        )
        proc.once("close", code => fail(new Error(`${HELPER} exited (${code}) before it was ready; stderr: ${stderr}`)))
        proc.stderr!.on("data", d => (stderr += d))
        proc.stdout!.on("data", d => {
            stdout += d
            if (settled || !/^ready /m.test(stdout)) return
            settled = true
            clearTimeout(timer)
            resolve({
                board,
                host,
                proc,
                exited,
                unplug: async (signal = "SIGTERM") => {
                    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal)
                    await exited
                },
            })
        })
    })
}

/** Kills every pair still running (for afterAll). */
export function killPtyPairs() {
    for (const p of live) p.kill("SIGKILL")
}

/**
 * Opens the host end for writing, never as this process's controlling
 * terminal; `nonBlocking`: a full buffer is EAGAIN rather than a stalled
 * event loop.
 */
export function openHost(path: string, nonBlocking = false) {
    return openSync(path, constants.O_WRONLY | constants.O_NOCTTY | (nonBlocking ? constants.O_NONBLOCK : 0))
}

/** Writes bytes into the host end at once, as the board would send them. */
export function sendTo(path: string, bytes: Uint8Array | string) {
    const fd = openHost(path)
    try {
        writeSync(fd, typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes)
    } finally {
        closeSync(fd)
    }
}
