/**
 * `npm run flash` where the runtime image cannot be downloaded (this machine
 * and CI reach no GitHub, so a real run fails as a user's offline run does),
 * where the CLI's local ports are taken (its exit 100), and with `--image`.
 * Each run is in a copy of the project, so the project's own cache
 * (.devicescript/cache) never holds a stand-in image.
 */
import { spawn } from "node:child_process"
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs"
import net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { withSimLock } from "../../sim/lock.mjs"
import { findBoard, offlineHelp, portsHelp, RUNTIME_IMAGES } from "../../tools/flash.mjs"
import { cliBoardTable, standInImage } from "../support/firmware"

const ROOT = join(__dirname, "../..")
const PICO_IMAGE = "devicescript-rp2040-pico.uf2"
let dir = ""

beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "poolgc-flash-"))
    for (const f of ["package.json", "devsconfig.json", "boards", "src", "demo", "tools"]) cpSync(join(ROOT, f), join(dir, f), { recursive: true })
    symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"))
})
afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
})

/**
 * Runs tools/flash.mjs in the copy, holding the simulator lock (its bundle
 * step serves 127.0.0.1:8081-8083; `lock: false` for runs that stop before
 * any CLI command). `stopAt`: kill it when stdout matches.
 */
function flash(args: string[], { stopAt, timeoutMs = 180000, lock = true }: { stopAt?: RegExp; timeoutMs?: number; lock?: boolean } = {}) {
    const run = () =>
        new Promise<{ status: number | null; stdout: string; stderr: string; stopped: boolean }>(res => {
            // its own process group, so a kill reaches the CLI it runs too
            const child = spawn(process.execPath, ["tools/flash.mjs", ...args], { cwd: dir, detached: true })
            const kill = () => {
                try {
                    process.kill(-child.pid!, "SIGKILL")
                } catch {}
            }
            let stdout = ""
            let stderr = ""
            let stopped = false
            const timer = setTimeout(kill, timeoutMs)
            child.stdout.on("data", d => {
                stdout += d
                if (stopAt && !stopped && stopAt.test(stdout)) {
                    stopped = true
                    kill()
                }
            })
            child.stderr.on("data", d => (stderr += d))
            child.on("close", status => {
                clearTimeout(timer)
                kill() // whatever of the group is left
                res({ status, stdout, stderr, stopped })
            })
        })
    return lock ? withSimLock(run) : run()
}

