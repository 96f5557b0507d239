// One error type for every way a PyTorch checkpoint can be unreadable or refused: its message is one line that
// names the file (the CLI prints it as is).
export class PytorchCheckpointError extends Error {
  constructor(message: string) {
    super(message.split('\n')[0]);
    this.name = 'PytorchCheckpointError';
  }
}
