/**
 * A cross-process lock for the simulator's fixed Jacdac port (127.0.0.1:8082).
 *
 * `runSim` (sim/runner.mjs) holds it for the whole run, so runSim calls
 * in different processes (vitest runs test files in parallel processes; a
 * monitor `--sim` beside a test run) queue instead of failing with "port in use".
 *
 * The lock is a directory, `os.tmpdir()/poolgc-sim-8082.lock` (one per machine,
 * as the port is), created with `mkdir`, which is atomic: whoever creates it holds
 * the lock. Inside, the file `owner` holds `{ pid, host, since }`.
 *
 * - Waiting: a process that finds the directory polls every ~100 ms (with jitter)
 *   until it can create it, or `timeoutMs` passes (error with code "ELOCKED").
 * - Stale locks: a holder that died without releasing (SIGKILL, a crash) leaves
 *   the directory behind. A waiter that sees a dead owner pid on the same host
 *   (or, for a directory without an owner file, one older than `staleMs`) breaks
 *   it: under a second lock (`<dir>.break`, so only one process breaks at a time)
 *   it reads the owner again, and if it is still dead, renames the directory away
 *   (atomic) and deletes it.
 * - Release: the holder renames the directory away and deletes it, so another
 *   process never sees it half-deleted. `release` is idempotent and also runs
 *   from a process `exit` handler; a process killed by a signal leaves a stale lock,
 *   which the next waiter breaks.
 *
 * Within one process the lock is re-entrant (`withSimLock` inside `withSimLock`
 * nests): the process holds it while any of its sections run. This is what lets
 * a test hold the lock around a runSim call and check port 8082 after it.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs"
import os from "node:os"
import { join } from "node:path"

/** The lock directory shared by every runSim on this machine. */
export const SIM_LOCK_DIR = join(os.tmpdir(), "poolgc-sim-8082.lock")

/**
 * @typedef {{ pid: number, host: string, since: number }} LockOwner
 * @typedef {{ timeoutMs?: number, pollMs?: number, staleMs?: number, onWait?: (owner: LockOwner | null) => void,
 *   signal?: AbortSignal }} LockOptions
 *   signal: stops waiting (error code "EABORT")
 */

const sleep = (/** @type {number} */ ms) => new Promise(r => setTimeout(r, ms))

/** @param {string} dir @returns {LockOwner | null | "gone"} */
function readOwner(dir) {
    try {
        return JSON.parse(readFileSync(join(dir, "owner"), "utf8"))
    } catch (e) {
        const code = /** @type {NodeJS.ErrnoException} */ (e).code
        try {
            statSync(dir)
        } catch {
            return "gone"
        }
        // the holder is between mkdir and writing its owner file (or died there)
        if (code === "ENOENT" || e instanceof SyntaxError) return null
        throw e
    }
}

/** @param {number} pid */
function isAlive(pid) {
    try {
        process.kill(pid, 0)
        return true
    } catch (e) {
        return /** @type {NodeJS.ErrnoException} */ (e).code === "EPERM"
    }
}

/** @param {string} path */
function ageMs(path) {
    try {
        return Date.now() - statSync(path).mtimeMs
    } catch {
        return 0
    }
}

/** @param {string} dir @param {LockOwner | null | "gone"} owner @param {number} staleMs */
function isStale(dir, owner, staleMs) {
    if (owner === "gone") return false
    if (owner === null) return ageMs(dir) > staleMs
    if (owner.host !== os.hostname()) return false // cannot tell: wait for it
    return !isAlive(owner.pid)
}

/** Renames `dir` to a unique name and deletes that. @param {string} dir */
function removeAtomically(dir) {
    const tomb = `${dir}.gone.${process.pid}.${Math.random().toString(36).slice(2)}`
    try {
        renameSync(dir, tomb)
    } catch (e) {
        if (/** @type {NodeJS.ErrnoException} */ (e).code === "ENOENT") return
        throw e
    }
    rmSync(tomb, { recursive: true, force: true })
}

