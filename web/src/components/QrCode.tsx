// A QR code drawn as inline SVG from its modules (uqr), so a phone can open a link shown on screen.

import { createMemo } from "solid-js";
import { encode } from "uqr";

/** Light modules kept around the code, as readers expect. */
const QUIET_ZONE = 2;

export function QrCode(props: { text: string; label: string; testId?: string }) {
  const modules = createMemo(() => encode(props.text).data);
  const path = createMemo(() =>
    modules()
      .flatMap((row, y) => row.map((dark, x) => (dark ? `M${x + QUIET_ZONE} ${y + QUIET_ZONE}h1v1h-1z` : "")))
      .join(""),
  );
  const size = () => modules().length + 2 * QUIET_ZONE;
  return (
    <svg
      class="qr-code"
      viewBox={`0 0 ${size()} ${size()}`}
      role="img"
      aria-label={props.label}
      data-testid={props.testId}
      shape-rendering="crispEdges"
    >
      <rect width={size()} height={size()} fill="#fff" />
      <path d={path()} fill="#000" />
    </svg>
  );
}
