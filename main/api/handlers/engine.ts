/**
 * What every area's handlers share: the engine's context and state, and `request`, which pairs a
 * request's argument table with the handler that receives the checked arguments.
 */
import type { EvaluationSourceOptions } from '../../pipeline/evaluations';
import type { EmotionPredictor, FusedPredictor } from '../../pipeline/inference';
import type { LiveListening } from '../../pipeline/listen';
import type { MemberLauncher } from '../../pipeline/study';
import type { EvaluationReport } from '../../evaluation/report';
import { CHECKPOINT_NAMES } from '../../runs/types';
import { SCHEME_CHOICES } from '../../schema/datasetSchemes';
import type { ArgsOf, ArgSpec, FieldSpec, InputArgsOf } from '../args';
import type { ApiRequests, CheckpointRef, RequestName } from '../contract';
import type { Emit, JobManager } from '../jobs';
import type { Workspace } from '../workspace';

/** What only the desktop shell can do; absent in serve mode. */
export interface DialogProvider {
  pickFolder(title?: string): Promise<string | null>;
  pickFiles(options: { title?: string; audioOnly?: boolean }): Promise<string[]>;
  reveal(path: string): Promise<void>;
}

export interface EngineContext {
  appVersion: string;
  door: 'electron' | 'serve';
  workspace: Workspace;
  emit: Emit;
  dialogs?: DialogProvider;
  /** Desktop only: hands over (and forgets) the audio files the OS opened the app with. */
  takeOpenedFiles?: () => string[];
  /** How study member processes start (default: this app's CLI with the same Node or Electron binary). */
  memberLauncher?: MemberLauncher;
}

/** The engine's state the handlers work with. */
export interface EngineState {
  ctx: EngineContext;
  workspace: Workspace;
  jobs: JobManager;
  /** A run's folder in the runs folder; `not-found` when it holds no run. */
  runDir(runId: string): string;
  evaluationSource(): EvaluationSourceOptions;
  /** A checkpoint's evaluation (computed once), its clips allowed for viewing. */
  evaluation(ref: CheckpointRef): Promise<EvaluationReport>;
  /**
   * The loaded predictor of a checkpoint (one held at a time), its encoder read from `encoderDir`
   * when given; a missing or changed encoder folder is an 'encoder-needed' ApiError.
   */
  predictorFor(ref: CheckpointRef, encoderDir?: string): Promise<EmotionPredictor | FusedPredictor>;
  /** The live listening session (one at a time). */
  listening: LiveListening;
}

/**
 * One request of an area: its argument table and its handler. `accepts` and `lists` exist for the
 * compiler only: an area's table must accept every argument object its contract allows, and list
 * every field the contract declares (a field left out would never reach the handler).
 */
export interface AreaRequest<R, A = unknown, F extends PropertyKey = never> {
  args: ArgSpec;
  run(engine: EngineState, args: never): Promise<R>;
  accepts?: (args: A) => void;
  lists?: (field: F) => void;
}

/** The fields an argument type names (none for a request without arguments, typed `Record<string, never>`). */
type DeclaredFields<A> = string extends keyof A ? never : keyof A;

export type AreaTable<N extends RequestName> = {
  [K in N]: AreaRequest<ApiRequests[K]['result'], ApiRequests[K]['args'], DeclaredFields<ApiRequests[K]['args']>>;
};

/** Pairs an argument table with its handler, which gets the arguments as the table types them. */
export function request<S extends ArgSpec, R>(
  args: S,
  run: (engine: EngineState, args: ArgsOf<S>) => Promise<R>,
): AreaRequest<R, InputArgsOf<S>, keyof S> {
  return { args, run };
}

/** The checkpoint a request names (run id and checkpoint), as argument table fields. */
export const CHECKPOINT_REF = {
  runId: { kind: 'runId' },
  checkpoint: { kind: 'enum', values: CHECKPOINT_NAMES },
} as const satisfies ArgSpec;

/** How a request's dataset folder is read (`auto` when absent). */
export const SCHEME_FIELD = { kind: 'enum', values: SCHEME_CHOICES, optional: true } as const satisfies FieldSpec;
