/**
 * The web view's server (node:http, no dependencies), on 127.0.0.1 only:
 *
 * - `GET /`            the page (monitor/views/web/page.html: HTML, CSS and script in
 *                      one file, with monitor/protocol/payload.mjs and graph.mjs inlined
 *                      into it; it loads nothing from the network);
 * - `GET /events`      Server-Sent Events: first `snapshot` (everything so far),
 *                      then `dump`, `heap`, `damaged`, `log` and `status` as they happen;
 * - `GET /state.json`  the snapshot, for scripts.
 *
 * Requests whose Host is not this loopback address are refused (a page on
 * another site cannot read the monitor through DNS rebinding).
 */
import { readFileSync } from "node:fs"
import http from "node:http"
import { PALETTE } from "./palette.mjs"

const PAGE = new URL("./web/page.html", import.meta.url)
/**
 * The page uses the monitor's own block and graph functions: payload.mjs and graph.mjs, inlined
 * without their `export`s (neither imports anything).
 */
const SHARED = [new URL("../protocol/payload.mjs", import.meta.url), new URL("../protocol/graph.mjs", import.meta.url)]
export const DEFAULT_WEB_PORT = 8090
/** Log lines sent in a snapshot. */
const SNAPSHOT_LOGS = 300

/** @typedef {import("../protocol/session.mjs").MonitorSession} MonitorSession */

/** @param {import("../protocol/session.mjs").DumpRecord} d */
const dumpJson = d => ({ seq: d.seq, dump: d.dump, at: d.at, stats: d.stats, blocks: d.blocks, texts: d.texts, error: d.error })

/** @param {import("../protocol/session.mjs").HeapRecord} h */
const heapJson = h => ({ seq: h.seq, dump: h.dump, at: h.at, texts: h.texts, graph: h.graph, error: h.error })

/** Everything the page needs so far, as sent first on `/events` and served as `/state.json`. @param {MonitorSession} session */
export function snapshot(session) {
    return {
        palette: PALETTE,
        status: session.status,
        counters: session.counters,
        history: session.history.map(dumpJson),
        heaps: session.heaps.map(heapJson),
        damaged: session.damaged,
        logs: session.logs.slice(-SNAPSHOT_LOGS),
    }
}

/**
 * @param {MonitorSession} session
 * @param {{ port?: number, host?: string }} [options] port 0: any free port
 * @returns {Promise<{ url: string, port: number, close: () => Promise<void> }>}
 */
export async function startWeb(session, { port = DEFAULT_WEB_PORT, host = "127.0.0.1" } = {}) {
    const shared = SHARED.map(u => readFileSync(u, "utf8").replace(/^export /gm, "")).join("\n")
    const page = readFileSync(PAGE, "utf8").replace("/*__SHARED__*/", () => shared)
    /** @type {Set<http.ServerResponse>} */
    const clients = new Set()
    let actualPort = port

    /** @param {string} event @param {unknown} data */
    const broadcast = (event, data) => {
        const msg = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
        for (const res of clients) res.write(msg)
    }
    /** @type {Record<string, (x: any) => void>} */
    const handlers = {
        dump: d => broadcast("dump", dumpJson(d)),
        heap: h => broadcast("heap", heapJson(h)),
        damaged: d => broadcast("damaged", d),
        log: e => broadcast("log", e),
        status: s => broadcast("status", { status: s, counters: session.counters }),
    }
    for (const [e, h] of Object.entries(handlers)) session.on(e, h)

    const server = http.createServer((req, res) => {
        const okHosts = [`${host}:${actualPort}`, `localhost:${actualPort}`]
        if (!okHosts.includes(req.headers.host ?? "")) {
            res.writeHead(403, { "content-type": "text/plain" }).end("wrong Host\n")
            return
        }
        const path = (req.url ?? "/").split("?")[0]
        if (req.method !== "GET") {
            res.writeHead(405).end()
        } else if (path === "/") {
            res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }).end(page)
        } else if (path === "/state.json") {
            res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(snapshot(session)))
        } else if (path === "/events") {
            res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" })
            res.write(`retry: 1000\nevent: snapshot\ndata: ${JSON.stringify(snapshot(session))}\n\n`)
            clients.add(res)
            req.on("close", () => clients.delete(res))
        } else {
            res.writeHead(404, { "content-type": "text/plain" }).end("not found\n")
        }
    })
    const keepAlive = setInterval(() => {
        for (const res of clients) res.write(": keep-alive\n\n")
    }, 15000)
    keepAlive.unref()

    await new Promise((resolve, reject) => {
        server.once("error", reject)
        server.listen(port, host, () => resolve(undefined))
    })
    const addr = server.address()
    actualPort = typeof addr === "object" && addr ? addr.port : port
    return {
        url: `http://${host}:${actualPort}/`,
        port: actualPort,
        close: () =>
            new Promise(resolve => {
                clearInterval(keepAlive)
                for (const [e, h] of Object.entries(handlers)) session.off(e, h)
                for (const res of clients) res.end()
                clients.clear()
                server.closeAllConnections?.()
                server.close(() => resolve())
            }),
    }
}
