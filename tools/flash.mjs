#!/usr/bin/env node
/**
 * `npm run flash -- --board <id>`: puts the DeviceScript runtime and the poolgc
 * firmware (src/main.ts) on a board, with the CLI's own commands:
 *
 *   1. devs bundle src/main.ts --board <id> --flash-file built/<id>.uf2 (RP2040) or built/<id>-<offset>.bin (ESP32)
 *      the runtime image for the board (downloaded from the DeviceScript
 *      releases, cached 24 h in .devicescript/cache/, patched with
 *      boards/<id>.board.json), the compiled program and its settings, in one file;
 *   2. devs flash rp2040|esp32 --board <id> --file <that file>
 *      RP2040: copied to the RPI-RP2 drive (hold BOOTSEL while plugging in);
 *      ESP32: written with esptool (pip install esptool) at the image's offset.
 *
 * Then `npm run monitor` finds the board by its USB vendor id.
 *
 *   --board <id>     a boards/*.board.json id (poolgc_pico) or its short name (pico)
 *   --dry-run        print the commands, run nothing
 *   --runtime-only   only `devs flash ... --board <id>` (the runtime, no program:
 *                    deploy the program from VS Code or `devs devtools` afterwards)
 *   --port <path>    ESP32: the serial port for esptool (default: the CLI's search)
 *   --entry <file>   the program (default src/main.ts)
 *
 * Every command is printed, exactly as run, before it runs. Exit status: the
 * first failing command's, 2 on bad usage.
 */
import { spawnSync } from "node:child_process"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { loadBoards, ROOT } from "./boards.mjs"

const CLI = "node_modules/@devicescript/cli/devicescript"

/** The image's flash offset per ESP32 architecture (the CLI reads it from the file name). */
export const ESP32_OFFSETS = { esp32: "0x1000", esp32s2: "0x1000", esp32c3: "0x0", esp32s3: "0x0" }

/** @param {string} name @returns {import("./boards.mjs").Board} */
export function findBoard(name, boards = loadBoards()) {
    const b = boards.find(b => b.id === name) ?? boards.find(b => b.id === "poolgc_" + name)
    if (!b) throw new UsageError(`unknown board '${name}'; one of: ${boards.map(b => b.id.replace(/^poolgc_/, "")).join(", ")}`)
    return b
}

export class UsageError extends Error {}

/**
 * The commands, as argument lists for `node`, that `npm run flash` runs.
 * @param {{ board: string, runtimeOnly?: boolean, port?: string, entry?: string }} o
 * @returns {{ argv: string[], what: string }[]}
 */
export function flashPlan(o) {
    const b = findBoard(o.board)
    const family = b.poolgc.flash.family
    const port = family === "esp32" && o.port ? ["--port", o.port] : []
    if (o.port && family !== "esp32") throw new UsageError("--port is for ESP32 boards (RP2040 boards are flashed through their RPI-RP2 drive)")
    const flash = [CLI, "flash", family, "--board", b.id, ...port]
    if (o.runtimeOnly) return [{ argv: flash, what: `flash the DeviceScript runtime for ${b.json.devName}` }]
    const file =
        family === "rp2040"
            ? `built/${b.id}.uf2`
            : `built/${b.id}-${ESP32_OFFSETS[b.json.archId] ?? "0x0"}.bin`
    return [
        { argv: [CLI, "bundle", o.entry ?? "src/main.ts", "--board", b.id, "--flash-file", file], what: `bundle the runtime and ${o.entry ?? "src/main.ts"} for ${b.json.devName}` },
        { argv: [...flash, "--file", file], what: `flash ${file}` },
    ]
}

/** @param {string[]} args */
export function parseArgs(args) {
    const o = { board: "", dryRun: false, runtimeOnly: false, port: undefined, entry: undefined }
    for (let i = 0; i < args.length; i++) {
        const a = args[i]
        const value = () => {
            if (i + 1 >= args.length) throw new UsageError(`${a} needs a value`)
            return args[++i]
        }
        if (a === "--board" || a === "-b") o.board = value()
        else if (a === "--dry-run" || a === "-n") o.dryRun = true
        else if (a === "--runtime-only") o.runtimeOnly = true
        else if (a === "--port") o.port = value()
        else if (a === "--entry") o.entry = value()
        else throw new UsageError(`unknown option ${a}`)
    }
    if (!o.board) throw new UsageError("--board <id> is required")
    return o
}

/** How a command is shown: as typed in a shell from the project root. @param {string[]} argv */
export const shown = argv => "node " + argv.map(a => (/^[\w./:=@-]+$/.test(a) ? a : JSON.stringify(a))).join(" ")

if (process.argv[1] === new URL(import.meta.url).pathname) {
    let o, plan
    try {
        o = parseArgs(process.argv.slice(2))
        plan = flashPlan(o)
    } catch (e) {
        if (!(e instanceof UsageError)) throw e
        console.error(`flash: ${e.message}\nusage: npm run flash -- --board <id> [--dry-run] [--runtime-only] [--port <path>] [--entry <file>]`)
        process.exit(2)
    }
    if (!o.dryRun) mkdirSync(join(ROOT, "built"), { recursive: true })
    for (const step of plan) {
        console.log(`flash: ${step.what}`)
        console.log(`$ ${shown(step.argv)}`)
        if (o.dryRun) continue
        const r = spawnSync(process.execPath, step.argv, { cwd: ROOT, stdio: "inherit" })
        if (r.status !== 0) {
            console.error(`flash: failed (exit ${r.status ?? r.signal})`)
            process.exit(r.status || 1)
        }
    }
    console.log(o.dryRun ? "flash: dry run, nothing was run" : "flash: done; now `npm run monitor`")
}
