export { ListenSession, type ListenSessionOptions } from './session';
export { DEFAULT_LISTEN_SETTINGS, modelWindowS, resolveListenSettings, VECTOR_WINDOW_S, type ResolvedListenSettings } from './settings';
export { Recording } from './recording';
export { LiveListening, loadListenPredictor } from './live';
