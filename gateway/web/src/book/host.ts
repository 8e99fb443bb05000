// Events for a page that embeds this one in a frame; nothing is sent when not framed.
export type HostEvent = "meetings-gateway:slot-held" | "meetings-gateway:booked";

export function tellHost(type: HostEvent, detail: Record<string, unknown>): void {
  if (window.parent !== window) {
    window.parent.postMessage({ type, ...detail }, "*");
  }
}
