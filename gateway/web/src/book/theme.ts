// The page's look is CSS variables (book.css declares them): a host page sets them by query
// (?accent=%23005fcc&background=%23ffffff&text=%231a1a1a&radius=4px) or the link's branding does.
const VARIABLES: Record<string, string> = {
  accent: "--mg-accent",
  background: "--mg-background",
  text: "--mg-text",
  radius: "--mg-radius",
  font: "--mg-font",
};
const SAFE = /^[#\w\s.,()%-]{1,64}$/;

function luminance(hex: string): number | null {
  const match = /^#([0-9a-f]{6})$/i.exec(hex);
  if (match === null) return null;
  const channels = [0, 2, 4].map((i) => parseInt(match[1].slice(i, i + 2), 16) / 255);
  const [r, g, b] = channels.map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function setAccent(root: HTMLElement, color: string): void {
  root.style.setProperty("--mg-accent", color);
  const light = luminance(color);
  // Text on the accent is black or white, whichever reads (WCAG contrast of at least 4.5).
  if (light !== null) root.style.setProperty("--mg-on-accent", light > 0.18 ? "#000000" : "#ffffff");
}

export function applyTheme(params: URLSearchParams, brandColor: string | null | undefined): void {
  const root = document.documentElement;
  if (brandColor) setAccent(root, brandColor);
  for (const [name, variable] of Object.entries(VARIABLES)) {
    const value = params.get(name);
    if (value === null || !SAFE.test(value)) continue;
    if (name === "accent") setAccent(root, value);
    else root.style.setProperty(variable, value);
  }
}
