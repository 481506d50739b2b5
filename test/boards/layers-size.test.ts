/**
 * The firmware a program of each pool class compiles to: a program that uses
 * ObjectPool or MonitoredPool leaves the layers above out of its bytecode
 * (DeviceScript compiles every method of a class a program uses, and the
 * classes the methods use). Each program is `new X()` and one `memFree()`,
 * built with `devs build` in a copy of the project; the sizes are printed
 * (BENCHMARKS.md, "Pool split", has them).
 */
import { spawnSync } from "node:child_process"
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"

const ROOT = join(__dirname, "../..")
const CLI = join(ROOT, "node_modules/@devicescript/cli/devicescript")

let dir = ""
beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "poolgc-layers-"))
    for (const f of ["package.json", "devsconfig.json", "boards", "src"]) cpSync(join(ROOT, f), join(dir, f), { recursive: true })
    symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"))
})
afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
})

/** Builds a program of `cls`; its bytecode size and the names of the functions compiled into it. */
function build(cls: string): { size: number; functions: Set<string> } {
    const entry = `layer-${cls}.ts`
    writeFileSync(join(dir, entry), `import { ${cls} } from "./src/index"\nconst pool = new ${cls}()\npool.memFree()\n`)
    const r = spawnSync(process.execPath, [CLI, "--no-colors", "build", entry], { cwd: dir, encoding: "utf8", timeout: 240000 })
    expect(r.status, r.stdout + r.stderr).toBe(0)
    const bin = join(dir, ".devicescript/bin")
    const sizes = readFileSync(join(bin, "bytecode-sizes.md"), "utf8")
    const functions = new Set([...sizes.matchAll(/^\s*\d+ \| `([^`]+)`/gm)].map(m => m[1]))
    return { size: statSync(join(bin, "bytecode.devs")).size, functions }
}

describe("firmware of a program of each pool class", () => {
    test("ObjectPool < MonitoredPool < Pool, each without the code of the layers above it", () => {
        const o = build("ObjectPool")
        const m = build("MonitoredPool")
        const p = build("Pool")
        console.log(`bytecode of new X() + memFree(): ObjectPool ${o.size}, MonitoredPool ${m.size}, Pool ${p.size} bytes`)
        // the check (verify.ts's Verifier) only in Pool's; the map writer (memmap.ts's Dump) in MonitoredPool's and Pool's
        expect(p.functions.has("Verifier")).toBe(true)
        expect(m.functions.has("Verifier")).toBe(false)
        expect(o.functions.has("Verifier")).toBe(false)
        expect(p.functions.has("Dump")).toBe(true)
        expect(m.functions.has("Dump")).toBe(true)
        expect(o.functions.has("Dump")).toBe(false)
        // the core and the typed objects in all three
        for (const f of ["alloc", "allocSlow", "head", "bitmap", "push"]) for (const b of [o, m, p]) expect(b.functions.has(f), f).toBe(true)
        expect(o.size).toBeLessThan(m.size)
        expect(m.size).toBeLessThan(p.size)
    }, 600000)
})
