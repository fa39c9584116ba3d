/**
 * The shapes of KodeLab's REST API (kodelab_jupyter/handlers, kodelab_jupyter/practice.py).
 *
 * The server is the one source of truth: these mirror what it sends, nothing is derived
 * here that the server could disagree with.
 */

/** Difficulty of a challenge. */
export type Difficulty = 'easy' | 'medium' | 'hard';

/** The user's standing on one challenge (catalog entries carry it). */
export interface IProgress {
  attempts: number;
  best_score: number;
  max_score: number | null;
  solved: boolean;
}

/** One entry of GET /kodelab/api/challenges. */
export interface ICatalogEntry {
  id: string;
  title: string;
  difficulty: Difficulty | string;
  category: string;
  tags: string[];
  language: string;
  time_limit_minutes: number;
  progress: IProgress;
}

/** Filters of the catalog and of the random pick (empty values are left out). */
export interface ICatalogFilters {
  q?: string;
  difficulty?: string;
  category?: string;
  tag?: string;
}

/** GET /kodelab/api/challenges/{id} and /challenges/random: the public view. */
export interface IChallengeView {
  id: string;
  title: string;
  difficulty: string;
  category: string;
  tags: string[];
  language: string;
  time_limit_minutes: number;
  statement?: string;
  starter?: string;
  entrypoint?: string | null;
  hidden_test_count?: number;
  hint_count?: number;
  content_hash?: string;
}

/** POST /kodelab/api/challenges/{id}/start. */
export interface IStartResponse {
  path: string;
  started_at: string | null;
  deadline: string | null;
}

/** Per-test status. */
export type TestStatus = 'passed' | 'failed' | 'error' | 'timeout' | 'skipped';

/** The overall verdict names. */
export type VerdictName =
  | 'accepted'
  | 'wrong_answer'
  | 'runtime_error'
  | 'time_limit_exceeded'
  | 'memory_limit_exceeded'
  | 'output_limit_exceeded'
  | 'compile_error'
  | 'internal_error';

/** One test of a Verdict (hidden tests: name and status only, message at most a class name). */
export interface ITestResult {
  name: string;
  visible: boolean;
  status: TestStatus | string;
  points: number;
  max_points: number;
  duration_s: number;
  message?: string;
}

/** The Verdict JSON (DESIGN.md "Verdict"). */
export interface IVerdict {
  verdict: VerdictName | string;
  score: number;
  max_score: number;
  duration_s: number;
  message?: string;
  tests: ITestResult[];
}

/** POST /kodelab/api/submissions (202). */
export interface ISubmitResponse {
  id: number;
  status: string;
  late: boolean;
}

/** GET /kodelab/api/submissions/{id} and the entries of the history. */
export interface ISubmission {
  id: number;
  challenge_id: string;
  status: 'pending' | 'running' | 'done' | string;
  kind: string;
  late: boolean;
  created_at: string | null;
  finished_at: string | null;
  verdict: IVerdict | null;
  /** The submitted answer (history entries only). */
  code?: string;
}

/** GET /kodelab/api/challenges/{id}/hints (and give-up). */
export interface IHints {
  challenge_id: string;
  hints: string[];
  total: number;
  gave_up: boolean;
  solution: string | null;
}

/** POST /kodelab/api/submissions/{id}/restore. */
export interface IRestoreResponse {
  path: string;
  submission_id: number;
}

/** The verdict event on jupyter-server's event bus (kodelab_jupyter/events/verdict.yaml). */
export interface IVerdictEvent {
  submission_id: number;
  challenge_id: string;
  status: string;
  verdict?: string;
  score?: number;
  max_score?: number;
}
