import { describe, expect, test, vi } from "vitest"
import { runTestMode } from "../../sim/runner.mjs"
import { SEEDS, STEPS } from "../vm/differential-config"
import { runSequence } from "../vm/sequence"
import { checkPool } from "../support/check"

// The one clock difference: on the VM a synchronous collection always measures 0 ms
// (its clock only moves across a suspension); Node's clock is made to agree.
vi.mock(import("../../host/platform"), async importOriginal => ({ ...(await importOriginal()), now: () => 0 }))

describe("Node and the DeviceScript VM agree", () => {
    test("the same seeded operations give byte-identical pools and identical maps", async () => {
        const node: string[] = []
        for (const seed of SEEDS) {
            const pool = await runSequence(seed, STEPS, line => node.push("diff " + seed + " " + line), async () => {})
            checkPool(pool)
        }
        const vm = await runTestMode("test/vm/differential.vm.ts", { timeoutMs: 240000 })
        if (vm.code !== 0 || !vm.lines.includes("differential done")) throw new Error("VM run failed:\n" + vm.stdout.slice(-4000))
        // and the other: an asynchronous collection's time is wall-clock time across its slices,
        // on the VM too, so the times (and the dump checksums over them) are not compared
        const untimed = (l: string) => l.replace(/(gc time|pause): \d+ ms/g, "$1: ? ms").replace(/ crc=[0-9a-f]+$/, " crc=?")
        const vmLines = vm.lines.filter((l: string) => l.startsWith("diff ")).map(untimed)
        for (let i = 0; i < node.length; i++) node[i] = untimed(node[i])
        // the sequences must exercise what they claim to
        const text = node.join("\n")
        expect(text).toMatch(/MemoryError/)
        expect(text).toMatch(/HandleError|ArgumentError/)
        expect(node.filter(l => / end lines=/.test(l)).length).toBeGreaterThan(SEEDS.length * 5)
        expect(text).toMatch(/ [0-9a-f]{5}: \S*[A-Za-z.=?][0-9]/) // packed rows (packedMap)
        // first difference, with context, before the counts
        for (let i = 0; i < Math.min(node.length, vmLines.length); i++)
            if (vmLines[i] !== node[i]) expect(vmLines.slice(Math.max(0, i - 3), i + 3), "from line " + i).toEqual(node.slice(Math.max(0, i - 3), i + 3))
        expect(vmLines.length).toBe(node.length)
    })
})
