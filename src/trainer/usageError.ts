// A setting the user must change (a flag, a value that does not fit the data): one line naming the flag, exit
// code 2. Thrown by the argument parser and by the commands that check settings against the data.
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
