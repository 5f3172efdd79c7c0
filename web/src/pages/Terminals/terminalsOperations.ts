// The GraphQL operations of the Terminals page, typed from the schema. The list and opening or
// closing go as POSTs; keystrokes and sizes go over the one socket the output streams on.
import { type GraphQLRequestError, mutateOverSocket, query, subscribe } from "../../lib/graphql";
import { graphql, type ResultOf, type SchemaEnum } from "../../lib/operation";

const TERMINAL_FIELDS =
  "id ownerId ownerName command cols rows createdAt lastActivityAt viewers running exitCode access shares { userId username mode }";

const TERMINALS = graphql(`query Terminals { terminals { ${TERMINAL_FIELDS} } }`);
export type TerminalSummary = ResultOf<typeof TERMINALS>["terminals"][number];

const OPEN = graphql(
  `mutation OpenTerminal($cols: Int!, $rows: Int!, $command: String, $cwd: String, $programId: ID) { openTerminal(cols: $cols, rows: $rows, command: $command, cwd: $cwd, programId: $programId) { ${TERMINAL_FIELDS} } }`,
);
const PARTNERS = graphql("query TerminalSharePartners { terminalSharePartners { userId username } }");
export type SharePartner = ResultOf<typeof PARTNERS>["terminalSharePartners"][number];
const SHARE = graphql(
  `mutation ShareTerminal($id: ID!, $userId: ID!, $mode: TerminalShareMode!) { shareTerminal(id: $id, userId: $userId, mode: $mode) { ${TERMINAL_FIELDS} } }`,
);
export type ShareMode = SchemaEnum<"TerminalShareMode">;
const CLOSE = graphql(`mutation CloseTerminal($id: ID!) { closeTerminal(id: $id) { ${TERMINAL_FIELDS} } }`);
const WRITE = graphql("mutation WriteTerminal($id: ID!, $data: String!) { writeTerminal(id: $id, data: $data) }");
const RESIZE = graphql(
  "mutation ResizeTerminal($id: ID!, $cols: Int!, $rows: Int!) { resizeTerminal(id: $id, cols: $cols, rows: $rows) { id } }",
);

const OUTPUT = graphql("subscription TerminalOutput($id: ID!) { terminalOutput(id: $id) { data reset exited exitCode } }");
export type TerminalOutputChunk = ResultOf<typeof OUTPUT>["terminalOutput"];

export interface OpenTerminalInput {
  cols: number;
  rows: number;
  command: string | null;
  cwd: string | null;
  programId: string | null;
}

export const fetchTerminals = async () => (await query(TERMINALS)).terminals;
export const openTerminal = async (input: OpenTerminalInput) => (await query(OPEN, { ...input })).openTerminal;
export const fetchSharePartners = async () => (await query(PARTNERS)).terminalSharePartners;
export const shareTerminal = async (id: string, userId: string, mode: ShareMode) =>
  (await query(SHARE, { id, userId, mode })).shareTerminal;
export const closeTerminal = async (id: string) => (await query(CLOSE, { id })).closeTerminal;
export const writeTerminal = (id: string, data: string) => mutateOverSocket(WRITE, { id, data });
export const resizeTerminal = (id: string, cols: number, rows: number) => mutateOverSocket(RESIZE, { id, cols, rows });

/** Follows a terminal's output: the kept scrollback first (reset), then live, until it exits. */
export function followTerminalOutput(
  id: string,
  onChunk: (chunk: TerminalOutputChunk) => void,
  onError: (error: GraphQLRequestError) => void,
) {
  return subscribe(OUTPUT, { id }, (data) => onChunk(data.terminalOutput), onError);
}
