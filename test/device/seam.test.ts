/**
 * The platform seam check: host/platform.ts must give Node's Buffer exactly the
 * VM's getAt/setAt/fillAt/blitAt. The cases in test/vm/seam-cases.ts run here (with
 * the shim) and on the real VM (test/vm/seam.vm.ts, test mode), and the printed
 * lines must be identical.
 */
import { drainSlice, nextSlice, now } from "../../host/platform"
import { describe, expect, test } from "vitest"
import { runTestMode } from "../../sim/runner.mjs"
import { runSeamCases, runSliceCases } from "../vm/seam-cases"

/** The case lines of a VM run: after the runtime's `start:` banner, before `seam done`. */
function caseLines(lines: string[]): string[] {
    const start = lines.findIndex(l => l.startsWith("start: "))
    const end = lines.indexOf("seam done")
    return lines.slice(start + 1, end < 0 ? lines.length : end)
}

/** First differing lines, side by side, so a failure reads at a glance. */
function diff(node: string[], vm: string[]): string {
    const out: string[] = []
    const n = Math.max(node.length, vm.length)
    for (let i = 0; i < n && out.length < 40; i++) {
        if (node[i] !== vm[i]) out.push(`#${i}\n  node: ${node[i] ?? "<missing>"}\n  vm:   ${vm[i] ?? "<missing>"}`)
    }
    return out.length ? `${out.length}+ differing lines (node ${node.length}, vm ${vm.length}):\n${out.join("\n")}` : ""
}

describe("platform seam", () => {
    test("host/platform.ts matches the DeviceScript VM line for line", async () => {
        const nodeLines: string[] = []
        runSeamCases(line => nodeLines.push(line))
        await runSliceCases(line => nodeLines.push(line), { now, nextSlice, drainSlice })
        expect(nodeLines.filter(l => l.startsWith("slice: ") && !l.endsWith(": true"))).toEqual([])

        const run = await runTestMode("test/vm/seam.vm.ts", { timeoutMs: 120000 })
        const vmLines = caseLines(run.lines)

        const tail = `\n--- VM stdout (end) ---\n${run.stdout.slice(-2000)}\n--- stderr ---\n${run.stderr.slice(-1000)}`
        expect(run.lines, "the VM run did not finish" + tail).toContain("seam done")
        expect(diff(nodeLines, vmLines)).toBe("")
        expect(nodeLines.length).toBeGreaterThan(600)
        expect(run.code, tail).toBe(0)
    })

    test("where the VM touches foreign bytes or memcpy is undefined, the shim throws", () => {
        const b = Buffer.alloc(16)
        expect(() => b.getAt(-1, "u8")).toThrow(RangeError)
        expect(() => b.getAt(-2, "u32")).toThrow(RangeError)
        expect(() => b.getAt(4294967295, "u16")).toThrow(RangeError)
        expect(() => b.setAt(-1, "u8", 1)).toThrow(RangeError)
        expect(() => b.setAt(-8, "f64", 1)).toThrow(RangeError)
        // just outside that window the VM's check works again: undefined / RangeError as usual
        expect(b.getAt(-5, "u32")).toBeUndefined()
        expect(() => b.setAt(-9, "f64", 1)).toThrow("buffer store out of range")
        expect(b.toString("hex")).toBe("00".repeat(16))

        // blitAt within one memory towards a higher offset, overlapping: VM memcpy, undefined
        const p = Buffer.from("000102030405060708090a0b0c0d0e0f", "hex")
        expect(() => p.blitAt(2, p, 0, 8)).toThrow(RangeError)
        expect(() => p.subarray(4).blitAt(0, p, 2, 4)).toThrow(RangeError) // views share memory
        expect(p.toString("hex")).toBe("000102030405060708090a0b0c0d0e0f")
        p.blitAt(8, p, 0, 8) // touching, not overlapping
        p.blitAt(0, p, 1, 4) // overlapping towards a lower offset: forward copy = memmove
        expect(p.toString("hex")).toBe("01020304040506070001020304050607")
    })
})
