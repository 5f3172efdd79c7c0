// Browsing and organising files: folders, moving, renaming and deleting, listing order, search and
// paging, storage use, live changes, and what bad names and unknown ids get.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { startTestApp, type TestApp } from "../harness/app";
import { codes, type GraphqlClient } from "../harness/client";
import { type TusClient, tusClient } from "../harness/tus";

const FILE_FIELDS = "id name folder sizeBytes mimeType createdAt";
const LIST = `query ($folder: String, $search: String, $sortBy: FileOrder, $first: Int, $after: String) {
  files(folder: $folder, search: $search, sortBy: $sortBy, first: $first, after: $after) { nodes { ${FILE_FIELDS} } pageInfo { hasNextPage endCursor } }
}`;
const FOLDERS = "query ($parent: String) { folders(parent: $parent) { path name parent } }";
const CREATE_FOLDER = "mutation ($path: String!) { createFolder(path: $path) { path name parent } }";
const MOVE = `mutation ($id: ID!, $folder: String!) { moveFile(id: $id, folder: $folder) { ${FILE_FIELDS} } }`;
const RENAME = `mutation ($id: ID!, $name: String!) { renameFile(id: $id, name: $name) { ${FILE_FIELDS} } }`;
const DELETE = "mutation ($id: ID!) { deleteFile(id: $id) }";
const DELETE_FOLDER = "mutation ($path: String!) { deleteFolder(path: $path) }";
const WATCH = `subscription ($folder: String) { fileEvents(folder: $folder) { kind folder previousFolder folderPath deletedFiles file { id name } upload { name offsetBytes lengthBytes state } } }`;