/** Breaks the lock at `dir` if its owner is dead. @param {string} dir @param {number} staleMs */
function breakIfStale(dir, staleMs) {
    if (!isStale(dir, readOwner(dir), staleMs)) return
    const breaker = `${dir}.break`
    try {
        mkdirSync(breaker)
    } catch (e) {
        if (/** @type {NodeJS.ErrnoException} */ (e).code !== "EEXIST") throw e
        // another waiter is breaking it; a breaker that died mid-way is removed by age
        if (ageMs(breaker) > staleMs) rmSync(breaker, { recursive: true, force: true })
        return
    }
    try {
        // only breakers remove a lock that is not theirs, and we are the only one now
        if (isStale(dir, readOwner(dir), staleMs)) removeAtomically(dir)
    } finally {
        rmSync(breaker, { recursive: true, force: true })
    }
}

/**
 * Takes the lock at `dir`, waiting for it. Resolves to an idempotent, synchronous
 * release function; rejects with code "ELOCKED" (and `owner`) after `timeoutMs`,
 * or with code "EABORT" when `signal` aborts the wait.
 * @param {string} dir
 * @param {LockOptions} [options]
 * @returns {Promise<() => void>}
 */
export async function acquireDirLock(dir, { timeoutMs = 600000, pollMs = 100, staleMs = 10000, onWait, signal } = {}) {
    const deadline = Date.now() + timeoutMs
    let told = false
    for (;;) {
        if (signal?.aborted) throw Object.assign(new Error(`stopped waiting for the lock ${dir}`), { code: "EABORT" })
        try {
            mkdirSync(dir)
        } catch (e) {
            if (/** @type {NodeJS.ErrnoException} */ (e).code !== "EEXIST") throw e
            breakIfStale(dir, staleMs)
            const owner = readOwner(dir)
            if (owner === "gone") continue
            if (Date.now() >= deadline) {
                const who = owner ? `pid ${owner.pid} on ${owner.host}` : "a process that has not written its owner file"
                const err = new Error(`the lock ${dir} is held by ${who}; waited ${timeoutMs} ms`)
                throw Object.assign(err, { code: "ELOCKED", owner })
            }
            if (!told) onWait?.(owner)
            told = true
            await sleep(pollMs + Math.random() * pollMs)
            continue
        }
        /** @type {LockOwner} */
        const me = { pid: process.pid, host: os.hostname(), since: Date.now() }
        writeFileSync(join(dir, "owner"), JSON.stringify(me))
        let released = false
        return () => {
            if (released) return
            released = true
            const owner = readOwner(dir)
            if (owner && owner !== "gone" && owner.pid === process.pid && owner.since === me.since) removeAtomically(dir)
        }
    }
}

let holds = 0
/** @type {(() => void) | null} */
let releaseHeld = null
/** @type {Promise<() => void> | null} */
let acquiring = null

process.on("exit", () => releaseHeld?.())

/**
 * Runs `fn` while this process holds the simulator lock (re-entrant within the
 * process). The lock is released when the outermost section ends, whatever way.
 * Sections of one process that wait at the same time share one wait (and the
 * options of the first of them).
 * @template T
 * @param {() => Promise<T> | T} fn
 * @param {LockOptions} [options]
 * @returns {Promise<T>}
 */
export async function withSimLock(fn, options = {}) {
    if (holds === 0) {
        if (!acquiring) {
            acquiring = acquireDirLock(SIM_LOCK_DIR, options)
            acquiring.then(
                release => {
                    releaseHeld = release
                    acquiring = null
                },
                () => (acquiring = null)
            )
        }
        await acquiring
    }
    holds++
    try {
        return await fn()
    } finally {
        holds--
        if (holds === 0) {
            releaseHeld?.()
            releaseHeld = null
        }
    }
}
