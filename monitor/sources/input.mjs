/**
 * What every source (board, simulator, recording) talks to, and what it gives
 * back. The CLI makes the input: it feeds the session and, with --record, the
 * recording.
 *
 * @typedef {{ data: (chunk: Uint8Array) => void,
 *   status: (state: import("../protocol/session.mjs").Status["state"], detail?: string) => void }} SourceInput
 * @typedef {{ done: Promise<{ ok: boolean, message?: string }>, stop: () => Promise<void> }} Source
 *   `done` settles (never rejects) when the source ends by itself or after stop();
 *   `ok` is false when it ended in failure (the simulator panicked, say).
 */

/**
 * An input that feeds the session and, when given, a recording writer.
 * @param {import("../protocol/session.mjs").MonitorSession} session
 * @param {import("../protocol/recording.mjs").RecordingWriter | null} recorder
 * @returns {SourceInput}
 */
export function sessionInput(session, recorder) {
    return {
        data: chunk => {
            recorder?.data(chunk)
            session.data(chunk)
        },
        status: (state, detail) => {
            if (state !== "ended") recorder?.event(state, detail)
            session.setStatus(state, detail)
        },
    }
}
