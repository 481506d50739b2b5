#!/usr/bin/env node
/**
 * `npm run monitor -- [--port P | --sim [file] | --replay F [--fast]] [--web [port]] [--record F] [--baud N]`
 *
 * Watches poolgc's memory manager work: reads the serial stream of a board (or
 * the simulator's output, or a recording), reassembles the dumps
 * (docs/serial-format.md) and shows them in the terminal and/or a web page.
 * docs/monitor.md is the user's guide.
 */
import { existsSync } from "node:fs"
import { HELP, parseCli } from "./args.mjs"
import { MonitorSession } from "./protocol/session.mjs"
import { RecordingWriter } from "./protocol/recording.mjs"
import { sessionInput } from "./sources/input.mjs"
import { startPlainView } from "./views/plain.mjs"
import { renderScreen, startTtyView } from "./views/terminal.mjs"
import { startWeb } from "./views/web.mjs"
import { hex4, listPorts } from "./sources/ports.mjs"

/** @param {string} msg */
function usageError(msg) {
    process.stderr.write(`monitor: ${msg}\n(see --help)\n`)
    process.exit(2)
}

async function listCommand() {
    const ports = await listPorts()
    if (!ports.length) console.log("no USB serial ports found")
    for (const p of ports) {
        const id = `${hex4(p.vendorId)}:${hex4(p.productId)}`
        console.log(`${p.board ? "*" : " "} ${p.path}  ${id}  ${p.manufacturer ?? ""}${p.board ? `  (${p.board})` : ""}`)
    }
    if (ports.some(p => p.board)) console.log("* looks like a DeviceScript board (the monitor picks the first)")
}

async function main() {
    /** @type {ReturnType<typeof parseCli>} */
    let opts
    try {
        opts = parseCli(process.argv.slice(2))
    } catch (e) {
        return usageError(e instanceof Error ? e.message : String(e))
    }
    if (opts.help) {
        console.log(HELP)
        return
    }
    if (opts.list) return listCommand()
    if (opts.sim && !existsSync(opts.sim)) return usageError(`--sim: no such file: ${opts.sim}`)
    if (opts.replay && !existsSync(opts.replay)) return usageError(`--replay: no such file: ${opts.replay}`)

    const sourceName = opts.sim
        ? `simulator ${opts.sim}`
        : opts.replay
          ? `replay ${opts.replay}`
          : `serial ${opts.port ?? "(first board found)"}`
    const plain = opts.plain || !process.stdout.isTTY
    const color = !process.env.NO_COLOR
    const session = new MonitorSession({ source: sourceName })
    const recorder = opts.record ? new RecordingWriter(opts.record, sourceName) : null
    const input = sessionInput(session, recorder)
    const tty = plain ? null : startTtyView(session, process.stdout, { color })
    const view = tty ?? startPlainView(session, process.stdout)
    let web = null
    if (opts.web !== null) {
        try {
            web = await startWeb(session, { port: opts.web })
        } catch (e) {
            view.stop()
            return usageError(`--web: cannot listen on 127.0.0.1:${opts.web}: ${e instanceof Error ? e.message : e}`)
        }
        session.note(`web view at ${web.url}`)
    }

    /** @type {import("./sources/input.mjs").Source} */
    let source
    try {
        if (opts.sim) {
            const { startSim } = await import("./sources/sim.mjs")
            source = startSim(input, { entry: opts.sim })
        } else if (opts.replay) {
            const { startReplay } = await import("./sources/replay.mjs")
            source = startReplay(input, { path: opts.replay, fast: opts.fast })
        } else {
            const { startSerial } = await import("./sources/serial.mjs")
            source = startSerial(input, { path: opts.port, baudRate: opts.baud })
        }
    } catch (e) {
        view.stop()
        await web?.close()
        process.stderr.write(`monitor: ${e instanceof Error ? e.message : e}\n`)
        process.exit(1)
    }

    let exiting = false
    /** @type {{ ok: boolean, message?: string } | null} the source's end, once it ended: a failed run makes every exit non-zero */
    let result = null
    /** @param {number} code */
    const shutdown = async code => {
        if (result && !result.ok) code = Math.max(code, 1)
        if (exiting) return
        exiting = true
        await Promise.race([source.stop(), new Promise(r => setTimeout(r, 3000))])
        view.stop()
        if (process.stdin.isTTY && process.stdin.isRaw) process.stdin.setRawMode(false)
        await web?.close()
        await recorder?.close().catch(e => process.stderr.write(`monitor: --record: ${e.message}\n`))
        session.close()
        if (!plain) {
            // leave the last state in the scrollback, since the alternate screen is gone
            const lines = renderScreen(session, { width: process.stdout.columns || 80, height: 1000, color, log: false })
            process.stdout.write(lines.join("\n") + "\n")
        }
        process.exit(code)
    }
    process.on("SIGINT", () => shutdown(0))
    process.on("SIGTERM", () => shutdown(0))
    if (tty && process.stdin.isTTY) {
        process.stdin.setRawMode(true)
        process.stdin.resume()
        process.stdin.on("data", d => {
            if (tty.key(d) === "quit") shutdown(0)
        })
    }

    result = await source.done
    // without a way to quit by key (no web view, no keyboard) nothing is left to wait for
    if (!web && (plain || !process.stdin.isTTY)) await shutdown(result.ok ? 0 : 1)
}

await main()
