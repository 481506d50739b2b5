/**
 * The monitor's command line: util.parseArgs, plus the optional values of
 * --sim and --web. Throws an Error with a message for the user on bad usage.
 */
import { parseArgs } from "node:util"
import { DEFAULT_BAUD } from "./sources/serial.mjs"
import { DEFAULT_WEB_PORT } from "./views/web.mjs"

export const HELP = `poolgc monitor: watch a poolgc pool's memory map live.

Usage: npm run monitor -- [source] [options]

Sources (one; default: the first DeviceScript board found on USB):
  --port PATH      a serial port (/dev/ttyACM0, /dev/serial/by-id/..., COM5)
  --sim [FILE]     run FILE (default demo/main.ts) in the DeviceScript simulator
  --replay FILE    play a recording back with its timing
  --fast           with --replay: as fast as possible
  --list           list the serial ports, marking those that look like boards

Options:
  --baud N         UART speed (default ${DEFAULT_BAUD}, the classic ESP32's;
                   USB CDC ports ignore it)
  --record FILE    save the raw stream with timestamps (replay it with --replay)
  --web [PORT]     serve the live view at http://127.0.0.1:PORT/ (default ${DEFAULT_WEB_PORT};
                   0: any free port)
  --plain          plain text output even on a terminal
  -h, --help       this help

On a terminal the map is redrawn in place: space or p pauses, left/right step
through past dumps, q or Ctrl-C quits. Otherwise each whole dump is printed
once, with the log lines and damage reports. Without --web, plain output ends
when the source does (the simulator's program or a replay finishes); a failed
simulator run exits 1. See docs/monitor.md.`

/**
 * --sim and --web take an optional value: `--sim file.ts`, `--web 8080`,
 * `--sim=file.ts`. parseArgs has no optional values, so they are booleans and
 * the positional right after one is its value.
 * @param {string[]} argv
 */
export function parseCli(argv) {
    const args = argv.flatMap(a => {
        const m = /^--(sim|web)=(.*)$/.exec(a)
        return m ? [`--${m[1]}`, m[2]] : [a]
    })
    const { values, tokens } = parseArgs({
        args,
        allowPositionals: true,
        tokens: true,
        options: {
            port: { type: "string" },
            sim: { type: "boolean" },
            replay: { type: "string" },
            fast: { type: "boolean" },
            web: { type: "boolean" },
            record: { type: "string" },
            baud: { type: "string" },
            plain: { type: "boolean" },
            list: { type: "boolean" },
            help: { type: "boolean", short: "h" },
        },
    })
    /** @type {{ sim?: string, web?: string }} */
    const optional = {}
    for (let i = 0; i < tokens.length; i++) {
        const t = tokens[i]
        if (t.kind !== "positional") continue
        const before = tokens[i - 1]
        if (before?.kind === "option" && (before.name === "sim" || before.name === "web") && before.index === t.index - 1) {
            optional[before.name] = t.value
        } else throw new Error(`unexpected argument: ${t.value}`)
    }
    const sources = [values.port !== undefined, !!values.sim, values.replay !== undefined].filter(Boolean).length
    if (sources > 1) throw new Error("give one source: --port, --sim or --replay")
    if (values.fast && values.replay === undefined) throw new Error("--fast goes with --replay")
    let baud = DEFAULT_BAUD
    if (values.baud !== undefined) {
        baud = Number(values.baud)
        if (!Number.isInteger(baud) || baud <= 0) throw new Error(`--baud: not a speed: ${values.baud}`)
    }
    /** @type {number | null} */
    let web = null
    if (values.web) {
        web = optional.web === undefined ? DEFAULT_WEB_PORT : Number(optional.web)
        if (!Number.isInteger(web) || web < 0 || web > 65535) throw new Error(`--web: not a port: ${optional.web}`)
    }
    return {
        help: !!values.help,
        list: !!values.list,
        port: values.port,
        sim: values.sim ? optional.sim ?? "demo/main.ts" : undefined,
        replay: values.replay,
        fast: !!values.fast,
        web,
        record: values.record,
        baud,
        plain: !!values.plain,
    }
}
