#!/usr/bin/env node
/**
 * `npm run flash -- --board <id>`: puts the DeviceScript runtime and the poolgc
 * firmware (demo/main.ts) on a board, with the CLI's own commands:
 *
 *   1. devs bundle demo/main.ts --board <id> --flash-file built/<id>.uf2 (RP2040) or built/<id>-<offset>.bin (ESP32)
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
 *   --entry <file>   the program (default demo/main.ts)
 *   --image <file>   the runtime image, downloaded beforehand (offline): copied
 *                    into the CLI's cache under the name the CLI looks for
 *
 * Every command is printed, exactly as run, before it runs. Exit status: the
 * first failing command's, 2 on bad usage. When a command fails because the
 * runtime image cannot be downloaded, or because the CLI's local ports are
 * taken (its exit 100), this says so and how to go on (offlineHelp, portsHelp).
 */
import { spawn } from "node:child_process"
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readSync, statSync, utimesSync } from "node:fs"
import { join, resolve } from "node:path"
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
 * The runtime image `devs bundle` and `devs flash` download for each of our
 * boards' architectures (the CLI's arch table, `bareUrl`: a board file of
 * our own has no image of its own, so the CLI takes its chip's and patches
 * the board file into it). test/boards/flash.test.ts checks these against the CLI.
 */
export const RUNTIME_IMAGES = {
    rp2040: "https://github.com/microsoft/devicescript-pico/releases/latest/download/devicescript-rp2040-pico.uf2",
    rp2040w: "https://github.com/microsoft/devicescript-pico/releases/latest/download/devicescript-rp2040w-pico_w.uf2",
    esp32: "https://github.com/microsoft/devicescript-esp32/releases/latest/download/devicescript-esp32-esp32_bare-0x1000.bin",
    esp32c3: "https://github.com/microsoft/devicescript-esp32/releases/latest/download/devicescript-esp32c3-esp32c3_bare-0x0.bin",
    esp32s2: "https://github.com/microsoft/devicescript-esp32/releases/latest/download/devicescript-esp32s2-esp32s2_bare-0x1000.bin",
    esp32s3: "https://github.com/microsoft/devicescript-esp32/releases/latest/download/devicescript-esp32s3-esp32s3_bare-0x0.bin",
}

/** Where the CLI keeps downloaded images, relative to the project it runs in. */
export const CACHE_DIR = ".devicescript/cache"

/** The exit status of the CLI when its devtools ports are taken (EXIT_CODE_EADDRINUSE). */
export const EXIT_PORTS_BUSY = 100

