/**
 * Runs DeviceScript programs in the CLI's WASM simulator, by spawning
 * `node node_modules/@devicescript/cli/devicescript --no-colors run <entry> ...`
 * from the project root (the CLI has no programmatic VM API, and it needs the
 * project's devsconfig.json in its working directory).
 *
 * Two modes:
 * - `runTestMode`: `run --test --test-self-exit -T <ms>`. The CLI exits by itself:
 *   0 ("test OK") when the program calls `ds.restart()`, 1 on a panic
 *   ("test failed") or when the -T timer fires ("timeout"). A program that just
 *   returns from main is NOT a success: it runs into the timeout. Test mode turns
 *   on the VM's GC stress (full heap check + collection on every allocation),
 *   so it is for correctness only, never for timing.
 * - `runSim`: normal mode (no GC stress, real restarts). `devs run` then needs a
 *   Jacdac transport, so we listen on 127.0.0.1:8082 ourselves, accept the VM's
 *   connection and discard its packets, and spawn `run <entry> --tcp`. Normal
 *   mode never exits on its own: we decide when it is over (see below) and kill it.
 *
 * Output facts (CLI 2.16.4, measured): program output and the runtime's own
 * messages arrive on stdout as `WASM> <text>`; ANSI colours are disabled by
 * `--no-colors` except in stack-trace locations, so we strip them anyway.
 * Runtime lines you will see among the program's lines:
 *   `DeviceScript Simulator (WASM) v2.16.4; file v2.16.4`, `start: <name> <version>`,
 *   `Exception: InfiniteLoop` / `Exception: StackOverflow` / `Unhandled exception` +
 *   `Exception: RangeError` + ` message: boom`, ` at main [as F0_pc24] (file.ts:3:16)`,
 *   `RESTART requested` (ds.restart()), `stop program`.
 * A panic additionally prints `PANIC <code>` WITHOUT the prefix (runtime/posix/
 * jd_impl_em.c): 60001 InfiniteLoop (>128k ops without suspending), 60005 unhandled
 * exception, 60006 StackOverflow (call depth > 100), 60004 out of memory (the last
 * one per the runtime sources, not provoked here). In normal mode the VM then prints
 * `stop program` and restarts the program 5.25 s later (measured), forever; a
 * `ds.restart()` prints `RESTART requested`, `stop program` and restarts at once.
 * Other unprefixed stdout lines: `using devs: ...`, `connected to 127.0.0.1:8082`,
 * `self-deployed <entry>`, and in test mode `test OK` / `test failed` / `timeout`.
 * stderr carries compile errors (`file.ts(4,5): error TS9999: please use ===`,
 * exit code 1), bytecode verification errors (e.g. a subnormal float literal:
 * `verification error: -1044`), `fatal: Not a valid object name HEAD` (git, harmless,
 * while the repo has no commit) and CLI crashes.
 *
 * Measured (x86 host, Node 20, one run at a time): runTestMode of a trivial program
 * 1.5-1.7 s (2.2-2.9 s for calls.vm.ts, whose loop is slow under GC stress); runSim
 * until the first program line 1.5-2.4 s; both ~2.1-2.6 s while another devs run
 * shares the CPU. A loop of 20,000 two-argument function calls
 * (test/vm/fixtures/calls.vm.ts) takes 644-680 ms in test mode and 38-45 ms in
 * normal mode: ~15x, so normal mode really is not GC-stress mode
 * (test/device/runner.test.ts re-checks the ratio).
 *
 * Invariants: every `runSim` kills its child and closes its server before its
 * promise settles, so calls can follow each other. runSim calls queue because they
 * share port 8082: within one process in a promise chain, and across processes
 * (e.g. vitest files running in parallel, or a monitor `--sim` beside a test run)
 * through the lock in sim/lock.mjs (a `mkdir` lock directory in the OS temp
 * directory with the owner's pid, stale when that pid is dead), held from before
 * the port is opened until after it is closed. Only a process that is not a runSim
 * (a `devs devtools` server, say) holding the port gives the "port in use" error.
 * `withSimLock(fn)` (re-exported) lets a caller hold the same lock around several
 * runs, or around a check of the port. The `signal` option aborts a run (the child
 * is killed as in every other ending); a process exiting while a run is live kills
 * that child too.
 * Concurrent runs also share `.devicescript/bin` (the CLI writes its build output
 * there; the program binary itself is passed in memory, so only stack-trace
 * source locations could be affected).
 */
