/**
 * Finding DeviceScript boards among the serial ports, by USB vendor id.
 *
 * `serialport`'s list() is used where it works; on Linux it runs `udevadm`,
 * which minimal systems (containers) lack, so there the ports are read from
 * sysfs instead (/sys/class/tty/<name>/device, walking up to the USB device's
 * idVendor / idProduct).
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs"
import { dirname, join } from "node:path"

/** USB vendor ids of DeviceScript boards and of the USB-UART bridges on ESP32 boards, best first. */
export const BOARD_VENDORS = new Map([
    [0x2e8a, "Raspberry Pi RP2040 (USB CDC)"],
    [0x303a, "Espressif native USB (ESP32-S2/S3 CDC, ESP32-C3 USB-Serial-JTAG)"],
    [0x10c4, "Silicon Labs CP210x USB-UART (ESP32 DevKitC)"],
    [0x1a86, "WCH CH340 USB-UART (ESP32 boards)"],
    [0x0403, "FTDI USB-UART"],
])

/**
 * @typedef {{ path: string, vendorId?: number, productId?: number, manufacturer?: string,
 *   serialNumber?: string, board?: string }} PortInfo
 *   `board`: what the vendor id says it is, when it is one of BOARD_VENDORS.
 */

/** @param {string | undefined} hex */
const toId = hex => (hex && /^[0-9a-f]{1,4}$/i.test(hex) ? parseInt(hex, 16) : undefined)

/** @param {string} path */
function readText(path) {
    try {
        return readFileSync(path, "utf8").trim()
    } catch {
        return undefined
    }
}

/** Linux: USB serial ports from sysfs. @returns {PortInfo[]} */
export function listFromSysfs(root = "/sys/class/tty") {
    /** @type {PortInfo[]} */
    const out = []
    let names = []
    try {
        names = readdirSync(root)
    } catch {
        return out
    }
    for (const name of names) {
        const dev = join(root, name, "device")
        if (!existsSync(dev)) continue
        for (let d = realpathSync(dev); d !== "/" && d !== "."; d = dirname(d)) {
            const vendor = readText(join(d, "idVendor"))
            if (vendor === undefined) continue
            out.push({
                path: `/dev/${name}`,
                vendorId: toId(vendor),
                productId: toId(readText(join(d, "idProduct"))),
                manufacturer: readText(join(d, "manufacturer")),
                serialNumber: readText(join(d, "serial")),
            })
            break
        }
    }
    return out
}

/** All serial ports with a USB vendor id, boards first. @returns {Promise<PortInfo[]>} */
export async function listPorts() {
    /** @type {PortInfo[]} */
    let ports
    try {
        const { SerialPort } = await import("serialport")
        ports = (await SerialPort.list()).map(p => ({
            path: p.path,
            vendorId: toId(p.vendorId),
            productId: toId(p.productId),
            manufacturer: p.manufacturer,
            serialNumber: p.serialNumber,
        }))
    } catch (e) {
        if (process.platform !== "linux") throw e
        ports = listFromSysfs()
    }
    const rank = (/** @type {PortInfo} */ p) => {
        const i = [...BOARD_VENDORS.keys()].indexOf(p.vendorId ?? -1)
        return i < 0 ? 99 : i
    }
    return ports
        .map(p => ({ ...p, board: p.vendorId !== undefined ? BOARD_VENDORS.get(p.vendorId) : undefined }))
        .sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path))
}

/** The first port that looks like a DeviceScript board, or null. */
export async function findBoard() {
    return (await listPorts()).find(p => p.board) ?? null
}

/** @param {number | undefined} id */
export const hex4 = id => (id === undefined ? "----" : id.toString(16).padStart(4, "0"))
