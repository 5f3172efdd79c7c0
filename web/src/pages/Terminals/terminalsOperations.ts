// The GraphQL operations of the Terminals page, typed from the schema: the list, opening, sharing
// and closing. Keystrokes, sizes and output go over the terminal's own socket (lib/terminalSocket).
import { query } from "../../lib/graphql";
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
