import { runVmBench } from "../vm/core"

await runVmBench("steady", 16384, 3000, 10)
