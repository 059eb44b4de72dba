/**
 * Studies: cross-validation folds × seeds × a grid of training settings as one experiment. The
 * engine functions every door calls (CLI now, the app's Studies view through the contract later).
 */
export { STUDY_FILE } from '../../schema/files';
export { createStudy, type CreateStudyOptions } from './create';
export {
  readStudy,
  parseProtocol,
  protocolLabel,
  STUDY_FORMAT_VERSION,
  type StudyFile,
  type StudyFold,
  type StudyProtocol,
} from './format';
export { parseGridOption, expandGrid, cellLabel, type GridAxis, type GridValue, type CellOverrides } from './grid';
export { studyMembers, studyCells, excludedCells, memberFeatureConfig, type StudyMember, type StudyCell } from './members';
export { partitionCells, type ExcludedCell } from './compatibility';
export { studyTableCsv, studyTableLatex, type StudyTable, type StudyTableRow, type BaselineTest } from './table';
export { runStudyMember, type MemberOutcome, type RunMemberOptions } from './member';
export { acquireStudyLock, describeRunner, studyRunner, StudyBusyError, STUDY_LOCK_FILE, type StudyRunner } from './lock';
export { listStudyMembers, studyStatus, type MemberState, type MemberStatus, type StudyStatus } from './status';
export {
  parseFusion,
  ReportOptionError,
  studyReport,
  studyReportCsv,
  studyReportLatex,
  type CellReport,
  type FusedCellReport,
  type StudyReport,
  type StudyReportOptions,
} from './report';
export {
  prepareStudyFeatures,
  runStudyLocal as runStudy,
  runStudyLocal,
  submitStudySlurm,
  defaultParallel,
  threadsPerMember,
  waitForStudy,
  type LocalEvent,
  type LocalRunOptions,
  type LocalRunResult,
  type MemberLauncher,
  type SlurmRunOptions,
  type SlurmSubmission,
} from './executors';
export { slurmScript, compressIndices, type SlurmResources } from './slurm';
export { saveStudyFusedRun, type StudyFusedRunOptions } from './fusedRun';
