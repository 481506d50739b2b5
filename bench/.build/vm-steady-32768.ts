import { runVmBench } from "../vm/core"

await runVmBench("steady", 32768, 3000, 10)
