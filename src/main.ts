import * as ds from "@devicescript/core"
import { Pool } from "./index"
async function burn(k: number) {
    await ds.sleep(0)
    let i = 0
    while (i < k) i++
}
const pool = new Pool()
const bmp = pool.bitmap(32, 32, 8)
pool.setRoot("blinka", bmp)
await burn(0)
pool.memInfo(true)
await burn(0)
pool.memInfo(true)
await burn(0)
console.log("collect " + pool.collect())
await burn(10000)
pool.memInfo(false)
await burn(7000)
pool.memInfo(true)
