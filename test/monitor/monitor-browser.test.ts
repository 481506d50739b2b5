/**
 * The browser the web-view tests use (test/support/browser.ts): the Chromium
 * build inside the npm package @sparticuz/chromium unless CHROMIUM_PATH names
 * another, and a clear error, never a skip, when it cannot start.
 */
import { afterEach, describe, expect, test } from "vitest"
import { chromiumPath, launchBrowser } from "../support/browser"

const saved = process.env.CHROMIUM_PATH
afterEach(() => {
    if (saved === undefined) delete process.env.CHROMIUM_PATH
    else process.env.CHROMIUM_PATH = saved
})

describe("launchBrowser()", () => {
    test("starts headless Chromium and renders a page", async () => {
        const browser = await launchBrowser()
        try {
            const page = await browser.newPage()
            await page.setContent("<p id=p>poolgc</p>")
            expect(await page.textContent("#p")).toBe("poolgc")
            expect(browser.version()).toMatch(/^\d+\./)
        } finally {
            await browser.close()
        }
        if (saved === undefined) expect(await chromiumPath()).toMatch(/node_modules\/\.cache\/poolgc-chromium\/[\d.]+\/chromium$/)
    })

    test("CHROMIUM_PATH that is not there: an error naming it", async () => {
        process.env.CHROMIUM_PATH = "/nonexistent/chromium"
        await expect(launchBrowser()).rejects.toThrow("CHROMIUM_PATH=/nonexistent/chromium: no such file")
    })

    test("a binary that is no browser: an error naming it", async () => {
        process.env.CHROMIUM_PATH = "/bin/false"
        await expect(launchBrowser({ timeout: 30000 })).rejects.toThrow(/^cannot start Chromium \(\/bin\/false\): /)
    })
})
