// Share links: a public URL (/s/<token>) through which anyone may download one file without
// signing in, until it expires, runs out of downloads or is revoked. The token (256 random bits)
// is shown once; only its hash is stored.
import { hashToken, randomToken } from "../auth/tokens";
import type { Clock } from "../clock";
import type { WriteBatcher } from "../db";
import { InvalidInputError, LimitExceededError, NotFoundError } from "../errors";
import type { FileEntry } from "./service";
import type { FilesStore, ShareLinkRow } from "./store";
import { newFileId } from "./stored-bytes";

export type { ShareLinkRow } from "./store";

/** A new link with its token: the only time the token is known. */
export interface CreatedShareLink {
  link: ShareLinkRow;
  token: string;
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const MAX_LIFETIME_MS = 10 * 365 * 86_400_000;
const MAX_DOWNLOADS = 1_000_000;

export function createShareLinks({
  store,
  writes,
  clock,
  maxLinksPerFile,
}: {
  store: FilesStore;
  writes: WriteBatcher;
  clock: Clock;
  /** Links one file may have that are not revoked. */
  maxLinksPerFile: number;
}) {
  const existingFile = (fileId: string): FileEntry => {
    const file = store.getFile(fileId);
    if (!file) throw new NotFoundError(`No file with id ${JSON.stringify(fileId)}.`);
    return file;
  };
  const unusable = () => new NotFoundError("This link does not work: it expired, was revoked or has been used up.");

  return {
    /**
     * Makes a link to a file that works until `expiresAt` (null: until revoked) for at most
     * `maxDownloads` downloads (null: any number; every GET of the file counts, ranges too).
     */
    async create({
      fileId,
      userId,
      expiresAt,
      maxDownloads,
    }: {
      fileId: string;
      userId: string;
      expiresAt: Date | null;
      maxDownloads: number | null;
    }): Promise<CreatedShareLink> {
      const now = clock.now();
      if (expiresAt !== null && (expiresAt.getTime() <= now || expiresAt.getTime() > now + MAX_LIFETIME_MS))
        throw new InvalidInputError("expiresAt must be in the future, and at most ten years away.");
      if (maxDownloads !== null && (!Number.isInteger(maxDownloads) || maxDownloads < 1 || maxDownloads > MAX_DOWNLOADS))
        throw new InvalidInputError(`maxDownloads must be between 1 and ${MAX_DOWNLOADS}.`);
      const token = randomToken(32);
      const link = await writes.run(() => {
        existingFile(fileId);
        if (store.countActiveShareLinks(fileId) >= maxLinksPerFile)
          throw new LimitExceededError(`A file may have ${maxLinksPerFile} share links; revoke one first.`, {
            details: { limit: maxLinksPerFile },
          });
        return store.insertShareLink(
          {
            id: newFileId(),
            fileId,
            tokenHash: hashToken(token),
            createdBy: userId,
            expiresAtMs: expiresAt?.getTime() ?? null,
            maxDownloads,
          },
          clock.now(),
        );
      });
      return { link, token };
    },

    /** A file's links, newest first, revoked and expired ones included. */
    list(fileId: string): ShareLinkRow[] {
      existingFile(fileId);
      return store.shareLinksOf(fileId);
    },

    /** Stops a link from working; revoking it again changes nothing. */
    async revoke(id: string): Promise<ShareLinkRow> {
      const link = await writes.run(() => store.revokeShareLink(id, clock.now()));
      if (!link) throw new NotFoundError(`No share link with id ${JSON.stringify(id)}.`);
      return link;
    },

    /** The file behind a working link, without counting a download; NotFoundError when the link does not work. */
    resolve(token: string): { link: ShareLinkRow; file: FileEntry } {
      if (!TOKEN.test(token)) throw unusable();
      const link = store.usableShareLink(hashToken(token), clock.now());
      const file = link && store.getFile(link.fileId);
      if (!link || !file) throw unusable();
      return { link, file };
    },

    /** Counts one download through the link, if it still works (two at once cannot both take the last one). */
    async takeDownload(token: string): Promise<ShareLinkRow> {
      const link = await writes.run(() => store.takeShareDownload(hashToken(token), clock.now()));
      if (!link) throw unusable();
      return link;
    },

    /** Whether a link works now. */
    isActive: (link: ShareLinkRow) =>
      link.revokedAt === null &&
      (link.expiresAt === null || link.expiresAt.getTime() > clock.now()) &&
      (link.maxDownloads === null || link.downloads < link.maxDownloads),
  };
}

export type ShareLinks = ReturnType<typeof createShareLinks>;
