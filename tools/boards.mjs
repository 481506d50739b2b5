#!/usr/bin/env node
/**
 * poolgc's per-board settings: boards/poolgc-boards.json, one entry per
 * boards/<id>.board.json. The board files are DeviceScript's own board
 * configurations (`devs build` validates them, `devs flash --board <id>`
 * patches them into the runtime image) and hold nothing else: DeviceScript's
 * board schema allows no keys of its own (`additionalProperties: false`).
 *
 * The firmware cannot read JSON, so this writes demo/boards.ts, a table of
 * every board's settings that demo/board.ts looks up at start-up by the id the
 * runtime image carries (`ds._dcfgString("id")`).
 *
 *   node tools/boards.mjs           write demo/boards.ts
 *   node tools/boards.mjs --check   exit 1 if demo/boards.ts is out of date
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..")
export const BOARDS_DIR = join(ROOT, "boards")
export const MODULE = join(ROOT, "demo", "boards.ts")
/** The file name, in the boards directory, of poolgc's settings for every board. */
export const SETTINGS_FILE = "poolgc-boards.json"

/**
 * The simulator is not a board file: `ds._dcfgString("id")` is "wasm" there.
 * Its pool stays the demo's 16 KiB (the monitor's recorded demo and tests use it).
 */
/** The share of its VM heap a board keeps free after the demo's setup (docs/boards.md). */
export const HEADROOM_SHARE = 0.25

export const SIM = {
    id: "wasm",
    name: "DeviceScript simulator",
    archId: "wasm",
    pool: 16384,
    vmHeapKB: 64,
    ledBeat: 0,
    ledFail: 0,
}

/**
 * @typedef {{ transport: "usb-cdc" | "usb-serial-jtag" | "uart", usbVendors: string[], usbProduct?: string,
 *   baud: number | null, quirk: string }} SerialSettings
 * @typedef {{ pool: number, vmHeapKB: number, serial: SerialSettings,
 *   led: { heartbeat: string, fail: string } | null, flash: { family: "rp2040" | "esp32", stock: string } }} PoolgcSettings
 * @typedef {{ id: string, file: string, json: any, poolgc: PoolgcSettings }} Board
 */

/**
 * Every boards/*.board.json, sorted by id, with its settings from
 * boards/poolgc-boards.json, checked. A board file without settings, settings
 * without a board file, or a board file that still has a `$poolgc` section is
 * an error naming the file.
 * @returns {Board[]}
 */
export function loadBoards(dir = BOARDS_DIR) {
    const settingsFile = join(dir, SETTINGS_FILE)
    let settings
    try {
        settings = JSON.parse(readFileSync(settingsFile, "utf8")).boards
    } catch (e) {
        throw new Error(`${settingsFile}: ${e instanceof Error ? e.message : e}`)
    }
    if (!settings || typeof settings !== "object") throw new Error(`${settingsFile}: no "boards" object`)
    const boards = readdirSync(dir)
        .filter(f => f.endsWith(".board.json"))
        .sort()
        .map(f => {
            const file = join(dir, f)
            const json = JSON.parse(readFileSync(file, "utf8"))
            const id = f.slice(0, -".board.json".length)
            if ("$poolgc" in json)
                throw new Error(`${file}: a $poolgc section: poolgc's settings belong in ${SETTINGS_FILE} (DeviceScript's board schema rejects other keys)`)
            const poolgc = settings[id]
            if (poolgc === undefined) throw new Error(`${settingsFile}: no settings for board ${id} (${f})`)
            const problems = checkSettings(poolgc)
            if (problems.length) throw new Error(`${settingsFile}: ${id}: ${problems.join("; ")}`)
            return { id, file, json, poolgc }
        })
    for (const id of Object.keys(settings))
        if (!boards.some(b => b.id === id)) throw new Error(`${settingsFile}: settings for ${id}, but there is no ${id}.board.json`)
    return boards
}