/** The runtime image a board needs: its URL and where the CLI caches it. @param {import("./boards.mjs").Board} b */
export function runtimeImage(b) {
    const url = RUNTIME_IMAGES[b.json.archId]
    if (!url) throw new UsageError(`no runtime image known for architecture ${b.json.archId} (${b.id})`)
    const name = url.replace(/.*\//, "")
    return { url, name, cachePath: `${CACHE_DIR}/${name}` }
}

/**
 * What to tell the user when the runtime image could not be downloaded.
 * @param {import("./boards.mjs").Board} b @param {string} cause what the CLI said
 */
export function offlineHelp(b, cause) {
    const img = runtimeImage(b)
    const family = b.poolgc.flash.family
    return [
        `flash: the DeviceScript runtime image could not be downloaded (${cause}).`,
        `  What is missing: ${img.name}, DeviceScript's runtime (the VM that runs the program) for ${b.json.archId},`,
        `  which the CLI patches with boards/${b.id}.board.json and merges with the compiled program.`,
        `  Where it comes from: DeviceScript's GitHub releases,`,
        `    ${img.url}`,
        `  How to supply it (download it on a machine with network first):`,
        `    npm run flash -- --board ${b.id.replace(/^poolgc_/, "")} --image <downloaded ${img.name}>`,
        `      copies it to ${img.cachePath} and flashes as usual. The CLI uses a cached image only while`,
        `      its modification time is less than 24 h old; after that it downloads again (offline: use --image again).`,
        `    or only the runtime, without the program and without the board file's patch (the firmware then`,
        `      picks its settings by the chip's archId), deploying the program later from VS Code or devs devtools:`,
        `      node node_modules/@devicescript/cli/devicescript flash ${family} --board ${b.id} --file <downloaded ${img.name}>`,
    ].join("\n")
}

/** What to tell the user when the CLI exits 100. */
export function portsHelp() {
    return [
        `flash: the DeviceScript CLI exited ${EXIT_PORTS_BUSY}: its local ports 127.0.0.1:8081-8083 are in use.`,
        `  \`devs bundle\` starts a devtools server there (dashboard 8081, TCP transport 8082, debugger 8083) to run the`,
        `  program once in its simulator and record what it stores in flash. Something else holds them: a`,
        `  \`devs devtools\` server, VS Code's DeviceScript extension, \`npm start\`, \`npm run monitor -- --sim\` or a test run.`,
        `  Stop it (\`ss -ltnp | grep 808\` shows which process) and run the flash again.`,
    ].join("\n")
}

/**
 * Why a command failed, in the user's terms, from its exit status and output; null when nothing is known.
 * @param {import("./boards.mjs").Board} b @param {number | null} status @param {string} output
 */
export function explainFailure(b, status, output) {
    if (status === EXIT_PORTS_BUSY) return portsHelp()
    if (!/^fetch https:\S+/m.test(output)) return null
    // the most specific cause first: undici's "fetch failed" wraps the system error
    for (const re of [/getaddrinfo \w+ [\w.-]+/, /connect \w+ [\d.:]+/, /\b(ECONNRESET|ETIMEDOUT|ENETUNREACH|EAI_AGAIN)\b/, /can't fetch: .*/, /fetch failed/]) {
        const m = re.exec(output)
        if (m) return offlineHelp(b, m[0])
    }
    return null
}

/**
 * `--image <file>`: checks the file is an image of the board's kind (UF2 for
 * RP2040; for ESP32 a flash image, so anything but a UF2 or an empty file)
 * and, unless `dryRun`, copies it into the cache under the name the CLI looks
 * for, with a fresh modification time. A bad file throws UsageError and
 * changes nothing. Returns the cache path.
 * @param {import("./boards.mjs").Board} b @param {string} file @param {{ root?: string, dryRun?: boolean }} [o]
 */
export function supplyImage(b, file, { root = ROOT, dryRun = false } = {}) {
    const img = runtimeImage(b)
    const path = resolve(file)
    if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`--image ${file}: no such file`)
    const head = Buffer.alloc(4)
    const fd = openSync(path, "r")
    const n = readSync(fd, head, 0, 4, 0)
    closeSync(fd)
    const uf2 = n === 4 && head.readUInt32LE(0) === 0x0a324655
    if (b.poolgc.flash.family === "rp2040" && !uf2) throw new UsageError(`--image ${file}: not a UF2 file (${b.id} needs ${img.name})`)
    if (b.poolgc.flash.family === "esp32" && (uf2 || n === 0)) throw new UsageError(`--image ${file}: not an ESP32 flash image (${b.id} needs ${img.name})`)
    const dest = join(root, img.cachePath)
    if (dryRun) return dest
    mkdirSync(join(root, CACHE_DIR), { recursive: true })
    if (resolve(dest) !== path) copyFileSync(path, dest)
    const now = new Date()
    utimesSync(dest, now, now)
    return dest
}

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
        { argv: [CLI, "bundle", o.entry ?? "demo/main.ts", "--board", b.id, "--flash-file", file], what: `bundle the runtime and ${o.entry ?? "demo/main.ts"} for ${b.json.devName}` },
        { argv: [...flash, "--file", file], what: `flash ${file}` },
    ]
}

/** @param {string[]} args */
export function parseArgs(args) {
    const o = { board: "", dryRun: false, runtimeOnly: false, port: undefined, entry: undefined, image: undefined }
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
        else if (a === "--image") o.image = value()
        else throw new UsageError(`unknown option ${a}`)
    }
    if (!o.board) throw new UsageError("--board <id> is required")
    return o
}

/** How a command is shown: as typed in a shell from the project root. @param {string[]} argv */
export const shown = argv => "node " + argv.map(a => (/^[\w./:=@-]+$/.test(a) ? a : JSON.stringify(a))).join(" ")

/**
 * Runs one command with its output passed through as it comes, and kept.
 * @param {string[]} argv @returns {Promise<{ status: number | null, signal: string | null, output: string }>}
 */
function run(argv) {
    return new Promise(res => {
        const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ["inherit", "pipe", "pipe"] })
        let output = ""
        child.stdout.on("data", d => {
            output += d
            process.stdout.write(d)
        })
        child.stderr.on("data", d => {
            output += d
            process.stderr.write(d)
        })
        child.on("error", e => {
            output += String(e)
            res({ status: 1, signal: null, output })
        })
        child.on("close", (status, signal) => res({ status, signal, output }))
    })
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
    let o, plan, board
    try {
        o = parseArgs(process.argv.slice(2))
        plan = flashPlan(o)
        board = findBoard(o.board)
        if (o.image) console.log(`flash: ${o.dryRun ? "would copy" : "copied"} the runtime image ${o.image} to ${supplyImage(board, o.image, { dryRun: o.dryRun })}`)
    } catch (e) {
        if (!(e instanceof UsageError)) throw e
        console.error(`flash: ${e.message}\nusage: npm run flash -- --board <id> [--dry-run] [--runtime-only] [--port <path>] [--entry <file>] [--image <file>]`)
        process.exit(2)
    }
    if (!o.dryRun) mkdirSync(join(ROOT, "built"), { recursive: true })
    for (const step of plan) {
        console.log(`flash: ${step.what}`)
        console.log(`$ ${shown(step.argv)}`)
        if (o.dryRun) continue
        const r = await run(step.argv)
        if (r.status !== 0) {
            const why = explainFailure(board, r.status, r.output)
            if (why) console.error(why)
            console.error(`flash: failed (exit ${r.status ?? r.signal})`)
            process.exit(r.status || 1)
        }
    }
    console.log(o.dryRun ? "flash: dry run, nothing was run" : "flash: done; now `npm run monitor`")
}
