/**
 * poolgc as a DeviceScript library, as a consumer project gets it: `npm pack`
 * (what the registry would serve), installed into a fresh project beside
 * @devicescript/cli, with install scripts allowed for poolgc (so a script, if
 * the package had one, would run: npm skips dependencies' scripts unless the
 * project allows them). Then the consumer compiles a program that imports
 * poolgc and runs it with the package's `poolgc-sim`.
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"

const ROOT = join(__dirname, "../..")
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"))
const npm = (args: string[], cwd: string) => spawnSync("npm", args, { cwd, encoding: "utf8", timeout: 300000 })

let dir = ""
let tarball = ""
let packed: string[] = []
beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "poolgc-package-"))
    // --ignore-scripts: `prepare` (the local build) is not part of what is packed
    const r = npm(["pack", "--ignore-scripts", "--json", "--pack-destination", dir], ROOT)
    if (r.status !== 0) throw new Error(`npm pack failed: ${r.stderr}`)
    const info = JSON.parse(r.stdout)[0]
    tarball = join(dir, info.filename)
    packed = info.files.map((f: { path: string }) => f.path).sort()
}, 120000)
afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
})

describe("the npm package", () => {
    test("is publishable, MIT with a LICENSE, and ships the library and the runner, not the demo, the tests or the tools", () => {
        expect(pkg.private).toBeUndefined()
        expect(pkg.license).toBe("MIT")
        expect(readFileSync(join(ROOT, "LICENSE"), "utf8")).toMatch(/^MIT License\n\nCopyright \(c\) 2026 poolgc developers\n/)
        expect(pkg.main).toBe("./src/index.ts")
        expect(pkg.devicescript).toEqual({ library: true })
        expect(pkg.bin).toEqual({ "poolgc-sim": "sim/poolgc-sim.mjs" })
        const library = readdirTs()
        expect(packed).toEqual(
            ["LICENSE", "README.md", "devsconfig.json", "package.json", "sim/lock.mjs", "sim/poolgc-sim.mjs", "sim/runner.mjs", ...library].sort()
        )
        const demo = readdirSync(join(ROOT, "demo"))
        expect(demo).toEqual(expect.arrayContaining(["main.ts", "demo.ts", "game.ts", "board.ts", "boards.ts"]))
        for (const f of demo) expect(packed).not.toContain(`demo/${f}`)
    })

    test("src/ holds the library only (the demo and its board settings are in demo/)", () => {
        expect(readdirSync(join(ROOT, "src")).sort()).toEqual(["index.ts", "platform.ts", "poolgc"])
        expect(readdirSync(join(ROOT, "src/poolgc")).every(f => f.endsWith(".ts"))).toBe(true)
    })

    test("no install-time script: the local build is `prepare`, which npm runs for the project's own install, not for a dependency from the registry or a tarball", () => {
        for (const s of ["preinstall", "install", "postinstall"]) expect(pkg.scripts[s], s).toBeUndefined()
        expect(pkg.scripts.prepare).toBe("devicescript build demo/main.ts --quiet")
    })

    test("a consumer installs the tarball without a nested DeviceScript build, compiles a program that imports poolgc, and runs it with poolgc-sim", () => {
        const consumer = join(dir, "consumer")
        mkdirSync(join(consumer, "src"), { recursive: true })
        writeFileSync(
            join(consumer, "package.json"),
            JSON.stringify({ name: "consumer", version: "1.0.0", private: true, type: "module", allowScripts: { poolgc: true } }, null, 2)
        )
        writeFileSync(join(consumer, "devsconfig.json"), "{}\n")
        writeFileSync(
            join(consumer, "src/main.ts"),
            [
                'import { MemoryError, Pool } from "poolgc"',
                "",
                "const pool = new Pool({ size: 4096 })",
                'pool.setRoot("data", pool.bytes(100))',
                "let caught = false",
                "try {",
                "    pool.bytes(5000)", // more than the 4 KiB pool holds
                "} catch (e) {",
                "    caught = e instanceof MemoryError",
                "}",
                "console.log(`consumer ok: ${pool.stats().used} bytes used, MemoryError caught: ${caught}`)",
                "",
            ].join("\n")
        )
        const cli = `@devicescript/cli@${pkg.devDependencies["@devicescript/cli"]}`
        const install = npm(["install", "--prefer-offline", "--no-audit", "--no-fund", tarball, cli], consumer)
        expect(install.status, install.stdout + install.stderr).toBe(0)
        const installed = join(consumer, "node_modules/poolgc")
        expect(existsSync(join(installed, "src/index.ts"))).toBe(true)
        // what the old postinstall did in a consumer: a DeviceScript build inside the dependency
        expect(existsSync(join(installed, "node_modules"))).toBe(false)
        expect(existsSync(join(installed, ".devicescript"))).toBe(false)

        const devs = join(consumer, "node_modules/@devicescript/cli/devicescript")
        const build = spawnSync(process.execPath, [devs, "--no-colors", "build", "src/main.ts"], { cwd: consumer, encoding: "utf8", timeout: 300000 })
        expect(build.status, build.stdout + build.stderr).toBe(0)
        expect(existsSync(join(consumer, ".devicescript/bin/bytecode.devs"))).toBe(true)

        const sim = join(consumer, "node_modules/.bin/poolgc-sim")
        const bad = spawnSync(sim, ["src/none.ts"], { cwd: consumer, encoding: "utf8" })
        expect(bad.status).toBe(2)
        expect(bad.stderr).toContain("poolgc-sim: src/none.ts: no such file")
        const run = spawnSync(sim, ["src/main.ts", "--until", "^consumer ok", "--timeout", "120"], { cwd: consumer, encoding: "utf8", timeout: 900000 })
        expect(run.status, run.stdout + run.stderr).toBe(0)
        expect(run.stdout).toMatch(/^consumer ok: \d+ bytes used, MemoryError caught: true$/m)
    }, 1200000)
})

/** The library's files: src/index.ts, src/platform.ts and src/poolgc/*.ts. */
function readdirTs() {
    return [
        "src/index.ts",
        "src/platform.ts",
        ...readdirSync(join(ROOT, "src/poolgc"))
            .filter(f => f.endsWith(".ts"))
            .map(f => `src/poolgc/${f}`),
    ]
}
