// The GraphQL operations of the Programs page, typed from the schema. Programs are uploaded in a
// multipart request, or installed from a file uploaded resumably; run output streams over the
// subscription socket.
import { type GraphQLRequestError, postWithFile, query, subscribe } from "../../lib/graphql";
import { graphql, type ResultOf, type SchemaEnum } from "../../lib/operation";

const PROGRAM_FIELDS = "id name entryPath interpreter sizeBytes fileCount runCount";
const RUN_FIELDS = "id kind programName command status exitCode signal error timeoutSeconds startedBy startedByName createdAt durationMs";

const PROGRAMS = graphql(`query Programs { programs(first: 200) { nodes { ${PROGRAM_FIELDS} } } }`);
export type ProgramSummary = ResultOf<typeof PROGRAMS>["programs"]["nodes"][number];

const PROGRAM = graphql(`query Program($id: ID!) { program(id: $id) { ${PROGRAM_FIELDS} files { path sizeBytes } } }`);
export type ProgramDetail = NonNullable<ResultOf<typeof PROGRAM>["program"]>;

const UPLOAD = graphql(`mutation UploadProgram($file: File!) { uploadProgram(file: $file) { ${PROGRAM_FIELDS} } }`);
const INSTALL = graphql(`mutation InstallProgram($fileId: ID!) { installProgram(fileId: $fileId) { ${PROGRAM_FIELDS} } }`);
const SET_ENTRY = graphql("mutation SetProgramEntry($id: ID!, $path: String!) { setProgramEntry(id: $id, path: $path) { id } }");
const DELETE = graphql("mutation DeleteProgram($id: ID!) { deleteProgram(id: $id) }");

const RUNS = graphql(
  `query Runs($programId: ID, $status: RunStatus) { runs(programId: $programId, status: $status, first: 50) { nodes { ${RUN_FIELDS} } } }`,
);
export type RunSummary = ResultOf<typeof RUNS>["runs"]["nodes"][number];
export type RunStatus = SchemaEnum<"RunStatus">;

const RUN_LIMITS = graphql("query RunLimits { runLimits { maxStdinBytes defaultTimeoutSeconds maxTimeoutSeconds } }");
const START_RUN = graphql(
  `mutation StartRun($programId: ID!, $args: [String!], $env: JSON, $stdin: String, $timeoutSeconds: Int) {
    startRun(programId: $programId, args: $args, env: $env, stdin: $stdin, timeoutSeconds: $timeoutSeconds) { ${RUN_FIELDS} }
  }`,
);
const EXEC = graphql(
  `mutation Exec($command: String!, $cwd: String, $timeoutSeconds: Int) { exec(command: $command, cwd: $cwd, timeoutSeconds: $timeoutSeconds) { ${RUN_FIELDS} } }`,
);
const CANCEL = graphql(`mutation CancelRun($id: ID!) { cancelRun(id: $id) { ${RUN_FIELDS} } }`);

const RUN_EVENTS = graphql(`subscription RunEvents { runEvents { ${RUN_FIELDS} program { id } } }`);
const RENAME = graphql(`mutation RenameProgram($id: ID!, $name: String!) { renameProgram(id: $id, name: $name) { ${PROGRAM_FIELDS} } }`);

const RUN_OUTPUT = graphql(`subscription RunOutput($runId: ID!) {
  runOutput(runId: $runId) { seq kind stream text droppedBytes run { ${RUN_FIELDS} } }
}`);
export type RunOutputChunk = ResultOf<typeof RUN_OUTPUT>["runOutput"];

export const fetchPrograms = async () => (await query(PROGRAMS)).programs.nodes;
export const fetchProgram = async (id: string) => (await query(PROGRAM, { id })).program;
export const uploadProgram = async (file: File, onProgress: (sent: number) => void) =>
  (await postWithFile(UPLOAD, {}, file, onProgress)).uploadProgram;
export const installProgram = async (fileId: string) => (await query(INSTALL, { fileId })).installProgram;
export const setProgramEntry = (id: string, path: string) => query(SET_ENTRY, { id, path });
export const deleteProgram = (id: string) => query(DELETE, { id });
export const fetchRuns = async (programId: string | null, status: RunStatus | null) =>
  (await query(RUNS, { programId, status })).runs.nodes;
export const fetchRunLimits = async () => (await query(RUN_LIMITS)).runLimits;

/** What a run of a program is started with; a null stdin or timeout is none, or the server's default. */
export interface RunRequest {
  args: string[];
  env: Record<string, string>;
  stdin: string | null;
  timeoutSeconds: number | null;
}
export const startRun = async (programId: string, request: RunRequest) => (await query(START_RUN, { programId, ...request })).startRun;

/** A shell command; cwd a program's id or an absolute folder, null for the server's home folder. */
export interface CommandRequest {
  command: string;
  cwd: string | null;
  timeoutSeconds: number | null;
}
export const execCommand = async (request: CommandRequest) => (await query(EXEC, request)).exec;
export const cancelRun = async (id: string) => (await query(CANCEL, { id })).cancelRun;

export const renameProgram = async (id: string, name: string) => (await query(RENAME, { id, name })).renameProgram;

/** Every run's changes of state (queued, running, ended) as they happen. */
export function watchRunEvents(
  onRun: (run: ResultOf<typeof RUN_EVENTS>["runEvents"]) => void,
  onError: (error: GraphQLRequestError) => void,
) {
  return subscribe(RUN_EVENTS, {}, (data) => onRun(data.runEvents), onError);
}

/** Follows a run's output from its start (what was kept, then live) until its end. */
export function followRunOutput(runId: string, onChunk: (chunk: RunOutputChunk) => void, onError: (error: GraphQLRequestError) => void) {
  return subscribe(RUN_OUTPUT, { runId }, (data) => onChunk(data.runOutput), onError);
}
