/**
 * The Node seam is one mechanism (host/seam.mjs): vitest's plugin and the
 * bench's esbuild plugin redirect the same imports, hand their compilers the
 * same transformed source for every poolgc module, install the Buffer methods
 * before device code runs, and a program built by each prints the same lines.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import * as esbuild from "esbuild"
import { afterAll, describe, expect, test } from "vitest"
import { bundle } from "../../bench/bench.mjs"
import { esbuildPlugin, NODE_PLATFORM, resolveSeam, ROOT, SETUP, vitestPlugin } from "../../host/seam.mjs"
import { inlineU16 } from "../../host/inline-u16.mjs"
import { seamProbe } from "../fixtures/seam-probe"

const dir = mkdtempSync(join(tmpdir(), "poolgc-seam-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The esbuild plugin's callbacks, registered on a stand-in build object. */
function esbuildHooks() {
    const resolvers: { filter: RegExp; fn: (a: any) => any }[] = []
    const loaders: { filter: RegExp; fn: (a: any) => any }[] = []
    const initialOptions: any = {}
    esbuildPlugin().setup({
        initialOptions,
        onResolve: (o: { filter: RegExp }, fn: (a: any) => any) => resolvers.push({ filter: o.filter, fn }),
        onLoad: (o: { filter: RegExp }, fn: (a: any) => any) => loaders.push({ filter: o.filter, fn }),
    } as any)
    return {
        initialOptions,
        resolve(path: string, importer: string): string | null {
            for (const r of resolvers) if (r.filter.test(path)) return r.fn({ path, importer })?.path ?? null
            return null
        },
        load(path: string): string | null {
            for (const l of loaders) if (l.filter.test(path)) return l.fn({ path }).contents
            return null
        },
    }
}

const vite = vitestPlugin()
const eb = esbuildHooks()
const poolgcFiles = readdirSync(join(ROOT, "src/poolgc")).filter(f => f.endsWith(".ts"))

describe("one seam, two adapters", () => {
    test("both send every import of src/platform.ts, and only those, to host/platform.ts", () => {
        const cases: [string, string, string | null][] = [
            ["../platform", "src/poolgc/pool.ts", NODE_PLATFORM],
            ["../platform", "src/poolgc/meter.ts", NODE_PLATFORM],
            ["./platform", "src/index.ts", NODE_PLATFORM],
            ["../src/platform", "demo/demo.ts", NODE_PLATFORM],
            ["../../src/platform", "test/vm/seam.vm.ts", NODE_PLATFORM],
            ["./platform", "test/x.ts", null], // some other platform module
            ["../platform", "src/index.ts", null],
            ["./layout", "src/poolgc/pool.ts", null],
        ]
        for (const [spec, from, want] of cases) {
            const importer = resolve(ROOT, from)
            expect(resolveSeam(spec, importer), `${spec} from ${from}`).toBe(want)
            expect((vite.resolveId as any)(spec, importer) ?? null, `vitest: ${spec} from ${from}`).toBe(want)
            expect(eb.resolve(spec, importer), `esbuild: ${spec} from ${from}`).toBe(want)
        }
    })

    for (const f of poolgcFiles) {
        test(`src/poolgc/${f}: the same transformed source through both`, () => {
            const path = join(ROOT, "src/poolgc", f)
            const src = readFileSync(path, "utf8")
            const viaVitest = (vite.transform as any)(src, path)
            const viaBench = eb.load(path)
            expect(viaBench).toBe(viaVitest.code)
            expect(viaBench).toBe(inlineU16(src).code)
            if (inlineU16(src).rewritten > 0) expect(viaBench).not.toBe(src)
        })
    }

    test("other sources go through both untouched", () => {
        for (const f of ["src/index.ts", "src/platform.ts", "host/platform.ts", "bench/main.ts"]) {
            const path = join(ROOT, f)
            expect((vite.transform as any)("x", path), f).toBeNull()
            expect(eb.load(path), f).toBeNull()
        }
    })

    test("both run the Buffer setup first: a vitest setup file, an esbuild inject", () => {
        expect((vite.config as any)().test.setupFiles).toEqual([SETUP])
        expect(eb.initialOptions.inject).toEqual([SETUP])
    })

    test("importing host/platform.ts leaves Buffer alone; installBufferMethods() installs the shim", () => {
        const out = join(dir, "platform-only.mjs")
        esbuild.buildSync({ entryPoints: [NODE_PLATFORM], outfile: out, bundle: true, format: "esm", platform: "node", logLevel: "error" })
        const check = `const m = await import(${JSON.stringify(out)}); const before = typeof Buffer.prototype.getAt; m.installBufferMethods(); const b = Buffer.alloc(4); b.setAt(0, "u16", 0x1234); console.log(before, typeof Buffer.prototype.getAt, b.getAt(0, "u16"))`
        expect(execFileSync(process.execPath, ["--input-type=module", "-e", check], { encoding: "utf8" }).trim()).toBe("undefined function 4660")
    })

    test("a program bundled by the bench's path prints what the same program prints under vitest", async () => {
        const entry = join(dir, "probe-main.ts")
        writeFileSync(entry, `import { seamProbe } from ${JSON.stringify(join(ROOT, "test/fixtures/seam-probe"))}\nfor (const l of await seamProbe()) console.log(l)\n`)
        const out = join(dir, "probe.mjs")
        await bundle(entry, out)
        const meta = await esbuild.build({ entryPoints: [entry], bundle: true, write: false, metafile: true, format: "esm", platform: "node", packages: "external", plugins: [esbuildPlugin()], logLevel: "error" })
        const inputs = Object.keys(meta.metafile!.inputs)
        expect(inputs).toContain("host/platform.ts")
        expect(inputs).toContain("host/setup.ts")
        expect(inputs).not.toContain("src/platform.ts")

        const bench = execFileSync(process.execPath, [out], { encoding: "utf8", cwd: ROOT }).trimEnd().split("\n")
        const here = await seamProbe()
        expect(here.length).toBeGreaterThan(10)
        expect(here[here.length - 1]).toBe("alloc u16 calls: none")
        expect(bench).toEqual(here)
    })
})
