/**
 * The web view's object graph and heap diff in real headless Chromium
 * (launchBrowser(), test/support/browser.ts), on hand-written heap dumps
 * (test/monitor/heap-support.ts) between map dumps: clicking an object shows
 * its retainer path, a phantom says it has none, the diff of the two newest
 * heap dumps and of two chosen ones, a torn and a damaged heap dump said so,
 * a new heap dump arriving live, and the map still drawn. Screenshot:
 * test-artifacts/monitor-web-graph.png.
 */
import { mkdirSync } from "node:fs"
import type { Browser, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { MonitorSession } from "../../monitor/protocol/session.mjs"
import { startWeb } from "../../monitor/views/web.mjs"
import { launchBrowser } from "../support/browser"
import { framed, HAND_DUMP, LATER_DUMP } from "./heap-support"
import { fixtureLines, STATS_FIXTURE } from "./monitor-support"

/** The statistics fixture's dump 1 (a map dump), renumbered. */
function mapDump(n: number) {
    const texts = fixtureLines(STATS_FIXTURE)
        .map(l => /^@1:\d+ (.*)$/.exec(l)?.[1])
        .filter((t): t is string => t !== undefined && !t.startsWith("end lines="))
    return framed(n, texts)
}


let browser: Browser
let page: Page
let web: Awaited<ReturnType<typeof startWeb>>
const session = new MonitorSession({ source: "heap test", idleMs: 0 })
const requests: string[] = []
const feed = (lines: string[]) => session.data(Buffer.from(lines.join("\n") + "\n", "latin1"))

beforeAll(async () => {
    session.setStatus("connected", "test")
    feed([...mapDump(1), ...framed(2, HAND_DUMP), ...mapDump(3), ...framed(4, LATER_DUMP)])
    web = await startWeb(session, { port: 0 })
    browser = await launchBrowser()
    page = await browser.newPage({ viewport: { width: 1400, height: 1400 } })
    page.on("request", r => requests.push(r.url()))
    await page.goto(web.url)
    await page.waitForSelector("body[data-ready='1']")
})

afterAll(async () => {
    await browser?.close()
    await web?.close()
})

const text = (sel: string) => page.textContent(sel).then(t => t ?? "")
const rows = (sel: string) =>
    page.evaluate(s => [...document.querySelectorAll(`${s} tr[data-type]`)].map(tr => [...tr.querySelectorAll("td")].map(td => td.textContent)), sel)

describe("the object graph in the web view", () => {
    test("the newest heap dump's objects, phantoms marked; the map is still drawn from the map dumps", async () => {
        expect(await page.isVisible("#graphsec")).toBe(true)
        expect(await text("#heapsel")).toBe("heap dump 4 (2/2)")
        expect(await page.locator("#grid [data-i]").count()).toBeGreaterThan(0)
        expect(await page.evaluate(() => document.getElementById("grid")!.dataset.dump)).toBe("3")
        expect(await page.locator("#objects tr[data-handle]").count()).toBe(13)
        // 2305 (the Empty record) was held by a temporary in heap dump 2; in 4 nothing holds it, nor 4609 or 5121
        const phantoms = await page.evaluate(() => [...document.querySelectorAll("#objects tr.phantom")].map(tr => (tr as HTMLElement).dataset.handle))
        expect(phantoms).toEqual(["2305", "4609", "5121"])
        expect(await text("#heapsummary")).toContain("13 objects (196 B) · 3 phantoms (28 B)")
        expect(await text("#roots")).toBe("roots: game #257 · best #1793 · temporaries: none")
    })

    test("clicking an object shows its retainer path; a phantom has none; a handle in the refs selects its object", async () => {
        await page.click('#objects tr[data-handle="4353"]')
        expect(await page.getAttribute("#path", "data-path")).toBe("root game → #257 .items → #769 [5] → #4353")
        expect(await text("#path")).toContain("retainer path of #4353 (2 refs)")
        expect(await page.getAttribute('#objects tr[data-handle="4353"]', "class")).toContain("selected")
        await page.click('#objects tr[data-handle="4609"]')
        expect(await page.getAttribute("#path", "data-path")).toBe("none")
        expect(await text("#path")).toContain("it is a phantom")
        // the Player at 1793's ref .name: a link to 2049
        await page.click('#objects tr[data-handle="1793"] a.h[data-h="2049"]')
        expect(await page.getAttribute("#path", "data-path")).toBe("root best → #1793 .name → #2049")
        // stepping back to heap dump 2: the temporary holds 2305 there
        await page.click("#hprev")
        expect(await text("#heapsel")).toBe("heap dump 2 (1/2)")
        await page.click('#objects tr[data-handle="2305"]')
        expect(await page.getAttribute("#path", "data-path")).toBe("temp 0 → #2305")
        await page.click("#hlive")
        expect(await text("#heapsel")).toBe("heap dump 4 (2/2)")
        expect(await page.getAttribute("#path", "data-path")).toBe("none") // 2305 is a phantom in dump 4
    })

    test("the diff of the two newest heap dumps: born and reached by type and size, born unreachable, freed", async () => {
        expect(await page.getAttribute("#diffsec", "data-from")).toBe("2")
        expect(await page.getAttribute("#diffsec", "data-to")).toBe("4")
        expect(await text("#borntitle")).toBe("Born and still reached (leak suspects): 3 objects, 80 B")
        expect(await rows("#born")).toEqual([
            ["string", "20 B", "2", "40 B", "#4097 #4353"], // as many bytes as the next: more objects first
            ["bytes", "40 B", "1", "40 B", "#66817"],
        ])
        expect(await rows("#borndead")).toEqual([
            ["string", "20 B", "1", "20 B", "#4609"],
            ["number", "8 B", "1", "8 B", "#5121"],
        ])
        expect(await text("#freedtitle")).toBe("Freed: 4 objects, 160 B")
        expect(await rows("#freed")).toEqual([
            ["bytes", "100 B", "1", "100 B", "#3585"],
            ["bytes", "40 B", "1", "40 B", "#1281"],
            ["record Player", "12 B", "1", "12 B", "#3329"],
            ["list", "8 B", "1", "8 B", "#3073"],
        ])
        // a freed handle, clicked: the graph shows the heap dump that holds it
        await page.click('#freed a.h[data-h="1281"]')
        expect(await text("#heapsel")).toBe("heap dump 2 (1/2)")
        expect(await page.getAttribute("#path", "data-path")).toBe("root game → #257 .items → #769 [2] → #1281")
        await page.click("#hlive")
    })

    test("new heap dumps arrive live: a torn one is said to be so, the diff follows the newest two, or two chosen ones", async () => {
        feed(framed(5, [...HAND_DUMP, " torn 2"]))
        await page.waitForFunction(() => document.getElementById("heapsel")!.textContent === "heap dump 5 (3/3)")
        expect(await text("#heaptorn")).toContain("changed while it was taken (2 changes)")
        expect(await page.getAttribute("#diffsec", "data-from")).toBe("4")
        expect(await text("#difftorn")).toContain("this diff may be wrong")
        // two chosen ones: heap dump 2 against itself... then 2 against 4 again
        await page.selectOption("#diffa", { label: "heap dump 2" })
        await page.selectOption("#diffb", { label: "heap dump 4" })
        expect(await page.getAttribute("#diffsec", "data-from")).toBe("2")
        expect(await page.getAttribute("#diffsec", "data-to")).toBe("4")
        expect(await text("#difftorn")).toBe("")
        expect(await text("#borntitle")).toBe("Born and still reached (leak suspects): 3 objects, 80 B")
        await page.click("#diffnewest")
        expect(await page.getAttribute("#diffsec", "data-from")).toBe("4")
        // a damaged heap dump: reported, the last whole one stays
        feed(framed(6, HAND_DUMP).filter((_, i) => i !== 3))
        feed(mapDump(7))
        await page.waitForFunction(() => document.getElementById("heapdamage")!.textContent !== "")
        expect(await text("#heapdamage")).toBe("⚠ heap dump 6 damaged: lost 1 line of 20 (3); still showing heap dump 5")
        expect(await text("#heapsel")).toBe("heap dump 5 (3/3)")
        expect(await text("#damage")).toBe("") // the map's own damage line is for map dumps
    })

    test("a screenshot for people to look at; nothing was asked of the network", async () => {
        await page.click('#objects tr[data-handle="1537"]')
        mkdirSync("test-artifacts", { recursive: true })
        await page.screenshot({ path: "test-artifacts/monitor-web-graph.png", fullPage: true })
        const origin = new URL(web.url).origin
        expect(requests.filter(u => !u.startsWith(origin))).toEqual([])
    })
})
