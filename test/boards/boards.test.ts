import { spawnSync } from "node:child_process"
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import Ajv from "ajv"
import { describe, expect, test } from "vitest"
import { DEFAULT_BAUD } from "../../monitor/sources/serial.mjs"
import { BOARD_VENDORS } from "../../monitor/sources/ports.mjs"
import { runSim } from "../../sim/runner.mjs"
import { BOARDS_DIR, HEADROOM_SHARE, loadBoards, MODULE, renderModule, SETTINGS_FILE } from "../../tools/boards.mjs"
import { flashPlan, parseArgs } from "../../tools/flash.mjs"

const ROOT = join(__dirname, "../..")
const CLI = join(ROOT, "node_modules/@devicescript/cli/devicescript")
const boards = loadBoards()
const devs = (args: string[], cwd = ROOT) => spawnSync(process.execPath, [CLI, "--no-colors", ...args], { cwd, encoding: "utf8" })

describe("board configurations", () => {
    test("one board file per supported chip: Pico, Pico W, ESP32, ESP32-C3, ESP32-S2, ESP32-S3", () => {
        expect(boards.map(b => b.json.archId).sort()).toEqual(["esp32", "esp32c3", "esp32s2", "esp32s3", "rp2040", "rp2040w"])
        for (const b of boards) expect(b.id).toMatch(/^poolgc_\w+$/)
    })

    test("every board file keeps to what DeviceScript's board schemas allow (no keys of poolgc's in it)", () => {
        // test/fixtures/board-schema.json: poolgc's own statement of those schemas' top-level rules
        const ajv = new Ajv({ allErrors: true, strict: false })
        const validate = ajv.compile(JSON.parse(readFileSync(join(ROOT, "test/fixtures/board-schema.json"), "utf8")))
        for (const b of boards) {
            const ok = validate(b.json)
            expect(ok, `${b.id}: ${ajv.errorsText(validate.errors)}`).toBe(true)
        }
        // strict: a key of poolgc's own in a board file fails it, as DeviceScript's schemas do
        expect(validate({ ...boards[0].json, $poolgc: { pool: 1024 } })).toBe(false)
        expect(ajv.errorsText(validate.errors)).toContain("must NOT have additional properties")
    })

    test("poolgc's settings file: one entry per board file; a $poolgc section, a missing or an extra entry is refused, naming the file", () => {
        const settings = JSON.parse(readFileSync(join(BOARDS_DIR, SETTINGS_FILE), "utf8")).boards
        expect(Object.keys(settings).sort()).toEqual(boards.map(b => b.id))
        const dir = mkdtempSync(join(tmpdir(), "poolgc-settings-"))
        try {
            const copy = () => {
                rmSync(dir, { recursive: true, force: true })
                cpSync(BOARDS_DIR, dir, { recursive: true })
            }
            const edit = (f: string, change: (j: any) => void) => {
                const j = JSON.parse(readFileSync(join(dir, f), "utf8"))
                change(j)
                writeFileSync(join(dir, f), JSON.stringify(j))
            }
            copy()
            expect(loadBoards(dir).map(b => b.poolgc)).toEqual(boards.map(b => b.poolgc))
            edit("poolgc_pico.board.json", j => (j.$poolgc = settings.poolgc_pico))
            expect(() => loadBoards(dir)).toThrow(/poolgc_pico\.board\.json: a \$poolgc section/)
            copy()
            edit(SETTINGS_FILE, j => delete j.boards.poolgc_esp32s2)
            expect(() => loadBoards(dir)).toThrow(/poolgc-boards\.json: no settings for board poolgc_esp32s2/)
            copy()
            edit(SETTINGS_FILE, j => (j.boards.poolgc_uno = settings.poolgc_pico))
            expect(() => loadBoards(dir)).toThrow(/settings for poolgc_uno, but there is no poolgc_uno\.board\.json/)
            copy()
            edit(SETTINGS_FILE, j => (j.boards.poolgc_pico.pool = 1000))
            expect(() => loadBoards(dir)).toThrow(/poolgc-boards\.json: poolgc_pico: pool 1000: a multiple of 1024/)
        } finally {
            rmSync(dir, { recursive: true, force: true })
        }
    })

    test("pool sizes: multiples of 1024, at most the 32 KiB the step-limit test covers; 40 KB only on the ESP32-S2", () => {
        const largest = Number(/LARGEST = (\d+)/.exec(readFileSync(join(ROOT, "test/vm/probes.ts"), "utf8"))![1])
        expect(largest).toBe(32768)
        for (const b of boards) {
            expect(b.poolgc.pool % 1024).toBe(0)
            expect(b.poolgc.pool).toBeLessThanOrEqual(largest)
            expect(b.poolgc.vmHeapKB).toBe(b.json.archId === "esp32s2" ? 40 : 64)
        }
    })

    test("demo/boards.ts is generated from the board files (npm run boards)", () => {
        expect(readFileSync(MODULE, "utf8")).toBe(renderModule(boards))
    })

    test("the monitor's defaults find every board: its USB vendor ids, the UART baud", () => {
        for (const b of boards) {
            for (const v of b.poolgc.serial.usbVendors) expect(BOARD_VENDORS.has(parseInt(v, 16)), `${b.id} ${v}`).toBe(true)
            if (b.poolgc.serial.transport === "uart") expect(b.poolgc.serial.baud).toBe(DEFAULT_BAUD)
        }
        const byArch = Object.fromEntries(boards.map(b => [b.json.archId, b.poolgc.serial.transport]))
        expect(byArch).toEqual({ rp2040: "usb-cdc", rp2040w: "usb-cdc", esp32: "uart", esp32c3: "usb-serial-jtag", esp32s2: "usb-cdc", esp32s3: "usb-cdc" })
    })

    test("the firmware builds with every board file loaded and validated by devs build", () => {
        const r = devs(["build", "demo/main.ts", "-v"])
        expect(r.status, r.stdout + r.stderr).toBe(0)
        for (const b of boards) expect(r.stdout + r.stderr).toContain(`custom board: ${b.id}`)
    })

    test("devs build rejects a board file with a bad pin (the validation the test above relies on)", () => {
        const dir = mkdtempSync(join(tmpdir(), "poolgc-boards-"))
        try {
            for (const f of ["package.json", "devsconfig.json", "boards", "src", "demo"]) cpSync(join(ROOT, f), join(dir, f), { recursive: true })
            symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"))
            const f = join(dir, "boards/poolgc_pico.board.json")
            const j = JSON.parse(readFileSync(f, "utf8"))
            j.led.pin = 99
            writeFileSync(f, JSON.stringify(j))
            const r = devs(["build", "demo/main.ts"], dir)
            expect(r.status).not.toBe(0)
            expect(r.stdout + r.stderr).toMatch(/poolgc_pico\.board\.json.*led\.pin=99/)
        } finally {
            rmSync(dir, { recursive: true, force: true })
        }
    })
})

