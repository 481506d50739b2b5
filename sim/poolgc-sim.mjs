#!/usr/bin/env node
/**
 * `poolgc-sim <entry.ts> [--until <regex>] [--timeout <seconds>]`: runs a
 * DeviceScript program of the current project (one that depends on poolgc and
 * on @devicescript/cli) in the CLI's simulator in normal mode (no GC stress,
 * as on a board), prints the program's output lines, and
 *
 *   exits 0 when a line matches --until (a JavaScript regular expression),
 *     or, without --until, when --timeout passes (default 60 s) with no failure;
 *   exits 1 on a VM panic, a restart, the CLI exiting (a compile error), or
 *     --timeout passing before --until matched;
 *   exits 2 on bad usage.
 *
 * It is sim/runner.mjs's runSim, run from the current directory: the
 * simulator's Jacdac port 127.0.0.1:8082 must be free, and runs of every
 * project on the machine queue on one lock (sim/lock.mjs).
 */
import { existsSync } from "node:fs"
import { join } from "node:path"

const USAGE = "usage: poolgc-sim <entry.ts> [--until <regex>] [--timeout <seconds>]"

/** @param {string[]} args */
function parseArgs(args) {
    const o = { entry: "", until: /** @type {RegExp | undefined} */ (undefined), timeoutS: 60 }
    for (let i = 0; i < args.length; i++) {
        const a = args[i]
        const value = () => {
            if (i + 1 >= args.length) throw new Error(`${a} needs a value`)
            return args[++i]
        }
        if (a === "--until") {
            const v = value()
            try {
                o.until = new RegExp(v)
            } catch (e) {
                throw new Error(`--until ${v}: not a regular expression (${e instanceof Error ? e.message : e})`)
            }
        } else if (a === "--timeout") {
            const v = value()
            const n = Number(v)
            if (!(n > 0)) throw new Error(`--timeout ${v}: a number of seconds above 0`)
            o.timeoutS = n
        } else if (a.startsWith("-")) throw new Error(`unknown option ${a}`)
        else if (o.entry) throw new Error(`one entry file, not ${o.entry} and ${a}`)
        else o.entry = a
    }
    if (!o.entry) throw new Error("an entry file is required")
    return o
}

let o
try {
    o = parseArgs(process.argv.slice(2))
    if (!existsSync(o.entry)) throw new Error(`${o.entry}: no such file`)
    if (!existsSync("node_modules/@devicescript/cli/devicescript"))
        throw new Error("no node_modules/@devicescript/cli here: run it from your project's root, with @devicescript/cli installed")
} catch (e) {
    console.error(`poolgc-sim: ${e instanceof Error ? e.message : e}\n${USAGE}`)
    process.exit(2)
}
process.env.POOLGC_PROJECT_ROOT = process.cwd()
const { runSim } = await import("./runner.mjs")
try {
    await runSim(join(process.cwd(), o.entry), { until: o.until, timeoutMs: o.timeoutS * 1000, onLine: line => console.log(line) })
    process.exit(0)
} catch (e) {
    if (!o.until && e.reason === "timeout") {
        console.error(`poolgc-sim: ran ${o.timeoutS} s without a failure`)
        process.exit(0)
    }
    console.error(`poolgc-sim: the simulator run failed (${e.reason || "error"}): ${e.message}`)
    process.exit(1)
}
