import * as tf from '@tensorflow/tfjs';
import pkg from '../../package.json';
import type { RunVersions } from './types';

export const APP_VERSION: string = pkg.version;

export function appVersions(): RunVersions {
  return { app: APP_VERSION, tfjs: tf.version.tfjs, node: process.versions.node };
}
