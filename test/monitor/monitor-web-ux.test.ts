/**
 * The web view as a new user meets it, in headless Chromium: the page fits an
 * 800 px window (no horizontal scroll), the log keeps to its end, the dump
 * text scrolls inside its box, the legend states its units, and phantom cells
 * stand out from free cells and from live ones, measured on the rendered
 * pixels. Screenshots: test-artifacts/monitor-web-800.png and
 * test-artifacts/monitor-web-phantom-cells.png.
 */
import { mkdirSync } from "node:fs"
import type { Browser, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { SWATCH } from "../../monitor/views/palette.mjs"
import { MonitorSession } from "../../monitor/protocol/session.mjs"
import { startWeb } from "../../monitor/views/web.mjs"
import { fixtureText, STATS_FIXTURE } from "./monitor-support"
import { launchBrowser } from "../support/browser"

/** "#8b5cf6" -> [139, 92, 246]. */
const rgbOf = (hex: string) => {
    const n = parseInt(hex.slice(1), 16)
    return [n >> 16, (n >> 8) & 255, n & 255]
}
const distance = (a: number[], b: number[]) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2])

let browser: Browser
let web: Awaited<ReturnType<typeof startWeb>>
const session = new MonitorSession({ source: "stats fixture", idleMs: 0 })
// a status and log lines as long as real ones get (a compile error, the monitor's advice)
const DETAIL =
    "the simulator run ended (exit): runSim(test/vm/fixtures/bad.vm.ts): the CLI exited early with code 1: does not compile: " +
    "test/vm/fixtures/bad.vm.ts(4,5): error TS9999: please use ==="

beforeAll(async () => {
    mkdirSync("test-artifacts", { recursive: true })
    session.data(Buffer.from(fixtureText(STATS_FIXTURE), "latin1"))
    for (let i = 1; i <= 120; i++) session.note(`line ${i}: a long log line, as the runtime's exceptions and the monitor's advice are, that has to wrap in the log box`)
    session.setStatus("ended", DETAIL)
    web = await startWeb(session, { port: 0 })
    browser = await launchBrowser()
})

afterAll(async () => {
    await browser?.close()
    await web?.close()
})

async function open(width: number, height = 900) {
    const page = await browser.newPage({ viewport: { width, height } })
    await page.goto(web.url)
    await page.waitForSelector("body[data-ready='1']")
    return page
}

/** How far the log is from its end, in pixels (0: at the end). */
const logGap = (page: Page) => page.evaluate(() => {
    const log = document.getElementById("log")!
    return log.scrollHeight - log.clientHeight - log.scrollTop
})

/** Waits until the log's last line says `text`. */
async function lastLog(page: Page, text: string) {
    await page.waitForFunction(t => document.getElementById("log")!.lastElementChild?.textContent?.includes(t), text)
}

