export * from './config';
export * from './engine';
export * from './events';
export * from './run';
export * from './analysis';
export type { PytorchReportJson } from './pytorch';
