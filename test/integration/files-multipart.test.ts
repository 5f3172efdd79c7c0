// Small uploads through GraphQL multipart: stored under their own names like a resumable upload's,
// refused past the multipart cap (naming the resumable upload), when written into the query, or
// when sent by a viewer; none leaves bytes behind.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { startTestApp, type TestApp } from "../harness/app";
import { codes, type GraphqlClient } from "../harness/client";
import { uploadBytesAndRows } from "../harness/tus";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

let server: TestApp;
let operator: GraphqlClient;

beforeAll(async () => {
  server = await startTestApp();
  operator = await server.userWithRole("operator");
});
afterAll(() => server.stop());

describe("uploads through GraphQL multipart", () => {
  const UPLOAD =
    "mutation ($file: File!, $folder: String) { uploadFile(file: $file, folder: $folder) { id name folder sizeBytes sha256 mimeType } }";
  const multipart = (client: GraphqlClient, file: File, folder?: string) => {
    const form = new FormData();
    form.set("operations", JSON.stringify({ query: UPLOAD, variables: { file: null, folder } }));
    form.set("map", JSON.stringify({ 0: ["variables.file"] }));
    form.set("0", file);
    return fetch(`${client.url}/graphql`, { method: "POST", headers: { authorization: `Bearer ${client.accessToken}` }, body: form });
  };

  test("a small file is stored under its name, like a resumable upload's", async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
    const response = await multipart(operator, new File([png], "pixel.png"), "pictures");
    const { data } = (await response.json()) as { data: { uploadFile: Record<string, unknown> } };
    expect(data.uploadFile).toMatchObject({
      name: "pixel.png",
      folder: "pictures",
      sizeBytes: png.length,
      sha256: sha256(png),
      mimeType: "image/png",
    });
    const again = (await (await multipart(operator, new File([png], "pixel.png"), "pictures")).json()) as {
      data: { uploadFile: { name: string } };
    };
    expect(again.data.uploadFile.name).toBe("pixel (2).png");
  });

  test("past the multipart cap the upload is refused with LIMIT_EXCEEDED naming the resumable upload", async () => {
    await using capped = await startTestApp({ config: { maxMultipartBodyBytes: 64 * 1024 } });
    const client = await capped.userWithRole("operator");
    const response = await multipart(client, new File([new Uint8Array(100 * 1024)], "big.bin"));
    expect(response.status).toBe(413);
    const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe("LIMIT_EXCEEDED");
    expect(body.errors[0]?.message).toContain("/files/uploads");
  });

  test("a file written into the query, or sent by a viewer, is refused", async () => {
    const inline = await operator.request('mutation { uploadFile(file: "not a file") { id } }');
    expect(codes(inline)).toEqual(["BAD_USER_INPUT"]);
    const viewer = await server.userWithRole("viewer");
    const refused = (await (await multipart(viewer, new File(["x"], "x.txt"))).json()) as { errors: { extensions: { code: string } }[] };
    expect(refused.errors[0]?.extensions.code).toBe("FORBIDDEN");
  });
});

test("no upload leaves bytes behind once it is complete or refused", () => {
  const { bytes, rows } = uploadBytesAndRows(server);
  expect(bytes).toEqual(rows);
});
