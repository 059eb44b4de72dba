import type { Plugin } from 'vite';

export function assembleWat(file: string, options?: { unshared?: boolean }): Promise<Uint8Array>;
export function watPlugin(): Plugin;
