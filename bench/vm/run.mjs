/**
 * Runs bench/vm/core.ts's runVmBench, one small generated program per run
 * (bench/.build/vm-*.ts), in the DeviceScript simulator in NORMAL mode
 * (sim/runner.mjs runSim), never test mode, and turns its `BENCH ...` lines
 * into a table.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { runSim, PROJECT_ROOT } from "../../sim/runner.mjs"

/**
 * One program run per (trace, pool size, mode): explicit release ("free"),
 * the collector ("gc"), and the compaction variants: the VM heap holds one
 * 32 KiB pool at a time. `kinds`: the trace kinds to run (default
 * all); `compact`: also run the over-committed trace's collector with
 * autoCompact on ("compact"), and with autoCompact on and compactAsync() after
 * each fragmentation failure ("compactAsync"): see bench/vm/core.ts.
 */
export async function runVm({ quick, kinds, compact = true }) {
    const ops = quick ? 400 : 3000
    const sample = quick ? 20 : 10
    mkdirSync(PROJECT_ROOT + "/bench/.build", { recursive: true })
    const lines = []
    const errors = []
    const runs = []
    for (const kind of kinds || ["steady", "overcommit", "game"])
        for (const size of [16384, 32768]) {
            for (const variant of ["free", "gc"]) runs.push({ kind, size, variant })
            if (compact && kind === "overcommit") for (const variant of ["compact", "compactAsync"]) runs.push({ kind, size, variant })
        }
    for (const { kind, size, variant } of runs) {
        const c = variant === "free" || variant === "gc" ? " " + variant : "+" + variant
        const entry = `bench/.build/vm-${kind}-${size}-${variant}.ts`
        writeFileSync(
            PROJECT_ROOT + "/" + entry,
            `import { runVmBench } from "../vm/core"\n\nawait runVmBench("${kind}", ${size}, ${ops}, ${sample}, "${variant}")\n`,
        )
        let res
        try {
            res = await runSim(entry, { until: /BENCH-DONE/, timeoutMs: quick ? 120000 : 900000 })
        } catch (e) {
            // report the failure in the table and go on with the next run
            errors.push(`${kind}${c} ${size}: ${e.reason} ${e.panicCode || ""} ${(e.lines || []).filter(l => /Exception| at /.test(l)).slice(0, 3).join(" | ")}`)
            res = e
        }
        for (const l of res.lines || []) if (l.replace(/^WASM> /, "").startsWith("BENCH ")) lines.push(l.replace(/^WASM> /, ""))
        process.stderr.write(`  vm ${kind}${c} ${size} done\n`)
    }
    const results = []
    let baseline = null
    const info = {}
    for (const l of lines) {
        let m = l.match(/^BENCH baseline suspension_ms=(\S+)/)
        if (m) baseline = Number(m[1])
        m = l.match(/^BENCH (\S+) (\d+) (\S+) n=(\d+) median=(\S+) worst=(\S+) mean=(\S+)/)
        if (m) results.push({ trace: m[1], size: Number(m[2]), what: m[3], n: Number(m[4]), medianUs: Number(m[5]), worstUs: Number(m[6]), meanUs: Number(m[7]) })
        m = l.match(/^BENCH (\S+) (\d+) info-\S+ (.*)/)
        if (m) info[m[1] + " " + m[2]] = (info[m[1] + " " + m[2]] ? info[m[1] + " " + m[2]] + "; " : "") + m[3]
    }
    const rows = ["| trace | pool | alloc µs median / worst / mean | release µs median / worst / mean | Buffer.alloc µs median / worst / mean | alloc ÷ Buffer.alloc (means) | full collection µs median / worst | failures (free; gc) |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    const keys = [...new Set(results.map(r => r.trace + " " + r.size))]
    for (const k of keys) {
        const get = w => results.find(r => r.trace + " " + r.size === k && r.what === w)
        const a = get("alloc"), f = get("release"), b = get("Buffer.alloc"), c = get("collect")
        const ratio = b && b.meanUs > 0 ? (a.meanUs / b.meanUs).toFixed(1) : "n/a"
        const [trace, size] = k.split(" ")
        const t3 = x => (x ? `${x.medianUs} / ${x.worstUs} / ${x.meanUs}` : "-")
        rows.push(`| ${trace} | ${size} | ${t3(a)} | ${t3(f)} | ${t3(b)} | ${ratio} | ${c ? c.medianUs + " / " + c.worstUs : "-"} | ${info[k] || ""} |`)
    }
    let table = `DeviceScript simulator (normal mode), empty suspension ${baseline} ms (subtracted)\n\n` + rows.join("\n")
    if (errors.length) table += "\n\nVM runs that failed:\n" + errors.map(e => "- " + e).join("\n")
    return { results, info, baseline, errors, table }
}
