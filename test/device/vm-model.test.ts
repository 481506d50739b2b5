import { describe, expect, test } from "vitest"
import { runTestMode } from "../../sim/runner.mjs"

describe("verify() on the DeviceScript VM", () => {
    test("test/vm/model.vm.ts: random operations with verify() after each, and verifyAsync at 32 KiB, without a VM panic", async () => {
        const r = await runTestMode("test/vm/model.vm.ts", { timeoutMs: 240000 })
        const summary = r.lines.find((l: string) => /^tests: \d+, pass: \d+, error: \d+$/.test(l))
        if (r.code !== 0 || !summary) throw new Error("failed on the VM:\n" + r.stdout.slice(-6000) + r.stderr.slice(-2000))
        expect(summary).toBe("tests: 5, pass: 5, error: 0")
        expect(r.lines.some((l: string) => /^model ops 1000 at 2048, MemoryErrors [1-9]/.test(l))).toBe(true)
        expect(r.lines.some((l: string) => /^verify chunks \d+ for \d+ objects$/.test(l))).toBe(true)
    })
})
