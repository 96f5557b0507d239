// A stop request (SIGINT/SIGTERM) unwinds the epoch loop at the next batch; the session then records `stopped`.
export class StopRequested extends Error {
  constructor() {
    super('stop requested');
  }
}
