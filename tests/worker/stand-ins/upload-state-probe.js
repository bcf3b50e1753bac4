// Test entry for tests/worker/upload_state.test.js: the Worker unchanged,
// and UploadState with two readers more, which no production caller needs:
// alarmAt(), the alarm's time (ms) or null, and tailRows(), the tail's rows as
// [{start, n}] (n: bytes in the row).
import { UploadState } from "../../../worker-shim/upload_state.js";
export { default, UploadState } from "../../../worker-shim/index.js";

export class UploadStateProbe extends UploadState {
  alarmAt() {
    return this.ctx.storage.getAlarm();
  }

  tailRows() {
    return this.ctx.storage.sql.exec("SELECT start, length(bytes) AS n FROM tail ORDER BY start").toArray();
  }
}
