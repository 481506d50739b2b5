#!/usr/bin/env node
/**
 * Measures how many VM operations a poolgc operation takes in one slice, by
 * binary search: the probe program burns K iterations of an empty loop, then
 * runs the operation; the largest K that does not trip the VM's step limit
 * (128K ops) tells how much of the slice the operation used.
 *
 *   node tools/step-probe.mjs [--size BYTES] [probe ...]     (default: every probe, at 32 KiB)
 *
 * Prints, per probe, the ops used (±1 loop iteration) and the headroom left.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { runTestMode } from "../sim/runner.mjs"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const dir = join(root, "test-artifacts", "probes")
mkdirSync(dir, { recursive: true })
const STEPS = 128 * 1024
const args = process.argv.slice(2)
const sizeAt = args.indexOf("--size")
/** The pool size the probes build (prepare()'s default, the largest pool, if not given). */
const SIZE = sizeAt >= 0 ? Number(args.splice(sizeAt, 2)[1]) : 0
if (sizeAt >= 0 && !(SIZE >= 1024 && SIZE <= 32768 && SIZE % 64 === 0)) throw new Error("--size must be a pool size: a multiple of 64 from 1024 to 32768")

function entry(name, k) {
    const probes = relative(dir, join(root, "test", "vm", "probes")).replace(/\\/g, "/")
    return `import * as ds from "@devicescript/core"
import { prepare } from "${probes}"
const op = await prepare("${name}", async () => { await ds.sleep(0) }${SIZE ? ", " + SIZE : ""})
console.log("probe ready")
await ds.sleep(0)
let i = 0
while (i < ${k}) i++
op()
console.log("probe ok")
ds.restart()
`
}

async function fits(name, k) {
    const file = join(dir, `probe-${name}.ts`)
    writeFileSync(file, entry(name, k))
    const r = await runTestMode(file, { timeoutMs: 300000 })
    if (!r.lines.includes("probe ready")) throw new Error(`probe ${name} failed while building its heap:\n${r.stdout.slice(-2000)}`)
    return r.lines.includes("probe ok")
}

async function maxBurn(name) {
    let lo = 0
    let hi = 15000
    if (!(await fits(name, 0))) return -1
    while (hi - lo > 8) {
        const mid = (lo + hi) >> 1
        if (await fits(name, mid)) lo = mid
        else hi = mid
    }
    return lo
}

// the probe names, read from the shared TypeScript module (Node cannot import it)
const src = readFileSync(join(root, "test", "vm", "probes.ts"), "utf8")
const PROBES = [...src.match(/PROBES = \[([^\]]*)\]/)[1].matchAll(/"([^"]+)"/g)].map(m => m[1])
const names = args.length ? args : PROBES
const base = await maxBurn("empty")
// ops per burn iteration: the empty probe's burn fills the slice
const perIter = STEPS / base
console.log(`calibration: ${base} empty-loop iterations fill a slice (${perIter.toFixed(2)} ops each)${SIZE ? `; pools of ${SIZE} bytes` : ""}`)
for (const name of names) {
    if (name === "empty") continue
    const k = await maxBurn(name)
    if (k < 0) {
        console.log(`${name}: does not fit in one slice even with no burn`)
        continue
    }
    const ops = Math.round((base - k) * perIter)
    console.log(`${name}: ~${ops} ops (${((100 * ops) / STEPS).toFixed(1)}% of a slice)`)
}