describe("npm run flash without the runtime image", () => {
    test("offline: says what is missing, where it comes from, --image, the cache and its 24 h rule, --file; instead of ending in a stack trace", async () => {
        rmSync(join(dir, ".devicescript"), { recursive: true, force: true })
        const r = await flash(["--board", "pico"])
        expect(r.stdout, "this test needs a machine without a route to github.com").not.toContain("saved .devicescript/cache")
        expect(r.status).toBe(1)
        const url = "https://github.com/microsoft/devicescript-pico/releases/latest/download/" + PICO_IMAGE
        expect(r.stdout).toContain(`fetch ${url}`)
        const tail = r.stderr.slice(r.stderr.indexOf("flash: the DeviceScript runtime image could not be downloaded"))
        expect(tail).toMatch(/^flash: the DeviceScript runtime image could not be downloaded \((getaddrinfo \w+ github\.com|connect \w+ [\d.:]+|ECONNRESET|ETIMEDOUT|ENETUNREACH|EAI_AGAIN|fetch failed)\)\./)
        expect(tail).toContain(`What is missing: ${PICO_IMAGE}, DeviceScript's runtime`)
        expect(tail).toContain("DeviceScript's GitHub releases")
        expect(tail).toContain(url)
        expect(tail).toContain(`npm run flash -- --board pico --image <downloaded ${PICO_IMAGE}>`)
        expect(tail).toContain(`copies it to .devicescript/cache/${PICO_IMAGE}`)
        expect(tail).toContain("less than 24 h old")
        expect(tail).toContain(`devicescript flash rp2040 --board poolgc_pico --file <downloaded ${PICO_IMAGE}>`)
        // our explanation is the last thing said, after the CLI's own output
        expect(tail.endsWith(`${offlineHelp(findBoard("pico"), tail.slice(tail.indexOf("(") + 1, tail.indexOf(")")))}\nflash: failed (exit 1)\n`)).toBe(true)
    }, 240000)

    test("a cached image over 24 h old is downloaded again (and so fails offline); --image puts a fresh copy where the CLI looks, and the bundle succeeds", async () => {
        const arch = cliBoardTable().archs.rp2040
        const image = join(dir, "downloaded.uf2")
        writeFileSync(image, standInImage(arch))
        const cached = join(dir, ".devicescript/cache", PICO_IMAGE)
        mkdirSync(join(dir, ".devicescript/cache"), { recursive: true })
        writeFileSync(cached, standInImage(arch))
        const old = new Date(Date.now() - 25 * 3600 * 1000)
        utimesSync(cached, old, old)
        const stale = await flash(["--board", "pico"])
        expect(stale.status).toBe(1)
        expect(stale.stdout).not.toContain("using cached")
        expect(stale.stderr).toContain("flash: the DeviceScript runtime image could not be downloaded")

        const r = await flash(["--board", "pico", "--image", image], { stopAt: /\$ node \S+ flash rp2040 /, timeoutMs: 240000 })
        expect(r.stdout).toContain(`flash: copied the runtime image ${image} to ${cached}`)
        expect(r.stdout).toContain(`using cached .devicescript/cache/${PICO_IMAGE}`)
        // the bundle step succeeded: the run went on to the flash step (stopped there: no board)
        expect(r.stopped, r.stdout + r.stderr).toBe(true)
        expect(existsSync(join(dir, "built/poolgc_pico.uf2"))).toBe(true)
        expect(Date.now() - statSync(cached).mtimeMs).toBeLessThan(3600 * 1000)
        expect(readFileSync(cached)).toEqual(readFileSync(image))
    }, 480000)

    test("--image refuses a missing file or one of the wrong format, and changes nothing; --dry-run only says where it would go", async () => {
        rmSync(join(dir, ".devicescript"), { recursive: true, force: true })
        const notUf2 = join(dir, "notes.txt")
        writeFileSync(notUf2, "not an image")
        writeFileSync(join(dir, "downloaded.uf2"), standInImage(cliBoardTable().archs.rp2040))
        for (const [args, message] of [
            [["--board", "pico", "--image", notUf2], `--image ${notUf2}: not a UF2 file (poolgc_pico needs ${PICO_IMAGE})`],
            [["--board", "pico", "--image", join(dir, "nothing.uf2")], `--image ${join(dir, "nothing.uf2")}: no such file`],
            [
                ["--board", "esp32s3", "--image", join(dir, "downloaded.uf2")],
                `--image ${join(dir, "downloaded.uf2")}: not an ESP32 flash image (poolgc_esp32s3 needs devicescript-esp32s3-esp32s3_bare-0x0.bin)`,
            ],
        ] as const) {
            const r = await flash([...args], { lock: false })
            expect(r.status).toBe(2)
            expect(r.stderr).toContain(`flash: ${message}`)
            expect(existsSync(join(dir, ".devicescript"))).toBe(false)
        }
        const dry = await flash(["--board", "pico", "--image", join(dir, "downloaded.uf2"), "--dry-run"], { lock: false })
        expect(dry.status).toBe(0)
        expect(dry.stdout).toContain(`flash: would copy the runtime image ${join(dir, "downloaded.uf2")} to ${join(dir, ".devicescript/cache", PICO_IMAGE)}`)
        expect(existsSync(join(dir, ".devicescript"))).toBe(false)
    }, 120000)

    test("exit 100 (the CLI's ports 8081-8083 taken) is explained", async () => {
        const r = await withSimLock(async () => {
            const blocker = net.createServer()
            await new Promise<void>((res, rej) => blocker.once("error", rej).listen(8082, "127.0.0.1", () => res()))
            try {
                return await flash(["--board", "pico"])
            } finally {
                await new Promise(res => blocker.close(res))
            }
        })
        expect(r.status).toBe(100)
        expect(r.stderr).toContain(portsHelp())
        expect(r.stderr).toContain("its local ports 127.0.0.1:8081-8083 are in use")
        expect(r.stderr.endsWith("flash: failed (exit 100)\n")).toBe(true)
    }, 120000)

    test("tools/flash.mjs names the images the CLI downloads", () => {
        const archs = cliBoardTable().archs
        for (const [arch, url] of Object.entries(RUNTIME_IMAGES)) expect(archs[arch]?.bareUrl).toBe(url)
    })
})
