/**
 * `npm run bench [-- --quick] [-- --json FILE] [-- --vm] [-- --only a,b] [-- --traces a,b] [-- --runs N] [-- --rounds N] [-- --no-vm-compact]`
 *
 * 1. Bundles bench/main.ts (TypeScript, importing poolgc's sources) with
 *    esbuild into bench/.build/main.mjs through the Node seam (host/seam.mjs,
 *    as vitest: src/platform.ts -> host/platform.ts, poolgc's u16 fields as
 *    byte operations, the Buffer methods installed first); npm packages stay
 *    external (imported from node_modules).
 * 2. Compiles bench/as/heap.ts with AssemblyScript's `asc` (--runtime minimal:
 *    TLSF + a two-colour mark-sweep collected on request) into
 *    bench/.build/heap.wasm.
 * 3. For every trace and system, runs `node bench/.build/main.mjs` in a fresh
 *    process (warm-up run + N timed runs), and prints one table; then, where
 *    poolgc ran with and without automatic compaction (the over-committed
 *    trace by default), a before/after table.
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
import { esbuildPlugin } from "../host/seam.mjs"
import { median } from "./median.mjs"

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const OUT = resolve(ROOT, "bench/.build")
const SYSTEMS = ["poolgc-free", "poolgc-gc", "thi.ng-malloc", "codemix-malloc", "as-tlsf", "as-gc"]
const TRACES = ["steady-64k", "steady-32k", "overcommit-32k", "game-32k"]
/**
 * poolgc-free and poolgc-gc run with autoCompact false (MicroPython's
 * behaviour: before compaction); their "-compact" twins with autoCompact true
 * (the pool's default). By default the twins run on the over-committed trace
 * only: the only one with failed allocations, the only place automatic
 * compaction can start. `--only` runs them anywhere.
 */
const COMPACT_TWINS = { "poolgc-free": "poolgc-free-compact", "poolgc-gc": "poolgc-gc-compact" }
const COMPACT_TRACES = ["overcommit-32k"]

/**
 * Every poolgc allocation is zero-filled (MicroPython's gc_alloc clears too;
 * DeviceScript's Buffer.alloc zeroes); the malloc peers hand out memory as it
 * was. Their "-zero" twins zero the requested bytes after each allocation
 * (calloc; @thi.ng's own `calloc`, `memory.fill` inside the WASM for TLSF),
 * so poolgc can also be compared with a peer that does the same work. They
 * run on the steady traces and the game (on the over-committed trace the
 * failures, not the fill, set the pace); `--only` runs them anywhere.
 */
const ZERO_TWINS = { "thi.ng-malloc": "thi.ng-malloc-zero", "codemix-malloc": "codemix-malloc-zero", "as-tlsf": "as-tlsf-zero" }
const ZERO_TRACES = ["steady-64k", "steady-32k", "game-32k"]

/** The systems for one trace: each system followed by its compacting or zero-filling twin where that runs. */
function systemsFor(trace, only) {
    if (only) return only
    return SYSTEMS.flatMap(s => {
        const out = [s]
        if (COMPACT_TWINS[s] && COMPACT_TRACES.includes(trace)) out.push(COMPACT_TWINS[s])
        if (ZERO_TWINS[s] && ZERO_TRACES.includes(trace)) out.push(ZERO_TWINS[s])
        return out
    })
}

function parseArgs(argv) {
    const o = { quick: false, json: null, vm: false, only: null, traces: null, runs: 0, rounds: 1, vmCompact: true }
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i]
        if (a === "--quick") o.quick = true
        else if (a === "--json") o.json = argv[++i]
        else if (a === "--vm") o.vm = true
        else if (a === "--only") o.only = argv[++i].split(",")
        else if (a === "--traces") o.traces = argv[++i].split(",")
        else if (a === "--runs") o.runs = Number(argv[++i])
        else if (a === "--rounds") o.rounds = Number(argv[++i])
        else if (a === "--no-vm-compact") o.vmCompact = false
        else throw new Error("unknown option " + a)
    }
    if (!o.runs) o.runs = o.quick ? 3 : 7
    if (!Number.isInteger(o.rounds) || o.rounds < 1) throw new Error("--rounds needs a whole number of at least 1")
    return o
}

