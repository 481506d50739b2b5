/**
 * A board over USB serial, with the `serialport` package: opens the port given
 * (`--port`) or the first that looks like a DeviceScript board (by USB vendor
 * id, sources/ports.mjs), feeds every byte to the monitor, and when the port
 * goes away (cable unplugged, board reset, read error) reports it and polls
 * until it comes back, then reopens it.
 *
 * Modem lines. After opening, DTR and RTS are both asserted and then left alone:
 * - the Pico's TinyUSB CDC sends nothing until the host asserts DTR;
 * - an ESP32 DevKitC's auto-reset circuit (two transistors driven by DTR and RTS
 *   from the CP210x / CH340 bridge) holds EN low (reset) only when RTS is asserted
 *   and DTR is not, and IO0 low (boot into the ROM downloader at the next reset)
 *   when DTR is asserted and RTS is not. Both asserted (both pins low, as the OS
 *   sets them when it opens the port) is the state where neither happens, so the
 *   board keeps running and a later reset still boots the firmware. DTR alone
 *   with RTS released would leave IO0 held low;
 * - the ESP32-C3's USB-Serial-JTAG decodes DTR/RTS the same way in silicon;
 * - a USB CDC port ignores the baud rate; a classic ESP32's UART talks at
 *   1,500,000 baud (the default here).
 * Opening the port on Linux raises DTR and RTS together, which resets nothing;
 * closing lowers them together (hupcl), which resets nothing either.
 */
import { existsSync } from "node:fs"
import { findBoard } from "./ports.mjs"

export const DEFAULT_BAUD = 1500000

const sleep = (/** @type {number} */ ms) => new Promise(r => setTimeout(r, ms))

/** @param {string} path */
const pathExists = path => process.platform === "win32" || existsSync(path)

/**
 * @param {string} path
 * @param {number} baudRate
 * @returns {Promise<{ port: import("serialport").SerialPort, linesNote: string }>}
 */
async function openPort(path, baudRate) {
    const { SerialPort } = await import("serialport")
    const port = new SerialPort({ path, baudRate, autoOpen: false, hupcl: true })
    port.on("error", () => {}) // reported through "close" or the open/set callbacks
    await new Promise((resolve, reject) => port.open(err => (err ? reject(err) : resolve(undefined))))
    let linesNote = "DTR and RTS asserted"
    try {
        await new Promise((resolve, reject) => port.set({ dtr: true, rts: true }, err => (err ? reject(err) : resolve(undefined))))
    } catch (e) {
        // a pseudo-terminal, or a driver without modem lines
        linesNote = `could not set DTR/RTS (${e instanceof Error ? e.message : e}); a Pico stays silent without DTR`
    }
    return { port, linesNote }
}

/**
 * @param {import("./input.mjs").SourceInput} input
 * @param {{ path?: string, baudRate?: number, pollMs?: number }} [options]
 * @returns {import("./input.mjs").Source}
 */
export function startSerial(input, { path, baudRate = DEFAULT_BAUD, pollMs = 1000 } = {}) {
    let stopped = false
    /** @type {import("serialport").SerialPort | null} */
    let open = null
    /** @type {() => void} */
    let wake = () => {}
    let said = ""
    /** @param {string} detail */
    const waiting = detail => {
        if (detail !== said) input.status("waiting", detail)
        said = detail
    }
    const pause = () => Promise.race([sleep(pollMs), new Promise(r => (wake = () => r(undefined)))])

    const done = (async () => {
        while (!stopped) {
            /** @type {string | undefined} */
            let target = path
            if (!target) {
                const board = await findBoard().catch(() => null)
                target = board?.path
                if (!target) {
                    waiting("no DeviceScript board found on USB (RP2040, Espressif, CP210x, CH340, FTDI); plug one in, or give --port")
                    await pause()
                    continue
                }
            } else if (!pathExists(target)) {
                waiting(`${target} is not there; waiting for it`)
                await pause()
                continue
            }
            try {
                const { port, linesNote } = await openPort(target, baudRate)
                if (stopped) {
                    port.close()
                    break
                }
                open = port
                said = ""
                input.status("connected", `${target} at ${baudRate} baud; ${linesNote}`)
            } catch (e) {
                waiting(`cannot open ${target} (${e instanceof Error ? e.message : e}); retrying`)
                await pause()
                continue
            }
            const port = open
            const why = await new Promise(resolve => {
                port.on("data", chunk => input.data(chunk))
                port.once("close", (/** @type {Error | null} */ err) => resolve(err ? err.message : "closed"))
            })
            open = null
            if (stopped) break
            input.status("disconnected", `${target}: ${why}; waiting for it to come back`)
            await pause()
        }
        return { ok: true }
    })()

    return {
        done,
        stop: async () => {
            stopped = true
            wake()
            if (open?.isOpen) open.close()
            await done
        },
    }
}
