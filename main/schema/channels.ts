/** Where the doors' messages travel: the Electron IPC channels and serve mode's WebSocket path and token parameter. */

export const IPC_INVOKE_CHANNEL = 'ser:invoke';
export const IPC_EVENT_CHANNEL = 'ser:event';

export const SERVE_SOCKET_PATH = '/api';
export const SERVE_TOKEN_PARAM = 'token';
/** GET with `?token=`: 204 when the token is right, 401 when not (a browser cannot read a refused socket's status). */
export const SERVE_TOKEN_CHECK_PATH = '/api/token-check';
