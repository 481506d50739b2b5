/**
 * `monitor --sim` end to end: the demo (src/main.ts) runs in the DeviceScript
 * simulator, and the plain output has its whole dumps and its log lines. The
 * simulator run takes the cross-process lock (sim/lock.mjs), so this
 * queues behind other test files' simulator runs.
 */
import { spawn } from "node:child_process"
import { describe, expect, test } from "vitest"
import { parsePayload } from "../monitor/payload.mjs"

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
        expect(lines).toContain("monitor: ended: src/main.ts finished")
    })
})