describe("the web view in an 800 px window", () => {
    test("the page fits: no horizontal scroll, every section and the whole map inside the window", async () => {
        for (const width of [800, 1024, 1400]) {
            const page = await open(width)
            await page.locator("#slider").fill("2") // dump 3 (the newest, dump 6, has no map)
            const m = await page.evaluate(() => {
                const r = (el: Element) => el.getBoundingClientRect()
                return {
                    scroll: document.documentElement.scrollWidth,
                    sections: [...document.querySelectorAll("header, section")].map(el => Math.ceil(r(el).right)),
                    lastCell: Math.ceil(r(document.querySelector("#grid [data-i='511']")!).right),
                    grid: Math.ceil(r(document.getElementById("grid")!).right),
                    mapSection: Math.ceil(r(document.querySelector("section")!).right),
                    detail: document.getElementById("detail")!.textContent,
                }
            })
            expect(m.scroll, `${width} px`).toBeLessThanOrEqual(width)
            for (const right of m.sections) expect(right, `${width} px`).toBeLessThanOrEqual(width)
            expect(m.lastCell, `${width} px`).toBeLessThanOrEqual(m.mapSection)
            expect(m.detail).toBe(DETAIL) // the whole status, wrapped in the header
            if (width === 800) await page.screenshot({ path: "test-artifacts/monitor-web-800.png", fullPage: true })
            await page.close()
        }
    })

    test("the log is at its end: on load, on new lines, after a reflow; not while the reader has scrolled up", async () => {
        const page = await open(1400)
        try {
            expect(await logGap(page)).toBeLessThanOrEqual(1)
            session.note("a new line at the end")
            await lastLog(page, "a new line at the end")
            expect(await logGap(page)).toBeLessThanOrEqual(1)
            // a reflow (the window narrower: the log's lines wrap more) keeps it at the end
            await page.setViewportSize({ width: 800, height: 900 })
            await page.waitForTimeout(200)
            expect(await logGap(page)).toBeLessThanOrEqual(1)
            // the reader scrolls up to read: new lines do not pull the log away
            await page.evaluate(() => {
                const log = document.getElementById("log")!
                log.scrollTop = 100
                log.dispatchEvent(new Event("scroll"))
            })
            session.note("another line")
            await lastLog(page, "another line")
            expect(await page.evaluate(() => document.getElementById("log")!.scrollTop)).toBe(100)
            // back at the end, it follows again
            await page.evaluate(() => {
                const log = document.getElementById("log")!
                log.scrollTop = log.scrollHeight
                log.dispatchEvent(new Event("scroll"))
            })
            session.note("and one more")
            await lastLog(page, "and one more")
            expect(await logGap(page)).toBeLessThanOrEqual(1)
            // a burst of lines (its scroll events come after more lines have arrived) does not stop the following
            for (let i = 0; i < 60; i++) session.note(`burst ${i}: ${"a long line that wraps in the log box ".repeat(3)}`)
            await lastLog(page, "burst 59:")
            await page.waitForTimeout(100)
            session.note("after the burst")
            await lastLog(page, "after the burst")
            expect(await logGap(page)).toBeLessThanOrEqual(1)
        } finally {
            await page.close()
        }
    })

    test("the dump text scrolls inside its box: all of it reachable, the box inside its section and the window", async () => {
        const page = await open(800)
        try {
            await page.locator("#slider").fill("2") // dump 3: the longest lines (the phantom view's)
            const m = await page.evaluate(() => {
                const pre = document.getElementById("text")!
                const box = pre.getBoundingClientRect()
                const section = pre.closest("section")!.getBoundingClientRect()
                const st = getComputedStyle(pre)
                pre.scrollLeft = pre.scrollWidth
                pre.scrollTop = pre.scrollHeight
                return {
                    inside: box.left >= section.left && box.right <= section.right && box.right <= window.innerWidth,
                    overflow: [st.overflowX, st.overflowY],
                    wider: pre.scrollWidth > pre.clientWidth,
                    left: pre.scrollLeft,
                    bottomGap: pre.scrollHeight - pre.clientHeight - pre.scrollTop,
                    text: pre.textContent,
                }
            })
            expect(m.inside).toBe(true)
            expect(m.overflow).toEqual(["auto", "auto"])
            // the lines are wider than the box at 800 px: it scrolls sideways to their ends
            expect(m.wider).toBe(true)
            expect(m.left).toBeGreaterThan(0)
            expect(m.bottomGap).toBeLessThanOrEqual(1)
            expect(m.text).toContain(" phantoms: 8 objects, 208 bytes a collection would free")
        } finally {
            await page.close()
        }
    })

    test("the legend states its units: a cell is a 16-byte block, counts are blocks, sizes are bytes", async () => {
        const page = await open(800)
        try {
            await page.locator("#slider").fill("4") // dump 5
            expect(await page.textContent("#legend")).toContain(
                "One cell is one block of 16 bytes; the number after a name counts its blocks in this dump; sizes are in bytes (B)."
            )
        } finally {
            await page.close()
        }
    })

    test("phantom cells stand out: their rendered colour is far from a free cell's and from their type's live colour", async () => {
        const page = await open(1400) // cells of 12 px
        try {
            await page.locator("#slider").fill("2") // dump 3, the phantom view
            expect(await page.textContent("#mapinfo")).toContain("phantom view")
            // dump 3's blocks 44-63: L== r s f A= f A p== l= f a== .
            const phantoms = await page.evaluate(() =>
                [...document.querySelectorAll("#grid [data-i]")]
                    .filter(c => /^[a-z]$/.test((c as HTMLElement).dataset.t ?? ""))
                    .map(c => ({ i: Number((c as HTMLElement).dataset.i), t: (c as HTMLElement).dataset.t! }))
            )
            expect(new Set(phantoms.map(p => p.t))).toEqual(new Set(["r", "s", "f", "p", "l", "a"]))
            /** The mean colour of a cell as drawn (its inner part, clear of the rounded corners). */
            const mean = async (i: number) => {
                const box = (await page.locator(`#grid [data-i="${i}"]`).boundingBox())!
                const png = await page.screenshot({ clip: { x: box.x + 1, y: box.y + 1, width: box.width - 2, height: box.height - 2 } })
                return page.evaluate(async b64 => {
                    const img = new Image()
                    img.src = "data:image/png;base64," + b64
                    await img.decode()
                    const cv = document.createElement("canvas")
                    cv.width = img.width
                    cv.height = img.height
                    const cx = cv.getContext("2d")!
                    cx.drawImage(img, 0, 0)
                    const d = cx.getImageData(0, 0, img.width, img.height).data
                    const sum = [0, 0, 0]
                    for (let k = 0; k < d.length; k += 4) for (let j = 0; j < 3; j++) sum[j] += d[k + j]
                    return sum.map(x => x / (d.length / 4))
                }, png.toString("base64"))
            }
            const free = await mean(63)
            expect(distance(free, rgbOf(SWATCH["."].css))).toBeLessThan(12) // the measure is right on a plain cell
            const seen: Record<string, number[]> = {}
            for (const { i, t } of phantoms) {
                const c = await mean(i)
                seen[t] = [Math.round(distance(c, free)), Math.round(distance(c, rgbOf(SWATCH[t.toUpperCase()].css)))]
            }
            for (const [t, [fromFree, fromLive]] of Object.entries(seen)) {
                expect(fromFree, `${t}: ${JSON.stringify(seen)}`).toBeGreaterThanOrEqual(70)
                expect(fromLive, `${t}: ${JSON.stringify(seen)}`).toBeGreaterThanOrEqual(45)
            }
            const grid = (await page.locator("#grid").boundingBox())!
            await page.screenshot({ path: "test-artifacts/monitor-web-phantom-cells.png", clip: { x: grid.x, y: grid.y, width: grid.width, height: 40 } })
        } finally {
            await page.close()
        }
    })
})
