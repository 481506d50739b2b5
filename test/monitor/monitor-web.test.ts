/**
 * The web view in real headless Chromium (launchBrowser(), test/support/browser.ts:
 * the build the npm package @sparticuz/chromium ships, or CHROMIUM_PATH, driven
 * by playwright-core): the grid shows a known dump's blocks in the right
 * places and colours, the timeline steps through the dumps and marks what
 * changed, new dumps arrive live over SSE, and the page asks nothing of the
 * network. The statistics lines and a phantom view (test/fixtures/monitor-stats.rec)
 * on a second page. Screenshots are saved as test-artifacts/monitor-web.png and
 * test-artifacts/monitor-web-phantoms.png.
 */
import { mkdirSync } from "node:fs"
import http from "node:http"
import type { Browser, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { PALETTE, SWATCH } from "../../monitor/views/palette.mjs"
import { MonitorSession } from "../../monitor/protocol/session.mjs"
import { startWeb } from "../../monitor/views/web.mjs"
import { fixtureLines, fixtureText, STATS_FIXTURE } from "./monitor-support"
import { launchBrowser } from "../support/browser"

/** "#8b5cf6" -> "rgb(139, 92, 246)", as getComputedStyle gives it. */
function rgb(hex: string) {
    const n = parseInt(hex.slice(1), 16)
    return `rgb(${n >> 16}, ${(n >> 8) & 255}, ${n & 255})`
}

let browser: Browser
let page: Page
let web: Awaited<ReturnType<typeof startWeb>>
const session = new MonitorSession({ source: "test fixture", idleMs: 0 })
const lines = fixtureLines()
/** Feeds the fixture's lines up to and including the end of dump `n`. */
let fed = 0
function feedThrough(n: number) {
    const end = lines.findIndex(l => new RegExp(`^@${n}:\\d+ end `).test(l))
    session.data(Buffer.from(lines.slice(fed, end + 1).join("\n") + "\n", "latin1"))
    fed = end + 1
}
const requests: string[] = []

/** Each cell's char, type, change mark, background colour and whether it is drawn as a phantom, for some blocks. */
async function cells(indexes: number[], on: Page = page) {
    return on.evaluate(
        ix =>
            ix.map(i => {
                const c = document.querySelector(`#grid [data-i="${i}"]`) as HTMLElement
                const st = getComputedStyle(c)
                return {
                    i,
                    c: c.dataset.c,
                    t: c.dataset.t,
                    change: c.dataset.change ?? " ",
                    bg: st.backgroundColor,
                    phantom: c.classList.contains("ph") && st.backgroundImage.includes("gradient"),
                }
            }),
        indexes
    )
}

async function shownDump(on: Page = page) {
    return on.evaluate(() => Number(document.getElementById("grid")!.dataset.dump))
}

/** The statistics table as { label: value }. */
async function statsTable(on: Page) {
    return on.evaluate(() =>
        Object.fromEntries([...document.querySelectorAll("#stats tr")].map(tr => [...tr.querySelectorAll("td")].map(td => td.textContent)))
    )
}

/** A second session and page: the statistics fixture, all of it. */
const statsSession = new MonitorSession({ source: "stats fixture", idleMs: 0 })
let statsWeb: Awaited<ReturnType<typeof startWeb>>
let page2: Page
const requests2: string[] = []

beforeAll(async () => {
    session.setStatus("connected", "fixture")
    feedThrough(6)
    web = await startWeb(session, { port: 0 })
    browser = await launchBrowser()
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    page.on("request", r => requests.push(r.url()))
    await page.goto(web.url)
    await page.waitForSelector("body[data-ready='1']")

    statsSession.setStatus("connected", "fixture")
    statsSession.data(Buffer.from(fixtureText(STATS_FIXTURE), "latin1"))
    statsWeb = await startWeb(statsSession, { port: 0 })
    page2 = await browser.newPage({ viewport: { width: 1400, height: 1100 } })
    page2.on("request", r => requests2.push(r.url()))
    await page2.goto(statsWeb.url)
    await page2.waitForSelector("body[data-ready='1']")
})

afterAll(async () => {
    await browser?.close()
    await web?.close()
    await statsWeb?.close()
})

describe("the web view", () => {
    test("the grid: one cell per block, in place and in its type's colour", async () => {
        expect(await shownDump()).toBe(6)
        expect(await page.locator("#grid [data-i]").count()).toBe(1024)
        // dump 6 (story step 5): metadata 0-59, the string "best" at 60-61 where the
        // bitmap was, the score and the time at 129-130
        const got = await cells([0, 59, 60, 61, 62, 124, 125, 129, 130, 131, 1023])
        const want = [
            [0, "M", "M"], [59, "M", "M"], [60, "S", "S"], [61, "=", "S"], [62, ".", "."], [124, ".", "."],
            [125, ".", "."], [129, "F", "F"], [130, "F", "F"], [131, ".", "."], [1023, ".", "."],
        ]
        for (const [k, [i, c, t]] of want.entries()) {
            expect(got[k], `block ${i}`).toMatchObject({ i, c, t, bg: rgb(SWATCH[t as string].css) })
        }
        // the legend lists every type with its colour
        for (const s of PALETTE) expect(await page.locator(`#legend [data-char="${s.char}"]`).count()).toBe(1)
        expect(await page.textContent("#stats")).toContain("14,288 B") // largest free run
        // the older format: the monitor's own fragmentation figure, nothing it does not print
        expect(await page.textContent("#fragwhat")).toBe("(1 − largest free run / free)")
        expect(await page.textContent("#phantoms")).toBe("")
        expect(await page.locator("#bytype tr").count()).toBe(0)
        expect(Object.keys(await statsTable(page))).not.toContain("allocations ever")
    })

    test("the timeline steps back and forth, marking what each step changed", async () => {
        // dump 6 vs 5: the string is new, the bitmap's other blocks and the records freed
        let got = await cells([60, 61, 62, 124, 125, 127, 129])
        expect(got.map(x => x.change).join("")).toBe("++----" + " ")
        expect(await page.textContent("#changes")).toMatch(/vs dump 5: \+2 blocks allocated \(1 object heads\), −67 blocks freed/)

        await page.click("#prev")
        expect(await shownDump()).toBe(5)
        got = await cells([60, 61, 124, 125, 127, 129, 130])
        expect(got.map(x => x.t).join("")).toBe("PPPRLFF")
        expect(got[0].bg).toBe(rgb(SWATCH.P.css))
        expect(got.map(x => x.change).join("")).toBe("      +") // dump 5 added the time at 130
        expect(await page.textContent("#sel")).toBe("dump 5 (5/6)")

        await page.keyboard.press("ArrowLeft")
        await page.keyboard.press("ArrowLeft")
        await page.keyboard.press("ArrowLeft")
        expect(await shownDump()).toBe(2)
        got = await cells([60, 125, 127, 129])
        expect(got.map(x => x.change).join("")).toBe("+++ ") // the bitmap, the records and the list are new

        // the slider goes to any dump
        await page.locator("#slider").fill("0")
        expect(await shownDump()).toBe(1)
        expect(await page.textContent("#changes")).toContain("the first dump")
    })

    test("new dumps arrive live; a stepped-back view stays put until 'live'", async () => {
        await page.click("#next") // dump 2, not following
        feedThrough(9)
        await page.waitForFunction(() => document.getElementById("sel")!.textContent === "dump 2 (2/9)")
        expect(await shownDump()).toBe(2)
        await page.click("#live")
        expect(await shownDump()).toBe(9)
        // following again: the next dumps show as they come
        feedThrough(12)
        await page.waitForFunction(() => document.getElementById("grid")!.dataset.dump === "12")
        expect(await page.textContent("#counts")).toContain("12 whole")
        expect(await page.textContent("#log")).toContain("demo: round 48: 118 objects")
    })

    test("a damaged dump is reported; the map stays on the last whole one", async () => {
        session.data(Buffer.from("@13:0 GC: total: 16384, used: 1, free: 2\n@13:2 x\n@13:3 end lines=3 crc=00000000\n"))
        await page.waitForFunction(() => document.getElementById("damage")!.textContent !== "")
        expect(await page.textContent("#damage")).toBe("⚠ dump 13 damaged: lost 1 line of 3 (1); still showing dump 12")
        expect(await shownDump()).toBe(12)
        expect(await page.textContent("#steps")).toContain("⚠ dump 13 damaged")
    })

    test("a screenshot for people to look at; nothing was asked of the network", async () => {
        await page.click("#prev")
        await page.click("#prev") // dump 10, against dump 9
        mkdirSync("test-artifacts", { recursive: true })
        await page.screenshot({ path: "test-artifacts/monitor-web.png", fullPage: true })
        expect(requests.length).toBeGreaterThan(0)
        for (const url of requests) expect(url.startsWith(web.url)).toBe(true)
    })

    test("only loopback Host names are served", async () => {
        const status = await new Promise<number>((resolve, reject) =>
            http
                .get(web.url + "state.json", { headers: { host: "evil.example:80" } }, res => {
                    res.resume()
                    resolve(res.statusCode ?? 0)
                })
                .on("error", reject)
        )
        expect(status).toBe(403)
        const state = await (await fetch(web.url + "state.json")).json()
        expect(state.history).toHaveLength(12)
    })
})

describe("the web view: the statistics lines and a phantom view", () => {
    const select = async (step: number) => {
        await page2.locator("#slider").fill(String(step))
        expect(await shownDump(page2)).toBe(step + 1)
    }
    // dump 3's blocks 44-63: L== r s f A= f A p== l= f a== .
    const BLOCKS = Array.from({ length: 20 }, (_, k) => 44 + k)

    test("the totals, fragmentation, largest allocation and usage by type, by value", async () => {
        // the newest dump (6) is the summary only: its figures, and no map
        expect(await page2.textContent("#statsof")).toBe("· dump 6")
        expect(await page2.textContent("#mapinfo")).toBe("(dump 6 has no map)")
        expect(await statsTable(page2)).toMatchObject({
            "largest allocation now": "7,384 B",
            "allocations ever": "14",
            "released by free()": "1",
            "swept by collections": "10",
            "collector work, all told": "842",
            "collector time, all told": "0 ms",
            compactions: "1",
        })
        await select(0) // dump 1: three free runs
        expect(await page2.textContent("#fragpct")).toBe("0.9 %")
        expect(await page2.textContent("#fragwhat")).toBe("(100 − 100·√Σ run² / Σ run, the device's figure)")
        expect(await page2.evaluate(() => (document.querySelector("#fragbar div") as HTMLElement).style.width)).toBe("0.9%")
        expect(await statsTable(page2)).toMatchObject({ "largest allocation now": "7,320 B", "allocations ever": "6", "swept by collections": "2", compactions: "0" })
        const byType = await page2.evaluate(() =>
            Object.fromEntries([...document.querySelectorAll("#bytype tr[data-type]")].map(tr => [(tr as HTMLElement).dataset.type, [...tr.querySelectorAll("td.v")].map(td => td.textContent)]))
        )
        expect(byType).toEqual({
            bytes: ["2", "48 B"],
            string: ["0", "0 B"],
            number: ["0", "0 B"],
            bitmap: ["0", "0 B"],
            list: ["1", "48 B"],
            record: ["0", "0 B"],
        })
        // each type's swatch is its map colour
        expect(await page2.evaluate(() => getComputedStyle(document.querySelector("#bytype tr[data-type=list] .sw")!).backgroundColor)).toBe(rgb(SWATCH.L.css))
        expect(await page2.textContent("#phantoms")).toBe("")
    })

    test("a phantom view: phantoms striped in their own colours, counted; the same pool live again unchanged", async () => {
        await select(2) // dump 3, the phantom view
        expect(await page2.textContent("#mapinfo")).toBe("· dump 3 · 512 blocks of 16 bytes · phantom view")
        expect(await page2.textContent("#phantoms")).toBe("phantom view: 8 objects, 208 B a collection would free")
        expect((await statsTable(page2)).phase).toBe("hold")
        const got = await cells(BLOCKS, page2)
        expect(got.map(x => x.c).join("")).toBe("L==rsfA=fAp==l=fa==.")
        expect(got.map(x => x.t).join("")).toBe("LLLrsfAAfApppllfaaa.")
        for (const x of got) {
            const t = x.t as string
            expect(x, `block ${x.i}`).toMatchObject({ bg: rgb(SWATCH[t].css), phantom: t >= "a" && t <= "z", change: " " })
            if (x.phantom) expect(x.bg, `block ${x.i}`).not.toBe(rgb(SWATCH[t.toUpperCase()].css))
        }
        expect(await page2.textContent("#changes")).toContain("+0 blocks allocated (0 object heads), −0 blocks freed")
        // the legend: every phantom letter, with its blocks counted, and what phantoms are
        const counts = await page2.evaluate(() =>
            Object.fromEntries([..."asfplr"].map(c => [c, document.querySelector(`#legend [data-char="${c}"] small`)!.textContent]))
        )
        expect(counts).toEqual({ a: "3", s: "1", f: "3", p: "3", l: "2", r: "1" })
        expect(await page2.textContent("#legend")).toContain("phantoms: unreachable objects a collection would free")
        await page2.hover('#grid [data-i="54"]')
        expect(await page2.textContent("#hover")).toBe(
            "block 54 · offset 0x360 (864) · phantom bitmap (head), object at block 54, 3 blocks (48 bytes): unreachable, a collection would free it"
        )
        expect(await page2.textContent("#steps")).toContain("dump 3 · used 1,008 · free runs 1 · objects 11 · collections 1 · phantoms 8")
        mkdirSync("test-artifacts", { recursive: true })
        await page2.screenshot({ path: "test-artifacts/monitor-web-phantoms.png", fullPage: true })

        await page2.click("#next") // dump 4: the same pool, by memInfo
        expect(await shownDump(page2)).toBe(4)
        const live = await cells(BLOCKS, page2)
        expect(live.map(x => x.c).join("")).toBe("L==RSFA=FAP==L=FA==.")
        for (const x of live) expect(x, `block ${x.i}`).toMatchObject({ bg: rgb(SWATCH[x.t as string].css), phantom: false, change: " " })
        expect(await page2.textContent("#phantoms")).toBe("")
        for (const url of requests2) expect(url.startsWith(statsWeb.url)).toBe(true)
    })
})
