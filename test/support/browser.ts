/**
 * Headless Chromium for the browser tests, with nothing installed beyond
 * `npm install`: the Chromium build that the npm package @sparticuz/chromium
 * ships (x64 Linux, brotli-compressed in its bin/), driven by playwright-core.
 *
 * `CHROMIUM_PATH=/path/to/chromium` uses that browser instead (Debian's
 * /usr/bin/chromium, say). Either way a browser that cannot be found or
 * started is an error naming what was tried, never a skipped test.
 *
 * The package's own executablePath() unpacks into os.tmpdir()/chromium, one
 * path for every checkout on the machine, and several test runs at once would
 * race on it. Here the binary is unpacked once per package version into this
 * checkout's node_modules/.cache/, written to a file of this process's own and
 * renamed into place, so a reader only ever sees a whole binary (a rename over
 * a binary another run is executing leaves that run's copy intact).
 */
import { once } from "node:events"
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { pipeline } from "node:stream/promises"
import { createBrotliDecompress } from "node:zlib"
import { chromium, type Browser, type LaunchOptions } from "playwright-core"

/**
 * The flags this machine's browsers need: no sandbox (tests run as root), no
 * GPU, and none of Chromium's background connections, which a machine without
 * a network refuses many at a time.
 */
export const CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

const PACKAGE = "@sparticuz/chromium"

/** The directory of the installed @sparticuz/chromium, or null. */
function packageDir(): string | null {
    let entry: string
    try {
        entry = createRequire(import.meta.url).resolve(PACKAGE)
    } catch {
        return null
    }
    for (let d = dirname(entry); d !== dirname(d); d = dirname(d)) {
        const pj = join(d, "package.json")
        if (existsSync(pj) && JSON.parse(readFileSync(pj, "utf8")).name === PACKAGE) return d
    }
    return null
}

let unpacking: Promise<string> | null = null

/**
 * The path of a Chromium binary: CHROMIUM_PATH if set, else the npm package's,
 * unpacked on first use (about 190 MB; a few seconds).
 */
export function chromiumPath(): Promise<string> {
    const override = process.env.CHROMIUM_PATH
    if (override) {
        if (!existsSync(override)) return Promise.reject(new Error(`CHROMIUM_PATH=${override}: no such file`))
        return Promise.resolve(override)
    }
    unpacking ??= unpack()
    return unpacking
}

async function unpack(): Promise<string> {
    const dir = packageDir()
    if (!dir) throw new Error(`${PACKAGE} is not installed: run npm install (or set CHROMIUM_PATH to a Chromium binary)`)
    if (process.platform !== "linux" || process.arch !== "x64")
        throw new Error(`${PACKAGE} ships Chromium for x64 Linux only (this is ${process.platform}/${process.arch}): set CHROMIUM_PATH to a Chromium binary`)
    const source = join(dir, "bin", "chromium.br")
    if (!existsSync(source)) throw new Error(`${source} is missing: reinstall ${PACKAGE} (or set CHROMIUM_PATH)`)
    const version = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version
    // dir is <checkout>/node_modules/@sparticuz/chromium
    const cache = join(dirname(dirname(dir)), ".cache", "poolgc-chromium", version)
    const exe = join(cache, "chromium")
    if (existsSync(exe)) return exe
    mkdirSync(cache, { recursive: true })
    const part = `${exe}.${process.pid}.part`
    try {
        const out = createWriteStream(part, { mode: 0o755 })
        await once(out, "open")
        await pipeline(createReadStream(source), createBrotliDecompress(), out)
        renameSync(part, exe)
    } catch (e) {
        rmSync(part, { force: true })
        throw new Error(`cannot unpack ${source} into ${cache}: ${e instanceof Error ? e.message : e}`)
    }
    return exe
}

/**
 * Starts headless Chromium with CHROMIUM_ARGS (and `options`). Throws, naming
 * the binary and Chromium's own words, when it cannot start.
 */
export async function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
    const executablePath = await chromiumPath()
    try {
        return await chromium.launch({ timeout: 60000, ...options, executablePath, args: [...CHROMIUM_ARGS, ...(options.args ?? [])] })
    } catch (e) {
        throw new Error(`cannot start Chromium (${executablePath}): ${e instanceof Error ? e.message : e}`)
    }
}
