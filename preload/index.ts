/**
 * Preload (sandboxed): exposes exactly the contract as `window.api` — one invoke for requests and
 * event subscriptions with unsubscribe. Nothing else of Electron or Node reaches the page.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL, type WorkbenchApi } from '../main/api/contract';

type InvokeReply = { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } };

const api: WorkbenchApi = {
  async invoke(name, args) {
    const reply = (await ipcRenderer.invoke(IPC_INVOKE_CHANNEL, name, args)) as InvokeReply;
    if (!reply.ok) throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
    return reply.value as never;
  },
  on(event, listener) {
    const wrapped = (_e: IpcRendererEvent, name: string, payload: unknown) => {
      if (name === event) listener(payload as never);
    };
    ipcRenderer.on(IPC_EVENT_CHANNEL, wrapped);
    return () => ipcRenderer.removeListener(IPC_EVENT_CHANNEL, wrapped);
  },
};

contextBridge.exposeInMainWorld('api', api);
