/** A one-line error about what was asked of an analysis (bad checkpoint path, changed dataset, bad layer or index). */
export class AnalysisError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AnalysisError';
  }
}
