/**
 * `npm run bench [-- --quick] [-- --json FILE] [-- --vm] [-- --only a,b] [-- --traces a,b]`
 *
 * 1. Bundles bench/main.ts (TypeScript, importing poolgc's sources) with
 *    esbuild into bench/.build/main.mjs, mapping `./platform` / `../platform`
 *    to host/platform.ts exactly as vitest.config.ts does; npm packages stay
 *    external (imported from node_modules).
 * 2. Compiles bench/as/heap.ts with AssemblyScript's `asc` (--runtime minimal:
 *    TLSF + a two-colour mark-sweep collected on request) into
 *    bench/.build/heap.wasm.
 * 3. For every trace and system, runs `node bench/.build/main.mjs` in a fresh
 *    process (warm-up run + N timed runs), and prints one table.
 * 4. With --vm, also runs bench/vm/bench.vm.ts in the DeviceScript simulator in
 *    normal mode (sim/runner.mjs runSim; never test mode) and prints its table.
 *
 * Benchmarks print figures; they are not tests and never run under `npm test`.
 */
import { execFileSync, spawnSync } from "node:child_process"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import os from "node:os"
import { dirname, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import * as esbuild from "esbuild"

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const OUT = resolve(ROOT, "bench/.build")
const SYSTEMS = ["poolgc-free", "poolgc-gc", "thi.ng-malloc", "codemix-malloc", "as-tlsf", "as-gc"]
const TRACES = ["steady-64k", "steady-32k", "overcommit-32k", "game-32k"]

function parseArgs(argv) {
    const o = { quick: false, json: null, vm: false, only: null, traces: null, runs: 0 }
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i]
        if (a === "--quick") o.quick = true
        else if (a === "--json") o.json = argv[++i]
        else if (a === "--vm") o.vm = true
        else if (a === "--only") o.only = argv[++i].split(",")
        else if (a === "--traces") o.traces = argv[++i].split(",")
        else if (a === "--runs") o.runs = Number(argv[++i])
        else throw new Error("unknown option " + a)
    }
    if (!o.runs) o.runs = o.quick ? 3 : 7
    return o
}

/** The same alias vitest.config.ts sets: the device seam becomes the Node seam. */
const platformAlias = seam => ({
    name: "platform-alias",
    setup(build) {
        build.onResolve({ filter: /^\.{1,2}\/platform$/ }, () => ({ path: resolve(ROOT, seam) }))
    },
})

export async function bundle(entry, outfile, seam = "host/platform.ts") {
    await esbuild.build({
        entryPoints: [resolve(ROOT, entry)],
        outfile: resolve(ROOT, outfile),
        bundle: true,
        platform: "node",
        format: "esm",
        target: "node20",
        packages: "external",
        plugins: [platformAlias(seam)],
        logLevel: "error",
    })
}

async function compileAs() {
    const asc = await import("assemblyscript/asc")
    const { error, stderr } = await asc.main(
        ["bench/as/heap.ts", "--runtime", "minimal", "--importMemory", "-O3", "--noAssert", "--outFile", "bench/.build/heap.wasm"],
        {},
    )
    if (error) throw new Error("asc failed: " + stderr.toString())
}

export function machine() {
    const cpu = (readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/) || [])[1] || os.cpus()[0].model
    return { nproc: Number(execFileSync("nproc").toString().trim()), cpu, node: process.version, platform: `${os.platform()} ${os.release()}` }
}

const fmt = n => (n >= 1e6 ? (n / 1e6).toFixed(2) + "M" : n >= 1e3 ? (n / 1e3).toFixed(0) + "k" : n.toFixed(0))

function printNode(results) {
    const byTrace = new Map()
    for (const r of results) {
        if (!byTrace.has(r.trace)) byTrace.set(r.trace, [])
        byTrace.get(r.trace).push(r)
    }
    const lines = []
    lines.push(
        "| trace | system | ops/s median | min | max | poolgc-free / this | failed allocs | frag. failures | largest free at end | free at end | fixed meta | per-object header | collections |",
    )
    lines.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
    for (const [trace, rs] of byTrace) {
        const ref = rs.find(r => r.system === "poolgc-free")
        for (const r of rs) {
            const ratio = ref ? (ref.opsPerSec.median / r.opsPerSec.median).toFixed(2) : "-"
            lines.push(
                `| ${trace} | ${r.system} | ${fmt(r.opsPerSec.median)} | ${fmt(r.opsPerSec.min)} | ${fmt(r.opsPerSec.max)} | ${ratio} | ${r.failed} | ${r.fragFailed} | ${r.largestFree} | ${r.freeTotal} | ${r.meta} | ${r.header} | ${r.collections} |`,
            )
        }
    }
    return lines.join("\n")
}

async function main() {
    const o = parseArgs(process.argv.slice(2))
    const t0 = Date.now()
    mkdirSync(OUT, { recursive: true })
    await bundle("bench/main.ts", "bench/.build/main.mjs")
    await compileAs()
    const systems = o.only || SYSTEMS
    const traces = o.traces || TRACES
    const results = []
    for (const trace of traces) {
        for (const system of systems) {
            const p = spawnSync(
                process.execPath,
                [resolve(OUT, "main.mjs"), system, trace, String(o.runs), o.quick ? "1" : "0", resolve(OUT, "heap.wasm")],
                { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 24 },
            )
            if (p.status !== 0) {
                console.error(`${system} on ${trace} failed:\n${p.stderr}`)
                process.exitCode = 1
                continue
            }
            const r = JSON.parse(p.stdout.trim().split("\n").pop())
            results.push(r)
            process.stderr.write(`  ${trace} ${system}: ${fmt(r.opsPerSec.median)} ops/s\n`)
        }
    }
    const m = machine()
    console.log(`\nNode: ${m.node}, ${m.nproc} cores, ${m.cpu}; ${o.runs} timed runs each (+1 warm-up)${o.quick ? ", QUICK traces (20k ops)" : ""}\n`)
    console.log(printNode(results))
    let vm = null
    if (o.vm) {
        const { runVm } = await import("./vm/run.mjs")
        vm = await runVm({ quick: o.quick })
        console.log("\n" + vm.table)
    }
    if (o.json) {
        writeFileSync(resolve(process.cwd(), o.json), JSON.stringify({ machine: m, argv: process.argv.slice(2), node: results, vm: vm && vm.results }, null, 2))
        console.log(`\nwrote ${o.json}`)
    }
    console.error(`(${((Date.now() - t0) / 1000).toFixed(1)} s)`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
