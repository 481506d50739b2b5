/**
 * `monitor --sim` end to end: the demo (demo/main.ts) runs in the DeviceScript
 * simulator, and the plain output has its whole dumps and its log lines. The
 * simulator run takes the cross-process lock (sim/lock.mjs), so this
 * queues behind other test files' simulator runs.
 */
import { spawn, spawnSync } from "node:child_process"
import { describe, expect, test } from "vitest"
import { parsePayload } from "../../monitor/protocol/payload.mjs"

describe("monitor --sim", () => {
    test("prints the demo's whole dumps and its log lines, then exits 0", async () => {
        const child = spawn(process.execPath, ["monitor/cli.mjs", "--sim"], { stdio: ["ignore", "pipe", "pipe"] })
        let out = ""
        let err = ""
        child.stdout.on("data", d => (out += d))
        child.stderr.on("data", d => (err += d))
        const code = await new Promise<number | null>(resolve => child.on("close", resolve))
        expect(code, out + err).toBe(0)
        const lines = out.split("\n")
        // the demo's own lines, as it printed them
        expect(lines).toContain("demo: the guide's story, on a 16384-byte pool")
        expect(lines).toContain("demo: 5. after collect() the next object (S) goes where the bitmap was, at 1024")
        expect(lines.filter(l => /^demo: round \d+: /.test(l))).toHaveLength(6)
        expect(lines).toContain("poolgc demo done")
        expect(lines.some(l => l.startsWith("start: poolgc "))).toBe(true)
        // every dump whole, each printed once, in order, none damaged
        const heads = lines.filter(l => l.startsWith("=== dump "))
        expect(heads.map(h => Number(/^=== dump (\d+): whole, \d+ lines ===$/.exec(h)![1]))).toEqual(
            Array.from({ length: 14 }, (_, i) => i + 1)
        )
        expect(out).not.toMatch(/damaged/)
        expect(lines.filter(l => l.startsWith("@"))).toEqual([])
        // and each dump's text is a readable map
        for (const h of heads) {
            const at = lines.indexOf(h)
            const n = Number(/, (\d+) lines/.exec(h)![1])
            const p = parsePayload(lines.slice(at + 1, at + 1 + n))
            expect(p.error).toBeNull()
            expect(p.blocks).toHaveLength(1024)
        }
        expect(lines).toContain("monitor: ended: demo/main.ts finished")
    })

    /** The monitor on `args`, to its exit: code, stdout, stderr. */
    function monitor(args: string[]) {
        const child = spawn(process.execPath, ["monitor/cli.mjs", ...args], { stdio: ["ignore", "pipe", "pipe"] })
        let out = ""
        let err = ""
        child.stdout.on("data", d => (out += d))
        child.stderr.on("data", d => (err += d))
        return new Promise<{ code: number | null; out: string; err: string }>(resolve => child.on("close", code => resolve({ code, out, err })))
    }

    test("a program that does not compile: the compiler's message, and exit 1", async () => {
        const r = await monitor(["--sim", "test/vm/fixtures/bad.vm.ts"])
        expect(r.code, r.out + r.err).toBe(1)
        expect(r.out).toContain(
            "monitor: ended: the simulator run ended (exit): runSim(test/vm/fixtures/bad.vm.ts): the CLI exited early with code 1: " +
                "does not compile: test/vm/fixtures/bad.vm.ts(4,5): error TS9999: please use ==="
        )
    })

    test("a program that panics: the VM's messages (the exception, where), and exit 1", async () => {
        const r = await monitor(["--sim", "test/vm/fixtures/throw.vm.ts"])
        expect(r.code, r.out + r.err).toBe(1)
        const lines = r.out.split("\n")
        expect(lines).toContain("Exception: RangeError")
        expect(lines).toContain(" message: boom")
        expect(r.out).toContain(
            "monitor: ended: the simulator run ended (panic): runSim(test/vm/fixtures/throw.vm.ts): VM panic 60005 (unhandled exception): " +
                "RangeError: boom, at main [as F0_pc21] (test/vm/fixtures/throw.vm.ts:2:1)"
        )
    })

    test("on a terminal, a failed run shows the compiler's message, wrapped, and quitting exits 1", async () => {
        const has = spawnSync("script", ["--version"])
        if (has.error) throw new Error("`script` (util-linux, Debian package bsdutils) is needed for this test")
        const cmd = `stty cols 60 rows 30; ${process.execPath} monitor/cli.mjs --sim test/vm/fixtures/bad.vm.ts`
        const child = spawn("script", ["-qfec", cmd, "/dev/null"], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } })
        let out = ""
        child.stdout.on("data", d => (out += d))
        const exited = new Promise<number | null>(resolve => child.on("close", resolve))
        // the simulator run waits for the cross-process lock while other test files use the simulator
        const t0 = Date.now()
        while (!out.includes("error TS9999:")) {
            if (Date.now() - t0 > 240000) throw new Error(`no compile error on the screen:\n${out.slice(-2000)}`)
            await new Promise(r => setTimeout(r, 100))
        }
        child.stdin.write("q")
        expect(await exited).toBe(1)
        // the screen left behind: every line within 60 columns, the message whole across them
        // eslint-disable-next-line no-control-regex
        const after = out.slice(out.lastIndexOf("\x1b[?1049l")).replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, "").replace(/\r/g, "")
        const lines = after.split("\n")
        for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(60)
        expect(lines.join("\n").replace(/\n  (?=\S)/g, " ")).toContain("does not compile: test/vm/fixtures/bad.vm.ts(4,5): error TS9999: please use ===")
    })
})
