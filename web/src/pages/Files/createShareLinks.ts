// Share links of one file, for its open row: the list (revoked and expired ones too), making a new
// one that expires after a chosen time and may be limited in downloads, and revoking. A new link's
// address is known only right after it is made (the server keeps no token).

import { createSignal } from "solid-js";
import { confirmAction } from "../../lib/confirm";
import { type GraphQLRequestError, toRequestError } from "../../lib/graphql";
import { createShareLink, fetchShareLinks, revokeShareLink, type ShareLink } from "./filesOperations";

/** The lifetimes offered, in hours; 0 is "until revoked". */
export const LIFETIMES = [
  { hours: 1, label: "1 hour" },
  { hours: 24, label: "1 day" },
  { hours: 24 * 7, label: "7 days" },
  { hours: 24 * 30, label: "30 days" },
  { hours: 0, label: "until revoked" },
] as const;

export function createShareLinks(fileId: string) {
  const [links, setLinks] = createSignal<readonly ShareLink[]>([]);
  const [lifetimeHours, setLifetimeHours] = createSignal(24);
  const [maxDownloadsText, setMaxDownloadsText] = createSignal("");
  const [created, setCreated] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<GraphQLRequestError | null>(null);

  const maxDownloads = () => {
    const text = maxDownloadsText().trim();
    return text === "" ? null : Number(text);
  };
  const maxDownloadsProblem = () => {
    const value = maxDownloads();
    return value === null || (Number.isInteger(value) && value >= 1) ? null : "A whole number, 1 or more; empty for any number.";
  };

  async function run(work: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (failure) {
      setError(toRequestError(failure));
    } finally {
      setBusy(false);
    }
  }

  const load = () =>
    run(async () => {
      setLinks(await fetchShareLinks(fileId));
    });

  const create = () =>
    run(async () => {
      if (maxDownloadsProblem()) return;
      const hours = lifetimeHours();
      const expiresAt = hours === 0 ? null : new Date(Date.now() + hours * 3_600_000).toISOString();
      const made = await createShareLink(fileId, expiresAt, maxDownloads());
      setCreated(new URL(made.path, location.origin).href);
      setLinks((current) => [made.link, ...current]);
    });

  const revoke = (link: ShareLink) =>
    run(async () => {
      if (
        !(await confirmAction({
          question: "Revoke this share link?",
          detail: "Whoever has it can no longer download the file.",
          confirmLabel: "Revoke link",
        }))
      )
        return;
      const revoked = await revokeShareLink(link.id);
      setLinks((current) => current.map((each) => (each.id === revoked.id ? revoked : each)));
    });

  void load();
  return {
    links,
    lifetimeHours,
    setLifetimeHours,
    maxDownloadsText,
    setMaxDownloadsText,
    maxDownloadsProblem,
    created,
    busy,
    error,
    create,
    revoke,
  };
}

export type ShareLinksState = ReturnType<typeof createShareLinks>;