describe("npm run flash", () => {
    test("--dry-run prints the bundle and flash commands for each board, and runs nothing", () => {
        const r = spawnSync(process.execPath, ["tools/flash.mjs", "--board", "pico", "--dry-run"], { cwd: ROOT, encoding: "utf8" })
        expect(r.status).toBe(0)
        expect(r.stdout).toContain("$ node node_modules/@devicescript/cli/devicescript bundle demo/main.ts --board poolgc_pico --flash-file built/poolgc_pico.uf2\n")
        expect(r.stdout).toContain("$ node node_modules/@devicescript/cli/devicescript flash rp2040 --board poolgc_pico --file built/poolgc_pico.uf2\n")
        expect(r.stdout).toContain("dry run, nothing was run")
        const files: Record<string, string> = {
            poolgc_pico_w: "built/poolgc_pico_w.uf2",
            poolgc_esp32_devkit_c: "built/poolgc_esp32_devkit_c-0x1000.bin",
            poolgc_esp32s2: "built/poolgc_esp32s2-0x1000.bin",
            poolgc_xiao_esp32c3: "built/poolgc_xiao_esp32c3-0x0.bin",
            poolgc_esp32s3: "built/poolgc_esp32s3-0x0.bin",
        }
        for (const [id, file] of Object.entries(files)) {
            const family = id.includes("pico") ? "rp2040" : "esp32"
            const plan = flashPlan(parseArgs(["--board", id, ...(family === "esp32" ? ["--port", "/dev/ttyUSB0"] : [])]))
            expect(plan.map(s => s.argv.slice(1).join(" "))).toEqual([
                `bundle demo/main.ts --board ${id} --flash-file ${file}`,
                `flash ${family} --board ${id}${family === "esp32" ? " --port /dev/ttyUSB0" : ""} --file ${file}`,
            ])
        }
        expect(flashPlan(parseArgs(["--board", "esp32s3", "--runtime-only"])).map(s => s.argv.slice(1).join(" "))).toEqual(["flash esp32 --board poolgc_esp32s3"])
        const bad = spawnSync(process.execPath, ["tools/flash.mjs", "--board", "uno", "-n"], { cwd: ROOT, encoding: "utf8" })
        expect(bad.status).toBe(2)
        expect(bad.stderr).toContain("unknown board 'uno'")
    })

    test("the CLI accepts the flash command's board and arguments (offline it stops at the missing RPI-RP2 drive)", () => {
        const r = devs(["flash", "rp2040", "--board", "poolgc_pico", "--file", "built/poolgc_pico.uf2", "--once"])
        expect(r.stdout + r.stderr).toContain("no drives found; please plug your board while holding BOOTSEL")
        expect(r.stdout + r.stderr).not.toContain("invalid board id")
    })
})

describe("every board's settings on the simulator", () => {
    const template = readFileSync(join(ROOT, "test/vm/board-demo.ts"), "utf8").replace(/"\.\.\/\.\.\/src\//g, '"../../src/')
    for (const b of boards) {
        test(`${b.id}: with its VM heap (${b.poolgc.vmHeapKB} KB), pool (${b.poolgc.pool}) and LED colours, the demo runs 16 rounds and leaves its headroom free in one piece`, async () => {
            const dir = join(ROOT, "test-artifacts", "boards")
            mkdirSync(dir, { recursive: true })
            const file = join(dir, `${b.id}.ts`)
            writeFileSync(file, template.replace(`"BOARD_ID"`, JSON.stringify(b.id)))
            const r = await runSim(file, { until: / ok: pool /, timeoutMs: 120000 })
            const line = r.lines[r.lines.length - 1]
            expect(line).toBe(
                `board ${b.id} ok: pool ${b.poolgc.pool}, ${line.split(", ")[1]}, headroom ${b.poolgc.vmHeapKB * 1024 * HEADROOM_SHARE} allocated beside a ballast of ${(64 - b.poolgc.vmHeapKB) * 1024}`
            )
            expect(r.lines.filter((l: string) => /memory allocation failed/.test(l))).toEqual([])
        })
    }
})
