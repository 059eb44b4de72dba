/** Gets the tests a WebGPU adapter: Chromium's SwiftShader ICD where no Vulkan driver is chosen. */
import { existsSync } from 'node:fs';
import { requestAdapter } from '../../main/compute/webgpu';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** The environment a child process needs to find the same adapter. */
export function webgpuEnv(): NodeJS.ProcessEnv {
  if (process.platform === 'linux' && !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
    return { ...process.env, VK_ICD_FILENAMES: SWIFTSHADER_ICD };
  }
  return process.env;
}

/** Null when an adapter can be had (setting VK_ICD_FILENAMES for this process first), else why not. */
export async function webgpuSkipReason(): Promise<string | null> {
  const icd = webgpuEnv().VK_ICD_FILENAMES;
  if (icd) process.env.VK_ICD_FILENAMES = icd;
  try {
    await requestAdapter();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
