/**
 * Run first in every Node build of the device code (host/seam.mjs: a vitest
 * setup file, injected into the bench's bundles): gives Node's Buffer the
 * VM's getAt/setAt/fillAt/blitAt before any device code runs.
 */
import { installBufferMethods } from "./platform"

installBufferMethods()
