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
 *
 * Hang-up. When the other end goes (a USB CDC port unplugged, a pty's master
 * closed), the kernel hangs the tty up: a read then fails (EIO, ENXIO) or
 * returns 0 bytes, at once and for ever. serialport reports a failed read as a
 * disconnect, but retries a 0-byte read at once, endlessly: the port never
 * closes and the monitor spins a core. So on unix the port's read is replaced
 * (hangUpAware below): a 0-byte read waits for the poller to say readable
 * again, and EMPTY_READS of them in a row (with no byte between) are a
 * disconnect; a poller error (a hung-up tty polls as an error) is one too.
 */
import { existsSync, read as fsRead } from "node:fs"
import { promisify } from "node:util"
import { findBoard } from "./ports.mjs"

export const DEFAULT_BAUD = 1500000

const sleep = (/** @type {number} */ ms) => new Promise(r => setTimeout(r, ms))

/** @param {string} path */
const pathExists = path => process.platform === "win32" || existsSync(path)

/**
 * 0-byte reads in a row that mean the port hung up. A live tty opened
 * non-blocking never returns 0 (no data is EAGAIN), so one would do; three
 * leave room for a driver that returns a stray 0, and cost three reads.
 */
export const EMPTY_READS = 3

const readAsync = promisify(fsRead)

/**
 * @typedef {{ fd: number | null, isOpen: boolean, read: Function,
 *   poller?: { once: (event: "readable", cb: (err: (Error & { canceled?: boolean }) | null) => void) => unknown } }} UnixPortBinding
 */

/** An error the stream ignores (the port was closed on purpose), as serialport's own. */
function canceled() {
    return Object.assign(new Error("Port is not open"), { canceled: true })
}

/**
 * serialport's unix read, except that 0-byte reads end in a disconnect instead
 * of being retried in a busy loop. Resolves to the bytes read (at least one),
 * or rejects: `canceled` when the port was closed, else with the cause, which
 * the stream turns into its "close" event with a disconnect error.
 * @param {UnixPortBinding} port
 * @param {Buffer} buffer
 * @param {number} offset
 * @param {number} length
 */
export async function readUnix(port, buffer, offset, length, read = readAsync) {
    let empty = 0
    for (;;) {
        if (!port.isOpen || port.fd === null) throw canceled()
        let n = -1
        try {
            n = (await read(port.fd, buffer, offset, length, null)).bytesRead
        } catch (e) {
            const code = /** @type {NodeJS.ErrnoException} */ (e).code
            // EIO, ENXIO, EBADF...: the device is gone; the stream reports it
            if (code !== "EAGAIN" && code !== "EWOULDBLOCK" && code !== "EINTR") throw e
        }
        if (n > 0) return { bytesRead: n, buffer }
        if (n === 0 && ++empty >= EMPTY_READS) throw new Error(`the port hung up (end of file: ${EMPTY_READS} empty reads)`)
        await new Promise((resolve, reject) => {
            if (!port.poller) return reject(canceled())
            port.poller.once("readable", err => {
                if (!err) resolve(undefined)
                else if (err.canceled) reject(err)
                else reject(new Error(`the port hung up (poll: ${err.message})`))
            })
        })
    }
}

/**
 * A serialport binding whose unix ports read with readUnix. Other ports
 * (Windows) are left as they are.
 * @param {{ list: () => Promise<unknown[]>, open: (options: any) => Promise<any> }} binding
 */
export function hangUpAware(binding) {
    return {
        list: () => binding.list(),
        /** @param {any} options */
        open: async options => {
            const port = await binding.open(options)
            if (typeof port.fd === "number" && port.poller)
                port.read = (/** @type {Buffer} */ buffer, /** @type {number} */ offset, /** @type {number} */ length) =>
                    readUnix(port, buffer, offset, length)
            return port
        },
    }
}

/**
 * @param {string} path
 * @param {number} baudRate
 * @returns {Promise<{ port: import("serialport").SerialPort, linesNote: string }>}
 */
async function openPort(path, baudRate) {
    const { SerialPort } = await import("serialport")
    const port = new SerialPort({ path, baudRate, autoOpen: false, hupcl: true, binding: hangUpAware(SerialPort.binding) })
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