/** Bundles `entry` for Node through the seam (host/seam.mjs), as vitest runs the same sources. */
export async function bundle(entry, outfile) {
    await esbuild.build({
        entryPoints: [resolve(ROOT, entry)],
        outfile: resolve(ROOT, outfile),
        bundle: true,
        platform: "node",
        format: "esm",
        target: "node20",
        packages: "external",
        plugins: [esbuildPlugin()],
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

/**
 * One result per trace and system from several rounds: ops/s median = the
 * median of the rounds' medians, min/max over every run; `roundMedians` keeps
 * each round's median (in round order) for the per-round ratios. The other
 * figures (failures, free space, ...) are deterministic: every round's are
 * the same, and a round that differs is an error.
 */
function mergeRounds(rounds) {
    const out = []
    for (const r0 of rounds[0]) {
        const same = rounds.map(round => round.find(r => r.system === r0.system && r.trace === r0.trace)).filter(Boolean)
        for (const r of same)
            if (r.failed !== r0.failed || r.largestFree !== r0.largestFree)
                throw new Error(`${r0.system} on ${r0.trace}: rounds disagree (failed ${r.failed} vs ${r0.failed}, largest free ${r.largestFree} vs ${r0.largestFree})`)
        const meds = same.map(r => r.opsPerSec.median)
        out.push({
            ...r0,
            opsPerSec: { median: median(meds), min: Math.min(...same.map(r => r.opsPerSec.min)), max: Math.max(...same.map(r => r.opsPerSec.max)) },
            roundMedians: meds,
        })
    }
    return out
}

/** For each trace: poolgc-free's median over each system's in the same round, lowest and highest of the rounds. */
function printRoundRatios(results) {
    const lines = ["| trace | system | poolgc-free / this, each round | lowest | highest |", "| --- | --- | --- | ---: | ---: |"]
    for (const r of results) {
        const ref = results.find(x => x.trace === r.trace && x.system === "poolgc-free")
        if (!ref || r === ref) continue
        const ratios = r.roundMedians.map((m, k) => ref.roundMedians[k] / m)
        lines.push(`| ${r.trace} | ${r.system} | ${ratios.map(x => x.toFixed(2)).join(" ")} | ${Math.min(...ratios).toFixed(2)} | ${Math.max(...ratios).toFixed(2)} |`)
    }
    return lines.join("\n")
}

/**
 * Before/after compaction: each poolgc system (autoCompact false) beside its
 * "-compact" twin (autoCompact true), same trace, same run of the benchmark.
 */
function printCompaction(results) {
    const lines = []
    lines.push(
        "| trace | system | autoCompact | failed allocs | of which fragmentation alone | of which no handle | compactions | collections | ops/s median | min | max | ops/s after / before | failed after / before |",
    )
    lines.push("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for (const [before, after] of Object.entries(COMPACT_TWINS)) {
        for (const a of results.filter(r => r.system === after)) {
            const b = results.find(r => r.system === before && r.trace === a.trace)
            const row = (r, on, ratios) =>
                `| ${r.trace} | ${r.system} | ${on} | ${r.failed} | ${r.fragFailed} | ${r.handleFailed ?? "-"} | ${r.compactions ?? "-"} | ${r.collections} | ${fmt(r.opsPerSec.median)} | ${fmt(r.opsPerSec.min)} | ${fmt(r.opsPerSec.max)} | ${ratios} |`
            if (b) lines.push(row(b, "false", "1.00 | 1.00"))
            const ops = b ? (a.opsPerSec.median / b.opsPerSec.median).toFixed(2) : "-"
            const failed = b ? (b.failed > 0 ? (a.failed / b.failed).toFixed(2) : a.failed === 0 ? "1.00" : "-") : "-"
            lines.push(row(a, "true", `${ops} | ${failed}`))
        }
    }
    return lines.length > 2 ? lines.join("\n") : null
}

/** bench/serial.ts in its own process: the rows it measured. */
function serialCost() {
    const p = spawnSync(process.execPath, [resolve(OUT, "serial.mjs")], { cwd: ROOT, encoding: "utf8", maxBuffer: 1 << 24 })
    if (p.status !== 0) throw new Error("serial cost failed:\n" + p.stderr)
    return JSON.parse(p.stdout.trim().split("\n").pop())
}

function printSerial(rows) {
    const lines = [
        "| trace | pool | moment | poolgc lines | poolgc bytes | packed bytes | MicroPython lines | MicroPython bytes | poolgc / MicroPython | packed / MicroPython |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for (const r of rows)
        lines.push(
            `| ${r.kind} | ${r.size} | ${r.moment} | ${r.lines} | ${r.bytes} | ${r.packedBytes} | ${r.mpLines} | ${r.mpBytes} | ${(r.bytes / r.mpBytes).toFixed(2)} | ${(r.packedBytes / r.mpBytes).toFixed(2)} |`
        )
    return lines.join("\n")
}

async function main() {
    const o = parseArgs(process.argv.slice(2))
    const t0 = Date.now()
    mkdirSync(OUT, { recursive: true })
    await bundle("bench/main.ts", "bench/.build/main.mjs")
    await bundle("bench/serial.ts", "bench/.build/serial.mjs")
    await compileAs()
    const traces = o.traces || TRACES
    // with --rounds N every system runs N times, the rounds interleaved (system A, B, ...,
    // then A, B, ... again), so a slow minute of a shared machine falls on every system alike
    const rounds = []
    for (let k = 0; k < o.rounds; k++) {
        const round = []
        for (const trace of traces) {
            for (const system of systemsFor(trace, o.only)) {
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
                round.push(r)
                process.stderr.write(`  ${o.rounds > 1 ? `round ${k + 1}/${o.rounds} ` : ""}${trace} ${system}: ${fmt(r.opsPerSec.median)} ops/s\n`)
            }
        }
        rounds.push(round)
    }
    const results = o.rounds > 1 ? mergeRounds(rounds) : rounds[0]
    const m = machine()
    const each = o.rounds > 1 ? `${o.rounds} interleaved rounds of ${o.runs} timed runs (+1 warm-up) each; ops/s: the median of the rounds' medians, min and max over all runs` : `${o.runs} timed runs each (+1 warm-up)`
    console.log(`\nNode: ${m.node}, ${m.nproc} cores, ${m.cpu}; ${each}${o.quick ? ", QUICK traces (20k ops)" : ""}\n`)
    console.log(printNode(results))
    if (o.rounds > 1) console.log("\npoolgc-free / this, per round (lowest - highest of the rounds)\n\n" + printRoundRatios(results))
    const compaction = printCompaction(results)
    if (compaction) console.log("\nCompaction: autoCompact false (before) and true (after), same trace, same run\n\n" + compaction)
    const serial = serialCost()
    console.log("\nSerial cost of a full map dump (memInfo(true); packed: with packedMap) against MicroPython's mem_info(1) for the same map\n\n" + printSerial(serial))
    let vm = null
    if (o.vm) {
        const { runVm } = await import("./vm/run.mjs")
        // --traces narrows the VM runs to those traces' kinds (steady-32k -> steady)
        const kinds = o.traces ? [...new Set(o.traces.map(t => t.replace(/-\d+k$/, "")))] : undefined
        vm = await runVm({ quick: o.quick, kinds, compact: o.vmCompact })
        console.log("\n" + vm.table)
    }
    if (o.json) {
        writeFileSync(resolve(process.cwd(), o.json), JSON.stringify({ machine: m, argv: process.argv.slice(2), node: results, serial, vm: vm && vm.results, vmInfo: vm && vm.info, vmErrors: vm && vm.errors }, null, 2))
        console.log(`\nwrote ${o.json}`)
    }
    console.error(`(${((Date.now() - t0) / 1000).toFixed(1)} s)`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
