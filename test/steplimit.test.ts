import { readFileSync } from "node:fs"
import { describe, expect, test } from "vitest"
import { runTestMode } from "../sim/runner.mjs"

const names = [...readFileSync("test/vm/probes.ts", "utf8").match(/PROBES = \[([^\]]*)\]/)![1].matchAll(/"([^"]+)"/g)].map(m => m[1])

describe("the VM's step limit", () => {
    test("every worst-case operation at 32 KiB fits in its share of a slice: half, 60 % for a failing allocation (no InfiniteLoop or StackOverflow panic)", async () => {
        const r = await runTestMode("test/vm/steplimit.vm.ts", { timeoutMs: 600000 })
        const fitted = r.lines.filter((l: string) => l.startsWith("fits ")).map((l: string) => l.slice(5))
        const last = r.lines.filter((l: string) => l.startsWith("probing ")).pop()
        if (r.code !== 0) throw new Error("VM run failed at '" + last + "':\n" + r.stdout.slice(-3000))
        expect(fitted).toEqual(names)
        expect(r.lines).toContain("steplimit done")
    })
})