import { spawn } from "node:child_process"
import { rmSync } from "node:fs"
import net from "node:net"
import { dirname, isAbsolute, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { withSimLock } from "./lock.mjs"

export { withSimLock }

/**
 * The project whose programs run: this file's `<root>/sim/`, or, for a project
 * that has poolgc installed as a library (bin `poolgc-sim`), the directory in
 * POOLGC_PROJECT_ROOT. The CLI and devsconfig.json are that project's.
 */
export const PROJECT_ROOT = process.env.POOLGC_PROJECT_ROOT
    ? resolve(process.env.POOLGC_PROJECT_ROOT)
    : resolve(dirname(fileURLToPath(import.meta.url)), "..")
const CLI = resolve(PROJECT_ROOT, "node_modules/@devicescript/cli/devicescript")
/**
 * The simulator's "flash": `devs run` starts the VM with the program the last
 * run deployed (saved here), and deploys the new one only after compiling it.
 * On a busy machine the compile takes seconds, and the old program's lines,
 * and its `stop program` when the new one replaces it, would be read as this
 * run's. So each run starts with it removed (under the simulator lock, which
 * every run of this checkout holds).
 */
const SIM_FLASH = resolve(PROJECT_ROOT, ".devicescript/flash/sim.bin")
const PREFIX = "WASM> "
const SIM_HOST = "127.0.0.1"
const SIM_PORT = 8082
// eslint-disable-next-line no-control-regex
const ANSI = /\x1B\[[0-9;]*m/g

/**
 * @typedef {{ code: number, stdout: string, stderr: string, lines: string[] }} TestModeResult
 * @typedef {{ code: 0, lines: string[] }} SimResult
 * @typedef {Error & { reason: "panic" | "restart" | "exit" | "timeout" | "spawn" | "callback" | "lock" | "aborted",
 *   panicCode?: number, exitCode?: number | null, lines: string[], stdout: string, stderr: string }} SimError
 * @typedef {{ until?: RegExp, timeoutMs?: number, onLine?: (line: string) => void, signal?: AbortSignal,
 *   lockTimeoutMs?: number, onLockWait?: (owner: { pid: number } | null) => void }} SimOptions
 */

/**
 * Entry paths are relative to the project root (absolute ones are made relative,
 * so the VM's `start:` line and stack traces show short names).
 * @param {string} entry
 */
function entryArg(entry) {
    return relative(PROJECT_ROOT, isAbsolute(entry) ? entry : resolve(PROJECT_ROOT, entry))
}

/** @param {string[]} args */
function spawnCli(args) {
    return spawn(process.execPath, [CLI, "--no-colors", "run", ...args], {
        cwd: PROJECT_ROOT,
        stdio: ["ignore", "pipe", "pipe"],
    })
}

/**
 * Calls `onLine` for every complete stdout line (ANSI stripped, no `\r`).
 * @param {import("node:stream").Readable} stream
 * @param {(line: string) => void} onLine
 */
function splitLines(stream, onLine) {
    let rest = ""
    stream.setEncoding("utf8")
    stream.on("data", chunk => {
        rest += chunk
        let nl
        while ((nl = rest.indexOf("\n")) >= 0) {
            const line = rest.slice(0, nl).replace(/\r$/, "").replace(ANSI, "")
            rest = rest.slice(nl + 1)
            onLine(line)
        }
    })
    stream.on("end", () => {
        if (rest) onLine(rest.replace(ANSI, ""))
        rest = ""
    })
}

/**
 * Runs `entry` in test mode (GC stress) and waits for the CLI to exit.
 * Never rejects for a failing program: check `code` (0 only after `ds.restart()`).
 * A guard kills the CLI if it outlives `timeoutMs` + 30 s (compile time included);
 * then `code` is -1.
 * @param {string} entry DeviceScript entry file, relative to the project root
 * @param {{ timeoutMs?: number }} [options]
 * @returns {Promise<TestModeResult>}
 */
export function runTestMode(entry, { timeoutMs = 60000 } = {}) {
    return new Promise((resolvePromise, reject) => {
        const child = spawnCli([entryArg(entry), "--test", "--test-self-exit", "-T", String(timeoutMs)])
        /** @type {string[]} */
        const lines = []
        let stdout = ""
        let stderr = ""
        splitLines(child.stdout, line => {
            stdout += line + "\n"
            if (line.startsWith(PREFIX)) lines.push(line.slice(PREFIX.length))
        })
        child.stderr.setEncoding("utf8")
        child.stderr.on("data", d => (stderr += d))
        const guard = setTimeout(() => child.kill("SIGKILL"), timeoutMs + 30000)
        child.on("error", err => {
            clearTimeout(guard)
            reject(err)
        })
        // "close", not "exit": stdout is fully read by then.
        child.on("close", code => {
            clearTimeout(guard)
            resolvePromise({ code: code ?? -1, stdout, stderr, lines })
        })
    })
}

/** What the runtime's panic codes mean (the runtime's sources; 60004 not provoked here). */
const PANICS = /** @type {Record<number, string>} */ ({
    60001: "InfiniteLoop: over 131,072 operations without suspending",
    60004: "out of memory",
    60005: "unhandled exception",
    60006: "StackOverflow: call depth over 100",
})

/** The most a one-line report repeats of the compiler's messages. */
const MAX_REPORTED = 10

/**
 * The first line of a SimError is all some callers show (the monitor's status
 * line), so it carries the compiler's and the VM's own words: for an exit, the
 * `error TS...` lines of stderr (or its other lines, or the VM's `verification
 * failure`), joined by "; ".
 * @param {string} stderr @param {string[]} lines
 */
function cliProblem(stderr, lines) {
    const err = stderr.split("\n").map(l => l.trim()).filter(l => l && !/^fatal: Not a valid object name HEAD/.test(l))
    const ts = err.filter(l => /\berror TS\d+:/.test(l))
    const vm = lines.filter(l => /^verification (failure|error)/.test(l))
    const said = ts.length ? ts : [...err, ...vm]
    if (!said.length) return ""
    const more = said.length > MAX_REPORTED ? `; and ${said.length - MAX_REPORTED} more` : ""
    return `: ${ts.length ? "does not compile: " : ""}${said.slice(0, MAX_REPORTED).join("; ")}${more}`
}

/**
 * A panic in the VM's words: what the code means, and the last exception the
 * runtime printed before it (`Exception: RangeError`, ` message: boom`,
 * ` at main [as F0_pc21] (file.ts:2:1)`).
 * @param {number} code @param {string[]} lines
 */
function panicReport(code, lines) {
    const what = PANICS[code] ? ` (${PANICS[code]})` : ""
    let at = -1
    for (let i = lines.length - 1; i >= 0 && at < 0; i--) if (lines[i].startsWith("Exception: ")) at = i
    if (at < 0) return what
    let exception = lines[at].slice("Exception: ".length)
    let where = ""
    for (let i = at + 1; i < lines.length && /^ (message: |at )/.test(lines[i]); i++) {
        if (lines[i].startsWith(" message: ")) exception += `: ${lines[i].slice(" message: ".length)}`
        else where ||= lines[i].trim() // the innermost frame
    }
    // InfiniteLoop and StackOverflow are already named by the code
    const parts = (PANICS[code] ?? "").startsWith(`${exception}:`) ? [where] : [exception, where]
    return `${what}: ${parts.filter(Boolean).join(", ")}`
}

/** Serialises runSim calls of this process: they all need port 8082. */
let simQueue = Promise.resolve()

/**
 * Runs `entry` in normal mode (no GC stress) until a program line matches `until`.
 *
 * Resolves `{ code: 0, lines }` as soon as a line matches `until` (lines up to and
 * including it). REJECTS with a SimError (`reason` says why, `lines`/`stdout`/
 * `stderr` hold what was seen) when:
 * - the VM panics (`PANIC <code>` line; `panicCode` set): reason "panic";
 * - the program stops (`stop program`, e.g. after `ds.restart()`) before `until`
 *   matched, since it would only start over: reason "restart";
 * - the CLI exits (compile error, cannot connect...): reason "exit";
 * - `timeoutMs` passes (compile time included): reason "timeout";
 * - `onLine` throws: reason "callback";
 * - `signal` is aborted (also while waiting for the lock): reason "aborted";
 * - port 8082 is already taken (by something that is not a runSim): reason "spawn",
 *   before anything is spawned;
 * - another process's runSim holds the simulator lock for more than
 *   `lockTimeoutMs` (default 10 min; `onLockWait` is called once when the run has
 *   to wait): reason "lock". `timeoutMs` starts after the lock is taken.
 * The error's first line is complete on its own: for "exit" the compiler's
 * `error TS...` lines (or the CLI's other stderr lines), for "panic" what the
 * code means and the exception the VM printed, with its innermost frame.
 * Without `until`, the run can only end in one of those failures (e.g. timeout).
 * The child is killed and the server closed before the promise settles.
 * @param {string} entry DeviceScript entry file, relative to the project root
 * @param {SimOptions} [options]
 * @returns {Promise<SimResult>}
 */
export function runSim(entry, options = {}) {
    const { lockTimeoutMs = 600000, onLockWait, signal } = options
    const locked = () =>
        withSimLock(() => runSimNow(entry, options), { timeoutMs: lockTimeoutMs, onWait: onLockWait, signal }).catch(e => {
            if (e?.code !== "ELOCKED" && e?.code !== "EABORT") throw e
            const err = /** @type {SimError} */ (new Error(`runSim(${entry}): ${e.message}`))
            const reason = e.code === "ELOCKED" ? "lock" : "aborted"
            throw Object.assign(err, { reason, lines: [], stdout: "", stderr: "" })
        })
    const run = simQueue.then(locked)
    simQueue = run.then(
        () => {},
        () => {}
    )
    return run
}

/** Children of runs in progress, killed if the process exits under them. */
/** @type {Set<import("node:child_process").ChildProcess>} */
const liveChildren = new Set()
process.on("exit", () => {
    for (const c of liveChildren) c.kill("SIGKILL")
})

/**
 * @param {string} entry
 * @param {SimOptions} options
 * @returns {Promise<SimResult>}
 */
async function runSimNow(entry, { until, timeoutMs = 120000, onLine, signal } = {}) {
    /** @type {string[]} */
    const lines = []
    let stdout = ""
    let stderr = ""

    /** @param {SimError["reason"]} reason @param {string} message @param {object} [extra] */
    const simError = (reason, message, extra = {}) => {
        const tail = lines.slice(-12).join("\n    ")
        const err = /** @type {SimError} */ (
            new Error(`runSim(${entry}): ${message}${tail ? `\n  last lines:\n    ${tail}` : ""}`)
        )
        Object.assign(err, { reason, lines, stdout, stderr }, extra)
        return err
    }

    // The VM's Jacdac transport: accept, discard everything. Sockets are tracked so
    // close() does not wait for a connection the VM never ends.
    /** @type {Set<net.Socket>} */
    const sockets = new Set()
    const server = net.createServer(sock => {
        sockets.add(sock)
        sock.on("data", () => {})
        sock.on("error", () => {})
        sock.on("close", () => sockets.delete(sock))
    })
    await new Promise((res, rej) => {
        server.once("error", err => {
            const code = /** @type {NodeJS.ErrnoException} */ (err).code
            rej(
                code === "EADDRINUSE"
                    ? simError(
                          "spawn",
                          `${SIM_HOST}:${SIM_PORT} is already in use (a \`devs devtools\` server, or runSim in ` +
                              `another process?). The simulator's --tcp transport needs this port: free it and retry.`
                      )
                    : simError("spawn", `cannot listen on ${SIM_HOST}:${SIM_PORT}: ${err.message}`)
            )
        })
        server.listen(SIM_PORT, SIM_HOST, () => res(undefined))
    })

    if (signal?.aborted) {
        await new Promise(res => server.close(() => res(undefined)))
        throw simError("aborted", "aborted before it started")
    }
    rmSync(SIM_FLASH, { force: true })
    const child = spawnCli([entryArg(entry), "--tcp"])
    liveChildren.add(child)
    const exited = new Promise(res =>
        child.on("close", () => {
            liveChildren.delete(child)
            res(undefined)
        })
    )
    const closeServer = () => {
        for (const s of sockets) s.destroy()
        return new Promise(res => server.close(() => res(undefined)))
    }

    return new Promise((resolvePromise, rejectPromise) => {
        let settled = false
        /** @param {(() => void)} settle */
        const finish = async settle => {
            if (settled) return
            settled = true
            clearTimeout(timer)
            signal?.removeEventListener("abort", onAbort)
            if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
            await exited
            await closeServer()
            settle()
        }
        const fail = (/** @type {SimError} */ err) => finish(() => rejectPromise(err))

        const timer = setTimeout(() => fail(simError("timeout", `timed out after ${timeoutMs} ms`)), timeoutMs)
        const onAbort = () => fail(simError("aborted", "aborted"))
        signal?.addEventListener("abort", onAbort)

        splitLines(child.stdout, line => {
            if (settled) return
            stdout += line + "\n"
            if (line.startsWith(PREFIX)) {
                const text = line.slice(PREFIX.length)
                lines.push(text)
                try {
                    onLine?.(text)
                } catch (e) {
                    fail(simError("callback", `onLine threw: ${e instanceof Error ? e.message : e}`, { cause: e }))
                    return
                }
                if (until && until.test(text)) finish(() => resolvePromise({ code: 0, lines }))
                else if (text === "stop program") fail(simError("restart", "the program stopped and restarts"))
                return
            }
            const m = /^PANIC (\d+)/.exec(line)
            if (m) fail(simError("panic", `VM panic ${m[1]}${panicReport(Number(m[1]), lines)}`, { panicCode: Number(m[1]) }))
        })
        child.stderr.setEncoding("utf8")
        child.stderr.on("data", d => {
            if (!settled) stderr += d
        })
        child.on("error", err => fail(simError("spawn", `cannot spawn the CLI: ${err.message}`)))
        // "close" comes after stdout is fully read, so a final PANIC line wins over this.
        child.on("close", code =>
            fail(
                simError("exit", `the CLI exited early with code ${code}${cliProblem(stderr, lines)}\n  stdout:\n${stdout}\n  stderr:\n${stderr}`, {
                    exitCode: code,
                })
            )
        )
    })
}