/** @param {any} s @returns {string[]} what is wrong with one board's settings */
export function checkSettings(s) {
    const out = []
    if (!s || typeof s !== "object") return ["missing"]
    if (!Number.isInteger(s.pool) || s.pool % 1024 !== 0 || s.pool < 1024 || s.pool > 32768)
        out.push(`pool ${s.pool}: a multiple of 1024 from 1024 to 32768`)
    if (s.vmHeapKB !== 64 && s.vmHeapKB !== 40) out.push(`vmHeapKB ${s.vmHeapKB}: 64 or 40`)
    const ser = s.serial
    if (!ser || !["usb-cdc", "usb-serial-jtag", "uart"].includes(ser.transport)) out.push("serial.transport")
    else {
        if (!Array.isArray(ser.usbVendors) || !ser.usbVendors.length || !ser.usbVendors.every(v => /^0x[0-9A-F]{4}$/.test(v)))
            out.push("serial.usbVendors: 0xHHHH ids")
        if (ser.transport === "uart" ? !Number.isInteger(ser.baud) : ser.baud !== null)
            out.push("serial.baud: a number for a UART, null for USB (ignored)")
    }
    if (s.led !== null && !(s.led && /^0x[0-9A-F]{6}$/.test(s.led.heartbeat) && /^0x[0-9A-F]{6}$/.test(s.led.fail)))
        out.push("led: null, or { heartbeat, fail } colours 0xRRGGBB")
    if (!s.flash || !["rp2040", "esp32"].includes(s.flash.family) || typeof s.flash.stock !== "string")
        out.push("flash: { family: rp2040 | esp32, stock: <DeviceScript board id> }")
    return out
}

/** demo/boards.ts for these boards. @param {Board[]} boards */
export function renderModule(boards) {
    const rows = [
        ...boards.map(b => ({
            id: b.id,
            name: b.json.devName,
            archId: b.json.archId,
            pool: b.poolgc.pool,
            vmHeapKB: b.poolgc.vmHeapKB,
            ledBeat: b.poolgc.led ? parseInt(b.poolgc.led.heartbeat, 16) : 0,
            ledFail: b.poolgc.led ? parseInt(b.poolgc.led.fail, 16) : 0,
        })),
        SIM,
    ]
    const hex = n => "0x" + n.toString(16).padStart(6, "0")
    const lines = rows.map(
        r =>
            `    { id: ${JSON.stringify(r.id)}, name: ${JSON.stringify(r.name)}, archId: ${JSON.stringify(r.archId)}, ` +
            `pool: ${r.pool}, vmHeapKB: ${r.vmHeapKB}, headroom: ${r.vmHeapKB * 1024 * HEADROOM_SHARE}, ledBeat: ${hex(r.ledBeat)}, ledFail: ${hex(r.ledFail)} },`
    )
    return `// Generated by tools/boards.mjs from boards/poolgc-boards.json and boards/*.board.json: do not edit.
// \`npm run boards\` rewrites it; test/boards/boards.test.ts fails when it is out of date.

export interface BoardSettings {
    /** The board id: the board file's name, and \`ds._dcfgString("id")\` on a board flashed with it. */
    id: string
    name: string
    /** The DeviceScript architecture, \`ds._dcfgString("archId")\`. */
    archId: string
    /** The pool's size in bytes (docs/boards.md: how it was chosen). */
    pool: number
    /** The DeviceScript VM heap on this chip, in KiB. */
    vmHeapKB: number
    /** Bytes of VM heap (one allocation) left free after the demo's setup, by design and checked in the simulator. */
    headroom: number
    /** Status LED colours (0xRRGGBB) for the heartbeat and after a MemoryError; 0: no LED. */
    ledBeat: number
    ledFail: number
}

export const BOARDS: BoardSettings[] = [
${lines.join("\n")}
]
`
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
    const text = renderModule(loadBoards())
    if (process.argv.includes("--check")) {
        let old = ""
        try {
            old = readFileSync(MODULE, "utf8")
        } catch {}
        if (old !== text) {
            console.error("demo/boards.ts is out of date: run `npm run boards`")
            process.exit(1)
        }
        console.log("demo/boards.ts is up to date")
    } else {
        writeFileSync(MODULE, text)
        console.log("wrote demo/boards.ts")
    }
}
