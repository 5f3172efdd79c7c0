// The terminal's own socket protocol (`outpost-terminal`), beside graphql-ws: keystrokes, sizes and
// output as short text frames, without a GraphQL operation per keystroke. Same access as the
// GraphQL fields (the `terminals` permission, checked at the upgrade; the socket closes when the
// credential ends), same service rules (sharing, read-only, limits), and every attach is audited.
//
// Frames are text; the first character says what the rest is.
//   client → server: `a<id>` attach (first, once) · `i<data>` input · `s<cols>x<rows>` size
//   server → client: `r<data>` the scrollback (clear first) · `o<data>` output ·
//                    `x<exit code or empty>` the terminal ended · `e<json {code, message}>` a refusal
import type { SignedInViewer } from "../auth/viewer";
import { AppError, InvalidInputError } from "../errors";
import type { Socket, SocketProtocol } from "../http/sockets";
import type { Logger } from "../log";
import { terminalUserOf } from "./access";
import type { TerminalOutputChunk, TerminalService } from "./service";

export const TERMINAL_SOCKET_PROTOCOL = "outpost-terminal";
export const TERMINAL_SOCKET_PATH = "/terminals/socket";

/** Output waiting in a socket's send buffer past which the next chunk waits for a drain (the stream coalesces meanwhile). */
const MAX_BUFFERED_BYTES = 256 << 10;

export interface TerminalSocketOptions {
  terminals: TerminalService;
  log: Logger;
  /** Records an attach in the audit log. */
  recordAttach(socket: Socket, terminalId: string, error?: AppError): void;
}

interface Attachment {
  terminalId: string;
  stream: AsyncIterableIterator<TerminalOutputChunk>;
  /** Resolves the wait for the socket to drain. */
  drained: (() => void) | null;
}

const chunkFrame = (chunk: TerminalOutputChunk) => (chunk.exited ? `x${chunk.exitCode ?? ""}` : `${chunk.reset ? "r" : "o"}${chunk.data}`);

export function terminalSocketProtocol({ terminals, log, recordAttach }: TerminalSocketOptions): SocketProtocol {
  const attachments = new WeakMap<Socket, Attachment>();

  const refuse = (socket: Socket, error: unknown) => {
    const known = error instanceof AppError ? error : null;
    if (!known) log.error("terminal socket failed", { err: error });
    socket.send(`e${JSON.stringify({ code: known?.code ?? "INTERNAL", message: known?.message ?? "Something went wrong." })}`);
  };

  const pump = async (socket: Socket, attachment: Attachment) => {
    for await (const chunk of attachment.stream) {
      socket.send(chunkFrame(chunk));
      if (socket.getBufferedAmount() > MAX_BUFFERED_BYTES)
        await new Promise<void>((resolve) => {
          attachment.drained = resolve;
        });
    }
    // The stream ended: the terminal exited (sent), or the owner took a share back.
    socket.close(1000, "terminal detached");
  };

  const attach = (socket: Socket, viewer: SignedInViewer, terminalId: string) => {
    try {
      const stream = terminals.attach(terminalUserOf(viewer), terminalId);
      recordAttach(socket, terminalId);
      const attachment: Attachment = { terminalId, stream, drained: null };
      attachments.set(socket, attachment);
      pump(socket, attachment).catch((err) => refuse(socket, err));
    } catch (error) {
      if (error instanceof AppError) recordAttach(socket, terminalId, error);
      refuse(socket, error);
      socket.close(1008, "not attached");
    }
  };

  return {
    name: TERMINAL_SOCKET_PROTOCOL,
    path: TERMINAL_SOCKET_PATH,
    access: "terminals",
    async message(socket, message) {
      const viewer = socket.data.viewer;
      if (viewer.kind === "anonymous") return socket.close(4401, "not signed in");
      const frame = typeof message === "string" ? message : message.toString("utf8");
      const kind = frame[0];
      const rest = frame.slice(1);
      const attachment = attachments.get(socket);
      try {
        if (kind === "a") {
          if (attachment) throw new InvalidInputError("This socket is attached already.");
          return attach(socket, viewer, rest);
        }
        if (!attachment) throw new InvalidInputError("Attach first (a<terminal id>).");
        if (kind === "i") await terminals.write(terminalUserOf(viewer), attachment.terminalId, rest);
        else if (kind === "s") {
          const [cols, rows] = rest.split("x").map(Number);
          terminals.resize(terminalUserOf(viewer), attachment.terminalId, cols ?? Number.NaN, rows ?? Number.NaN);
        } else throw new InvalidInputError("Unknown frame.");
      } catch (error) {
        refuse(socket, error);
      }
    },
    drain(socket) {
      const attachment = attachments.get(socket);
      const resolve = attachment?.drained;
      if (attachment && resolve) {
        attachment.drained = null;
        resolve();
      }
    },
    close(socket) {
      const attachment = attachments.get(socket);
      if (!attachment) return;
      attachments.delete(socket);
      attachment.drained?.();
      void attachment.stream.return?.();
    },
  };
}
