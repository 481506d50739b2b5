/**
 * sim/runner.mjs must report failures as failures and never hang.
 * Each devs run costs ~1.5-2.5 s, so the fixtures (test/vm/fixtures/) are few and tiny.
 */
import { spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs"
import net from "node:net"
import os from "node:os"
import { join } from "node:path"
import { describe, expect, test } from "vitest"
import { runSim, runTestMode, withSimLock } from "../../sim/runner.mjs"
import { acquireDirLock } from "../../sim/lock.mjs"

const F = "test/vm/fixtures"

/**
 * The deadline of a run that is expected to end by itself (a match, a panic, an
 * exit): it ends in a few seconds, so this only bounds a stuck run, and leaves
 * room for a machine busy with other simulators and test runs.
 */
const ENDS = 120000

/** The rejection of `p`, failing if it resolves. */
async function rejection(p: Promise<unknown>): Promise<any> {
    try {
        await p
    } catch (e) {
        return e
    }
    throw new Error("expected a rejection")
}

/** ms of `calls 20000 ms <n> ...` in a run's lines. */
function callsMs(lines: string[]): number {
    const m = lines.map(l => /^calls 20000 ms (\d+)/.exec(l)).find(Boolean)
    if (!m) throw new Error(`no timing line in:\n${lines.join("\n")}`)
    return Number(m[1])
}

async function portIsFree(): Promise<boolean> {
    const s = net.createServer()
    return new Promise(resolve => {
        s.once("error", () => resolve(false))
        s.listen(8082, "127.0.0.1", () => s.close(() => resolve(true)))
    })
}

describe("runSim (normal mode)", () => {
    // Port checks run under the simulator lock: runSim in other test files (other
    // processes) may hold port 8082 at any moment otherwise.
    test("resolves at the `until` line, calling onLine for each program line", () =>
        withSimLock(async () => {
            const seen: string[] = []
            const r = await runSim(`${F}/calls.vm.ts`, { until: /^done$/, timeoutMs: ENDS, onLine: l => seen.push(l) })
            expect(r.code).toBe(0)
            expect(r.lines.at(-1)).toBe("done")
            expect(seen).toEqual(r.lines)
            expect(await portIsFree()).toBe(true)
        }))

    test("an endless loop is a panic (InfiniteLoop, 60001), not a hang", async () => {
        // the reason says the VM stopped it, long before the run's deadline
        const e = await rejection(runSim(`${F}/spin.vm.ts`, { until: /^done$/, timeoutMs: ENDS }))
        expect(e.reason).toBe("panic")
        expect(e.panicCode).toBe(60001)
        expect(e.lines).toContain("Exception: InfiniteLoop")
    })

    test("recursion past the call-depth limit is a panic (StackOverflow, 60006)", async () => {
        const e = await rejection(runSim(`${F}/deep.vm.ts`, { until: /^depth/, timeoutMs: ENDS }))
        expect(e.reason).toBe("panic")
        expect(e.panicCode).toBe(60006)
        expect(e.lines).toContain("Exception: StackOverflow")
    })

    test("a program that stops (ds.restart()) before `until` is reported, not waited for", async () => {
        const e = await rejection(runSim(`${F}/calls.vm.ts`, { until: /^never$/, timeoutMs: ENDS }))
        expect(e.reason).toBe("restart")
        expect(e.lines).toContain("RESTART requested")
    })

    test("a compile error ends the run (the CLI exits)", async () => {
        const e = await rejection(runSim(`${F}/bad.vm.ts`, { until: /^never$/, timeoutMs: ENDS }))
        expect(e.reason).toBe("exit")
        expect(e.exitCode).toBe(1)
        expect(e.message).toContain("please use ===")
    })

    test("a program that idles without matching `until` times out", () =>
        withSimLock(async () => {
            // the timeout counts from the spawn, compile included: three times what
            // the same program took to print its line just now (at least 6 s), so
            // it has printed it before the timer fires however busy the machine is
            const t0 = Date.now()
            await runSim(`${F}/done.vm.ts`, { until: /^done$/, timeoutMs: ENDS })
            const timeoutMs = Math.max(6000, 3 * (Date.now() - t0))
            const e = await rejection(runSim(`${F}/done.vm.ts`, { until: /^never$/, timeoutMs }))
            expect(e.reason).toBe("timeout")
            expect(e.lines).toContain("done")
            expect(await portIsFree()).toBe(true)
        }))

    test("port 8082 already taken: a clear error, nothing spawned", () =>
        withSimLock(async () => {
            const blocker = net.createServer()
            await new Promise<void>(resolve => blocker.listen(8082, "127.0.0.1", resolve))
            try {
                const e = await rejection(runSim(`${F}/done.vm.ts`, { until: /^done$/ }))
                expect(e.reason).toBe("spawn")
                expect(e.message).toMatch(/127\.0\.0\.1:8082 is already in use/)
            } finally {
                await new Promise(resolve => blocker.close(resolve))
            }
        }))

    test("an aborted run ends at once, child killed and port closed", () =>
        withSimLock(async () => {
            const ac = new AbortController()
            const p = runSim(`${F}/done.vm.ts`, {
                until: /^never$/,
                timeoutMs: ENDS,
                signal: ac.signal,
                onLine: l => {
                    if (l === "done") ac.abort()
                },
            })
            const e = await rejection(p)
            expect(e.reason).toBe("aborted")
            expect(await portIsFree()).toBe(true)
        }))
})

describe("the simulator lock (runSim in several processes)", () => {
    test("runSim in another process at the same time queues instead of failing", async () => {
        const script = `import { runSim } from ${JSON.stringify(new URL("../../sim/runner.mjs", import.meta.url).href)}
            const r = await runSim(${JSON.stringify(`${F}/done.vm.ts`)}, { until: /^done$/, timeoutMs: ${ENDS} })
            console.log("child " + r.lines.at(-1))`
        const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] })
        let out = ""
        child.stdout.on("data", d => (out += d))
        child.stderr.on("data", d => (out += d))
        const childDone = new Promise<number | null>(resolve => child.on("close", resolve))
        const mine = await runSim(`${F}/done.vm.ts`, { until: /^done$/, timeoutMs: ENDS })
        expect(mine.lines.at(-1)).toBe("done")
        expect(await childDone, out).toBe(0)
        expect(out).toContain("child done")
    })

    test("a lock left by a dead process is broken; a live holder is waited for", async () => {
        const dir = mkdtempSync(join(os.tmpdir(), "poolgc-lock-test-"))
        const lock = join(dir, "l.lock")
        try {
            // a pid that is not running: a child that has exited
            const dead = spawn(process.execPath, ["-e", ""])
            await new Promise(resolve => dead.on("close", resolve))
            mkdirSync(lock)
            writeFileSync(join(lock, "owner"), JSON.stringify({ pid: dead.pid, host: os.hostname(), since: 1 }))
            const release = await acquireDirLock(lock, { timeoutMs: 30000, pollMs: 10 })
            expect(existsSync(lock)).toBe(true)
            // held by us (alive): another acquire times out with ELOCKED
            const err: any = await rejection(acquireDirLock(lock, { timeoutMs: 300, pollMs: 10 }))
            expect(err.code).toBe("ELOCKED")
            expect(err.owner.pid).toBe(process.pid)
            // a wait can be called off
            const ac = new AbortController()
            setTimeout(() => ac.abort(), 50)
            const aborted: any = await rejection(acquireDirLock(lock, { timeoutMs: 5000, pollMs: 10, signal: ac.signal }))
            expect(aborted.code).toBe("EABORT")
            release()
            release() // idempotent
            expect(existsSync(lock)).toBe(false)
            const again = await acquireDirLock(lock, { timeoutMs: 30000, pollMs: 10 })
            again()
        } finally {
            rmSync(dir, { recursive: true, force: true })
        }
    })
})

describe("runTestMode", () => {
    test("an unhandled exception fails the run (exit 1, PANIC 60005)", async () => {
        const r = await runTestMode(`${F}/throw.vm.ts`, { timeoutMs: ENDS })
        expect(r.code).toBe(1)
        expect(r.lines).toContain("Exception: RangeError")
        expect(r.stdout).toMatch(/^PANIC 60005$/m)
        expect(r.stdout).toMatch(/^test failed$/m)
    })

    test("passes after ds.restart(), and is GC-stress mode: calls far slower than runSim", async () => {
        const t = await runTestMode(`${F}/calls.vm.ts`, { timeoutMs: ENDS })
        expect(t.code, t.stdout + t.stderr).toBe(0)
        expect(t.lines).toContain("done")
        const s = await runSim(`${F}/calls.vm.ts`, { until: /^done$/, timeoutMs: ENDS })
        const testMs = callsMs(t.lines)
        const simMs = callsMs(s.lines)
        // measured: 644-680 ms vs 38-45 ms (~15x); 4x leaves room for a loaded host
        expect(testMs, `test mode ${testMs} ms, normal mode ${simMs} ms`).toBeGreaterThan(4 * Math.max(simMs, 1))
    })
})
