// A program's files shown as folders: nested by path, folders before files, each by name.
import { expect, test } from "bun:test";
import { fileTree } from "../../../web/src/pages/Programs/fileTree";

test("paths become nested folders, folders first", () => {
  const tree = fileTree([{ path: "main.py" }, { path: "lib/util.py" }, { path: "lib/deep/x.txt" }, { path: "a.txt" }]);
  const shape = (nodes: ReturnType<typeof fileTree>): unknown[] =>
    nodes.map((n) => (n.file ? n.name : { [`${n.path}/`]: shape(n.children) }));
  expect(shape(tree)).toEqual([{ "lib/": [{ "lib/deep/": ["x.txt"] }, "util.py"] }, "a.txt", "main.py"]);
});
