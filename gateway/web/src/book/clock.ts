// The gateway's clock, as this device sees it: holds expire on the gateway's time.
export class ServerClock {
  private readonly offset: number;

  constructor(serverNow: string) {
    this.offset = Date.parse(serverNow) - Date.now();
  }

  now(): number {
    return Date.now() + this.offset;
  }
}
