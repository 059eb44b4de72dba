/**
 * A problem with a whole dataset or split request, worded for the researcher (the UI and CLI show
 * the message as is).
 */
export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}