type Listed = { id: string; name: string; folder: string; sizeBytes: number };
type Page = { files: { nodes: Listed[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };

let server: TestApp;
let operator: GraphqlClient;
let tus: TusClient;
const text = (value: string) => new TextEncoder().encode(value);

beforeAll(async () => {
  server = await startTestApp({ config: { rateLimitUploadPerMinute: 100_000, rateLimitApiPerMinute: 100_000 } });
  operator = await server.userWithRole("operator");
  tus = tusClient(operator);
});
afterAll(() => server.stop());

describe("folders", () => {
  test("creating a nested folder creates the ones above it; folders lists each level by name", async () => {
    expect(await operator.data(CREATE_FOLDER, { path: "/projects/garden/photos/" })).toEqual({
      createFolder: { path: "projects/garden/photos", name: "photos", parent: "projects/garden" },
    });
    await operator.data(CREATE_FOLDER, { path: "projects/Attic" });
    expect((await operator.data<{ folders: { name: string }[] }>(FOLDERS, { parent: "projects" })).folders.map((f) => f.name)).toEqual([
      "Attic",
      "garden",
    ]);
    expect(codes(await operator.request(CREATE_FOLDER, { path: "projects/garden" }))).toEqual(["CONFLICT"]);
    expect(codes(await operator.request(FOLDERS, { parent: "nowhere" }))).toEqual(["NOT_FOUND"]);
  });

  test("files move between folders and are renamed; a taken name is a CONFLICT", async () => {
    const id = await tus.upload("notes.txt", text("notes"), "inbox");
    await tus.upload("notes.txt", text("other notes"), "archive");
    const moved = await operator.request(MOVE, { id, folder: "archive" });
    expect(codes(moved)).toEqual(["CONFLICT"]);
    const renamed = await operator.data<{ renameFile: Listed }>(RENAME, { id, name: "notes-2024.txt" });
    expect(renamed.renameFile).toMatchObject({ name: "notes-2024.txt", folder: "inbox" });
    const movedNow = await operator.data<{ moveFile: Listed }>(MOVE, { id, folder: "archive" });
    expect(movedNow.moveFile).toMatchObject({ name: "notes-2024.txt", folder: "archive" });
    expect(codes(await operator.request(RENAME, { id, name: "notes.txt" }))).toEqual(["CONFLICT"]);
    expect(codes(await operator.request(MOVE, { id, folder: "no/such/folder" }))).toEqual(["NOT_FOUND"]);
  });

  test("deleting a folder takes everything below it, bytes included, and says how many files went", async () => {
    const ids = [
      await tus.upload("a.txt", text("a"), "trash"),
      await tus.upload("b.txt", text("b"), "trash/deep"),
      await tus.upload("c.txt", text("c"), "trash/deep/deeper"),
    ];
    const keep = await tus.upload("keep.txt", text("keep"), "trashcan");
    expect(await operator.data(DELETE_FOLDER, { path: "trash" })).toEqual({ deleteFolder: 3 });
    for (const id of ids) expect(existsSync(join(server.dataDir, "files", id))).toBe(false);
    expect(existsSync(join(server.dataDir, "files", keep))).toBe(true);
    expect(codes(await operator.request(FOLDERS, { parent: "trash/deep" }))).toEqual(["NOT_FOUND"]);
    expect(codes(await operator.request(DELETE_FOLDER, { path: "" }))).toEqual(["BAD_USER_INPUT"]);
  });

  test("deleting a file removes its bytes; a second delete is NOT_FOUND", async () => {
    const id = await tus.upload("gone.txt", text("gone"));
    expect(await operator.data(DELETE, { id })).toEqual({ deleteFile: true });
    expect(existsSync(join(server.dataDir, "files", id))).toBe(false);
    expect(codes(await operator.request(DELETE, { id }))).toEqual(["NOT_FOUND"]);
    expect((await tus.download(id)).status).toBe(404);
  });
});

describe("listing", () => {
  const folder = "listing";
  beforeAll(async () => {
    // Sizes and names chosen so that each order differs.
    for (const [name, size] of [
      ["banana.txt", 30],
      ["Apple.txt", 10],
      ["cherry.log", 50],
      ["apricot.txt", 20],
      ["date.bin", 40],
    ] as const)
      await tus.upload(name, new Uint8Array(size).fill(65), folder);
  });

  const names = async (variables: Record<string, unknown>) =>
    (await operator.data<Page>(LIST, { folder, ...variables })).files.nodes.map((f) => f.name);

  test("by name (ignoring case), newest, oldest, largest and smallest first", async () => {
    expect(await names({})).toEqual(["Apple.txt", "apricot.txt", "banana.txt", "cherry.log", "date.bin"]);
    expect(await names({ sortBy: "LARGEST" })).toEqual(["cherry.log", "date.bin", "banana.txt", "apricot.txt", "Apple.txt"]);
    expect(await names({ sortBy: "SMALLEST" })).toEqual(["Apple.txt", "apricot.txt", "banana.txt", "date.bin", "cherry.log"]);
    expect(await names({ sortBy: "NEWEST" })).toEqual([...(await names({ sortBy: "OLDEST" }))].reverse());
    const newest = await operator.data<{ files: { nodes: { createdAt: string }[] } }>(LIST, { folder, sortBy: "NEWEST" });
    const times = newest.files.nodes.map((f) => Date.parse(f.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  test("pages of two walk every file once, in every order", async () => {
    for (const sortBy of ["NAME", "NEWEST", "LARGEST", "SMALLEST", "OLDEST"]) {
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 10; page++) {
        const { files }: Page = await operator.data<Page>(LIST, { folder, sortBy, first: 2, after });
        seen.push(...files.nodes.map((f) => f.name));
        if (!files.pageInfo.hasNextPage) break;
        after = files.pageInfo.endCursor;
      }
      expect(seen).toEqual(await names({ sortBy }));
    }
  });

  test("search finds names containing the text in every folder, or in one; page size and cursors are checked", async () => {
    expect(await names({ search: "AP" })).toEqual(["Apple.txt", "apricot.txt"]);
    const everywhere = await operator.data<Page>(LIST, { folder: null, search: ".log" });
    expect(everywhere.files.nodes.map((f) => `${f.folder}/${f.name}`)).toContain("listing/cherry.log");
    expect(await names({ search: "100%_" })).toEqual([]);
    expect(codes(await operator.request(LIST, { folder, first: 501 }))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await operator.request(LIST, { folder, first: 0 }))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await operator.request(LIST, { folder, after: "bm90IGpzb24" }))).toEqual(["BAD_USER_INPUT"]);
    expect(codes(await operator.request(LIST, { folder, search: "x".repeat(300) }))).toEqual(["BAD_USER_INPUT"]);
  });

  test("storage says what is stored, by whom, and how much may be", async () => {
    const { storage } = await operator.data<{
      storage: {
        usedBytes: number;
        fileCount: number;
        quotaBytes: number;
        mine: { usedBytes: number };
        byUser: { username: string }[];
        freeDiskBytes: number;
      };
    }>("{ storage { usedBytes fileCount quotaBytes mine { usedBytes } byUser { username } freeDiskBytes } }");
    const rows = server.app.db.query<{ n: number; bytes: number }, []>("SELECT COUNT(*) AS n, SUM(size_bytes) AS bytes FROM files").get();
    expect(storage.fileCount).toBe(rows?.n as number);
    expect(storage.usedBytes).toBe(rows?.bytes as number);
    expect(storage.mine.usedBytes).toBe(storage.usedBytes);
    expect(storage.byUser.map((u) => u.username)).toEqual([expect.stringMatching(/^operator/)]);
    expect(storage.quotaBytes).toBeGreaterThan(0);
    expect(storage.freeDiskBytes).toBeGreaterThan(0);
  });
});

describe("bad input", () => {
  const MARK = `escape-${process.pid}`;

  test("names with separators, dot segments, NUL, control characters or 10 000 bytes are refused everywhere", async () => {
    const id = await tus.upload("plain.txt", text("plain"));
    const bad = [
      `../${MARK}`,
      `a/${MARK}`,
      "..",
      ".",
      `${MARK}\u0000.txt`,
      `${MARK}\u0007.txt`,
      `${MARK}\n.txt`,
      "x".repeat(10_000),
      "",
      " padded ",
    ];
    for (const name of bad) {
      const created = await tus.create({ name, length: 1 });
      expect({ name: name.slice(0, 20), status: created.status }).toEqual({ name: name.slice(0, 20), status: 400 });
      expect(codes(await operator.request(RENAME, { id, name }))).toEqual(["BAD_USER_INPUT"]);
    }
    for (const path of [`../${MARK}`, `a/../${MARK}`, `a//b`, `./${MARK}`, `${"d/".repeat(40)}x`]) {
      expect(codes(await operator.request(CREATE_FOLDER, { path }))).toEqual(["BAD_USER_INPUT"]);
      expect((await tus.create({ name: "ok.txt", folder: path, length: 1 })).status).toBe(400);
    }
    // Nothing was written outside the data directory, nor anywhere under a name that was given.
    const parent = dirname(server.dataDir);
    expect(readdirSync(parent).filter((entry) => entry.includes(MARK))).toEqual([]);
    expect(readdirSync(join(server.dataDir, "files")).every((entry) => /^[0-9a-f]{32}$/.test(entry))).toBe(true);
  });

  test("two spellings of the same Unicode name are one name", async () => {
    const composed = "caf\u00e9.txt";
    const decomposed = "cafe\u0301.txt";
    const first = await tus.upload(decomposed, text("1"), "unicode");
    const second = await tus.upload(composed, text("2"), "unicode");
    const { files } = await operator.data<Page>(LIST, { folder: "unicode" });
    expect(files.nodes.map((f) => f.name).sort()).toEqual([composed, "caf\u00e9 (2).txt"].sort());
    expect(codes(await operator.request(RENAME, { id: second, name: decomposed }))).toEqual(["CONFLICT"]);
    expect(first).not.toBe(second);
  });

  test("unknown ids are NOT_FOUND, on every field and route", async () => {
    const unknown = "0123456789abcdef0123456789abcdef";
    for (const [query, variables] of [
      ["query ($id: ID!) { file(id: $id) { id } }", { id: unknown }],
      [MOVE, { id: unknown, folder: "" }],
      [RENAME, { id: unknown, name: "x" }],
      [DELETE, { id: unknown }],
      ["query ($id: ID!) { shareLinks(fileId: $id) { id } }", { id: unknown }],
      ["mutation ($id: ID!) { createShareLink(fileId: $id) { token } }", { id: unknown }],
      ["mutation ($id: ID!) { revokeShareLink(id: $id) { id } }", { id: unknown }],
      ["query ($id: ID!) { file(id: $id) { id } }", { id: "../../etc/passwd" }],
    ] as const)
      expect(codes(await operator.request(query, variables))).toEqual(["NOT_FOUND"]);
    for (const path of [`/files/${unknown}`, "/files/..%2F..%2Foutpost.db"])
      expect((await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${operator.accessToken}` } })).status).toBe(404);
    expect((await tus.head(`/files/uploads/${unknown}`)).status).toBe(404);
  });
});

describe("live changes", () => {
  test("fileEvents tells a folder's watcher what is added, moved, renamed and deleted, and how uploads progress", async () => {
    await operator.data(CREATE_FOLDER, { path: "watched" });
    await operator.data(CREATE_FOLDER, { path: "elsewhere" });
    const socket = operator.socket();
    const sub = await server.listening("file.changed", () =>
      socket.subscribe<{ fileEvents: Record<string, unknown> }>(WATCH, { folder: "watched" }),
    );
    const id = await tus.upload("live.txt", text("live"), "watched");
    await tus.upload("unseen.txt", text("unseen"), "elsewhere");
    await operator.data(RENAME, { id, name: "renamed.txt" });
    await operator.data(MOVE, { id, folder: "elsewhere" });
    await operator.data(MOVE, { id, folder: "watched" });
    await operator.data(DELETE, { id });
    await operator.data(CREATE_FOLDER, { path: "watched/sub" });
    await operator.data(DELETE_FOLDER, { path: "watched" });
    await sub.waitFor(9);
    const events = sub.results.map((r) => r.data?.fileEvents as Record<string, unknown>);
    const kinds = events.map((e) => (e.kind === "UPLOAD_PROGRESS" ? `UPLOAD_${(e.upload as { state: string }).state}` : e.kind));
    expect(kinds).toEqual([
      "UPLOAD_PAUSED",
      "ADDED",
      "UPLOAD_COMPLETED",
      "RENAMED",
      "MOVED",
      "MOVED",
      "DELETED",
      "FOLDER_CREATED",
      "FOLDER_DELETED",
    ]);
    expect(events[4]).toMatchObject({ folder: "elsewhere", previousFolder: "watched", file: { id, name: "renamed.txt" } });
    expect(events[8]).toMatchObject({ folderPath: "watched", deletedFiles: 0 });
    sub.stop();
    await socket.dispose();
  });
});
