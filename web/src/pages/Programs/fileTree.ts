// A program's files as a tree of folders, from the flat list of paths the server sends.

export interface FileTreeNode<F> {
  /** The last segment of its path. */
  name: string;
  path: string;
  /** The file, or null for a folder. */
  file: F | null;
  /** A folder's entries: folders first, then files, each by name. */
  children: FileTreeNode<F>[];
}

/** The tree of `files` (paths with "/" between folders). */
export function fileTree<F extends { path: string }>(files: readonly F[]): FileTreeNode<F>[] {
  const root: FileTreeNode<F> = { name: "", path: "", file: null, children: [] };
  for (const file of files) {
    const segments = file.path.split("/");
    let folder = root;
    segments.slice(0, -1).forEach((segment, depth) => {
      let next = folder.children.find((child) => child.file === null && child.name === segment);
      if (!next) {
        next = { name: segment, path: segments.slice(0, depth + 1).join("/"), file: null, children: [] };
        folder.children.push(next);
      }
      folder = next;
    });
    folder.children.push({ name: segments.at(-1) ?? file.path, path: file.path, file, children: [] });
  }
  const sort = (nodes: FileTreeNode<F>[]): FileTreeNode<F>[] =>
    nodes
      .map((node) => ({ ...node, children: sort(node.children) }))
      .sort((a, b) => Number(a.file !== null) - Number(b.file !== null) || a.name.localeCompare(b.name));
  return sort(root.children);
}
