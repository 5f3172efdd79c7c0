// How the Files page writes sizes, folder paths and upload progress.

const UNITS = ["B", "KB", "MB", "GB", "TB"];

/** 1536 → "1.5 KB" (powers of 1024, as file managers show them). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 || value >= 100 ? Math.round(value) : value.toFixed(1)} ${UNITS[unit]}`;
}

/** The share of `done` in `total` as a whole percentage (0 while the total is unknown). */
export function percent(done: number, total: number | null): number {
  if (!total) return 0;
  return Math.min(100, Math.floor((done / total) * 100));
}

/** The breadcrumbs of a folder path: the top folder, then each folder down to it. */
export function breadcrumbs(folder: string): { name: string; path: string }[] {
  const segments = folder === "" ? [] : folder.split("/");
  return [{ name: "Files", path: "" }, ...segments.map((name, i) => ({ name, path: segments.slice(0, i + 1).join("/") }))];
}

/** `name` inside `folder`, as a path. */
export function childPath(folder: string, name: string): string {
  return folder === "" ? name : `${folder}/${name}`;
}
